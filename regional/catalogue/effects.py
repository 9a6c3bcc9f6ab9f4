"""What a change of the catalogue would do to the packages that count on it.

The catalogue sits below the targets (what makes a persona, what counts): its forms show,
before saving, the effect a change would have there. The packages above register a
previewer here instead of the catalogue importing them (the layers go one way).
A previewer takes the change as a function, tries it (and undoes it), and answers what it
would do, or None when it does nothing they count.
"""

from __future__ import annotations

from collections.abc import Callable

Previewer = Callable[[Callable[[], object]], object | None]
_previewers: list[Previewer] = []


def register(previewer: Previewer) -> Previewer:
    """Add a previewer (once per process; at import of the package that registers it)."""
    if previewer not in _previewers:
        _previewers.append(previewer)
    return previewer


def preview(change: Callable[[], object]) -> list[object]:
    """Every registered previewer's answer for ``change`` (each tries it and undoes it)."""
    return [found for p in _previewers if (found := p(change)) is not None]

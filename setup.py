"""Build step for the wheel: the migrations and the compiled catalogues go inside the package.

The repository keeps ``migrations/`` and ``translations/`` at its top level (Flask-Migrate
and Babel work there) and never commits compiled ``.mo`` files. A built wheel carries both
under ``regional/_bundled/``: the migrations as they are, the catalogues compiled from the
``.po`` files at build time, so an installed platform serves Japanese pages and API errors
and can run ``flask db upgrade`` from any folder. ``regional.config.resource_dir`` picks
the bundled copy when it exists, the checkout's folders otherwise (an editable install).
Everything else is declared in pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


def compile_catalogues(source: Path, target: Path) -> int:
    """Compile every ``<lang>/LC_MESSAGES/*.po`` under ``source`` into ``target``; refuse fuzzies."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    count = 0
    for po in sorted(source.glob("*/LC_MESSAGES/*.po")):
        locale = po.parent.parent.name
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=locale)
        mo = target / po.relative_to(source).with_suffix(".mo")
        mo.parent.mkdir(parents=True, exist_ok=True)
        with mo.open("wb") as fh:
            write_mo(fh, catalog, use_fuzzy=False)
        count += 1
    if not count:
        raise SystemExit(f"no translation catalogues under {source}")
    return count


class BuildPyWithResources(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads the checkout's own folders
        bundled = Path(self.build_lib) / "regional" / "_bundled"
        shutil.rmtree(bundled, ignore_errors=True)
        shutil.copytree(
            ROOT / "migrations",
            bundled / "migrations",
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
        )
        compile_catalogues(ROOT / "translations", bundled / "translations")


setup(cmdclass={"build_py": BuildPyWithResources})

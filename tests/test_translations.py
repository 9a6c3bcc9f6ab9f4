"""Are both catalogues complete, so no page shows an untranslated string?"""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
METHODS = [
    ("regional/**.py", "python"),
    ("tenants/**.py", "python"),
    ("regional/templates/**.html", "jinja2"),
    ("regional/templates/**.txt", "jinja2"),
]


def _source_messages() -> set[str]:
    found = set()
    for _fn, _lineno, message, _comments, _ctx in extract_from_dir(
        str(ROOT), method_map=METHODS, keywords=KEYWORDS
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return {m for m in found if m}


def _catalog(lang: str):
    with (ROOT / f"translations/{lang}/LC_MESSAGES/messages.po").open("rb") as fh:
        return read_po(fh, locale=lang)


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_every_message_in_the_code_is_translated(lang):
    catalog = _catalog(lang)
    translated = {
        (m.id[0] if isinstance(m.id, tuple) else m.id)
        for m in catalog
        if m.id
        and (all(m.string) if isinstance(m.string, tuple) else m.string)
        and "fuzzy" not in m.flags
    }
    missing = sorted(_source_messages() - translated)
    assert not missing, f"{len(missing)} messages lack a {lang} translation, e.g. {missing[:10]}"


def test_japanese_catalogue_is_really_japanese():
    catalog = _catalog("ja")
    entries = [m for m in catalog if m.id and isinstance(m.string, str) and m.string]
    japanese = [m for m in entries if any("\u3040" <= ch <= "\u9fff" for ch in m.string)]
    # Brand names and codes may stay in Latin letters, but nearly everything is Japanese.
    assert len(japanese) >= 0.9 * len(entries)


def test_placeholders_survive_translation():
    import re

    pattern = re.compile(r"%\((\w+)\)[sd]")
    for lang in ("ja", "en"):
        for m in _catalog(lang):
            if m.id and isinstance(m.id, str) and m.string:
                assert set(pattern.findall(m.id)) == set(pattern.findall(m.string)), (lang, m.id)

"""Text as keyword search compares it, on both sides: what is stored and what is typed.

* :func:`fold`: NFKC (full-width Latin and digits, half-width kana and the ideographic
  space made one form), case folding, and katakana folded to hiragana, so that ＡＩ, AI
  and ai are one word, and so are エクセル, ｴｸｾﾙ and えくせる.
* :func:`spaced`: folded text with every run of Latin letters and digits set apart by
  single spaces (``生成aiの活用`` -> `` 生成 ai の活用 ``). A Latin word then starts and
  ends at a space, so a typed ``ai`` can be asked for as `` ai `` and never matches inside
  ``training`` or ``failures``; Japanese has no spaces between words and keeps matching
  anywhere (substring).
* :func:`pattern`: the substring one typed word must appear as in spaced text: a
  Latin word starts at a word boundary, and a short one (fewer than
  :data:`PREFIX_FROM` letters: AI, PM, DX, LAN) ends at one too, while a longer one may
  be the start of a longer word (``spreadsheet`` finds ``spreadsheets``).

Pure functions, without the database: the models keep the stored forms with them, the
migrations freeze a copy.
"""

from __future__ import annotations

import re
import unicodedata

#: Letters and digits of Latin script, after folding (accented letters included).
_LATIN = re.compile(r"[0-9a-z\u00df-\u00f6\u00f8-\u024f]+")
_LATIN_END = re.compile(r"[0-9a-z\u00df-\u00f6\u00f8-\u024f]+$")
#: Katakana ァ..ヶ (and ヽヾ) are hiragana plus 0x60; ー and ・ stay as they are.
_KATA_TO_HIRA = {c: c - 0x60 for c in range(0x30A1, 0x30F7)} | {0x30FD: 0x309D, 0x30FE: 0x309E}
#: A typed Latin word this long or longer may be the start of a longer word.
PREFIX_FROM = 4


def fold(text: str) -> str:
    """NFKC, case-folded, katakana as hiragana."""
    return unicodedata.normalize("NFKC", text or "").casefold().translate(_KATA_TO_HIRA)


def _set_apart(folded: str) -> str:
    return " ".join(_LATIN.sub(r" \g<0> ", folded).split())


def spaced(text: str) -> str:
    """Stored form: folded, Latin words set apart, whitespace one space, a space each end."""
    return f" {_set_apart(fold(text))} "


def pattern(word: str) -> str:
    """The substring of spaced text that one typed word (without whitespace) must be."""
    out = _set_apart(fold(word))
    if _LATIN.match(out):
        out = " " + out
    last = _LATIN_END.search(out)
    if last and len(last.group()) < PREFIX_FROM:
        out += " "
    return out


def search_words(query: str) -> list[str]:
    """The folded terms of a typed query: whitespace (full-width too) separates them."""
    return list(dict.fromkeys(fold(query).split()))

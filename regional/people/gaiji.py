"""外字: name characters a Shift_JIS (CP932) file cannot hold, and the forms written instead.

Personnel systems in Japan export their rosters in CP932, or hold only JIS X 0208
characters: a name registered as ``𠮷田`` comes back as ``吉田``, ``髙橋`` as ``高橋``,
``山﨑`` as ``山崎``; an ideographic variation sequence (IVS: ``辻`` followed by a
variation selector for its one-dot form, 一点しんにょう) loses its selector; a character with no near
form becomes ``〓`` (the geta mark). The platform keeps names as registered, so:

* :func:`cp932_form` is what the platform's own Shift_JIS export writes: the name itself
  where CP932 holds it, else the nearest form from :data:`NEAREST` (variation selectors
  dropped, compatibility ideographs by NFKC), else ``〓``;
* :func:`jis_form` is what a JIS X 0208-only system writes: every variant of
  :data:`NEAREST` replaced, even those CP932's IBM extensions hold (``髙``, ``﨑``);
* :func:`differs_only_by_gaiji` says whether a roster's name is the registered name
  written by such a system, so the import keeps the registered form instead of renaming.
"""

from __future__ import annotations

import re
import unicodedata

#: A character and its nearest JIS X 0208 form. Those CP932 holds (IBM and NEC
#: extensions, such as 髙 and 﨑) are replaced by :func:`jis_form` only.
NEAREST: dict[str, str] = {
    "𠮷": "吉",  # U+20BB7, 土 over 口: outside the BMP
    "髙": "高",  # はしご高 (IBM extension)
    "﨑": "崎",  # たつさき (IBM extension)
    "德": "徳",
    "濵": "浜",
    "瀨": "瀬",
    "槗": "橋",
    "𣘺": "橋",
    "栁": "柳",
    "靑": "青",
    "𡈽": "土",  # 土 with a dot
    "桒": "桑",
    "淸": "清",
    "曻": "昇",
    "冝": "宜",
    "黑": "黒",
    "剝": "剥",
    "𦚰": "脇",
    "𨺉": "隆",
}

#: Written where a character has no near form (JIS X 0208's geta mark, in CP932).
GETA = "〓"

#: Standardised variation selectors and the ideographic variation selectors (IVS).
_SELECTORS = re.compile("[\ufe00-\ufe0f\U000e0100-\U000e01ef]")


def _encodable(text: str) -> bool:
    try:
        text.encode("cp932")
    except UnicodeEncodeError:
        return False
    return True


def _jis0208(char: str) -> bool:
    """Whether ``char`` is one of JIS X 0208's (as Shift_JIS proper holds it)."""
    try:
        char.encode("shift_jis")
    except UnicodeEncodeError:
        return False
    return True


def _nearest(char: str) -> str:
    near = NEAREST.get(char)
    if near is not None:
        return near
    folded = unicodedata.normalize("NFKC", char)
    if folded != char and _encodable(folded):
        return folded
    return GETA


def cp932_form(text: str) -> str:
    """``text`` as a CP932 file can hold it: variation selectors dropped, each character
    CP932 lacks replaced by its nearest form (or ``〓``)."""
    text = _SELECTORS.sub("", text)
    if _encodable(text):
        return text
    return "".join(c if _encodable(c) else _nearest(c) for c in text)


def jis_form(text: str) -> str:
    """``text`` as a JIS X 0208-only system writes it: every variant of :data:`NEAREST`
    (CP932 extensions included) replaced, compatibility ideographs folded by NFKC."""
    text = _SELECTORS.sub("", text)
    out = []
    for c in text:
        if c in NEAREST:
            out.append(NEAREST[c])
        elif _jis0208(c) or c.isascii():
            out.append(c)
        else:
            out.append(_nearest(c))
    return "".join(out)


def needs_substitution(text: str) -> bool:
    """Whether the Shift_JIS export writes ``text`` otherwise than it is registered."""
    return cp932_form(text) != text


def differs_only_by_gaiji(registered: str, written: str) -> bool:
    """Whether ``written`` (a roster's cell, read with NFKC) is ``registered`` as a CP932
    or JIS X 0208 export writes it: the same name, so the registered form stays."""
    if registered == written:
        return False
    folded = unicodedata.normalize("NFKC", registered)
    return written in (folded, cp932_form(registered), jis_form(registered))


#: CJK compatibility ideographs (NFKC replaces most of them by their unified forms).
_COMPATIBILITY = re.compile("[\uf900-\ufaff\U0002f800-\U0002fa1f]")


def read_alike(registered: str, written: str) -> bool:
    """Whether ``written`` is ``registered`` as the spreadsheet reader gives every cell (NFKC:
    a full-width space or letter), without a compatibility ideograph changed (that is 外字)."""
    return written == unicodedata.normalize("NFKC", registered) and not _COMPATIBILITY.search(
        registered
    )

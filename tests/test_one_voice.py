"""One voice: the glossary's never-words and Japanese punctuation, everywhere text is written.

The words come from the table 「Words we never use」 of ``docs/glossary.md`` (the one
source: add a word there and this test refuses it). Scanned: every template (pages and
mail), every msgstr of the Japanese catalogue, and the Japanese strings of the modules
that write files people read (export headers, the certificate PDF). Japanese text also
keeps to full-width punctuation: a half-width 「,」「.」「:」「(」「)」「!」「?」 beside a
Japanese character is a slip; codes, addresses, numbers and placeholders are left alone.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
GLOSSARY = ROOT / "docs" / "glossary.md"
NEVER_HEADING = "## Words we never use"
#: Modules whose Japanese strings end up in files people read (headers, the certificate).
WRITERS = (
    "regional/registrations/exports.py",
    "regional/people/roster_export.py",
    "regional/records/services.py",
    "regional/growth/pdf.py",
    "regional/workbooks.py",
)
JAPANESE = "\u3000-\u303f\u3040-\u30ff\u3400-\u9fff\uff01-\uff60"
#: A full stop before a letter or digit is part of a code or a file name (「（.ics）」).
MARK = r"(?:[,:!?()]|\.(?![A-Za-z0-9]))"
ASCII_PUNCTUATION = re.compile(rf"(?<=[{JAPANESE}])\s?{MARK}|{MARK}\s?(?=[{JAPANESE}])")
#: What is not prose: placeholders, template code, tags, addresses.
NOT_PROSE = re.compile(
    r"%\([A-Za-z_]\w*\)[sdfr]|%[sd]|\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}|\{\w*\}"
    r"|<[^>]*>|https?://\S+|[\w.+-]+@[\w.-]+",
    re.S,
)
#: English msgids inside templates (their Japanese is the catalogue's, scanned there).
GETTEXT_CALL = re.compile(r"""_\(\s*(["'])(?:\\.|(?!\1).)*\1""", re.S)


@dataclass(frozen=True)
class Never:
    word: str
    instead: str
    allowed_inside: tuple[str, ...]

    def found_in(self, text: str) -> bool:
        for longer in self.allowed_inside:
            text = text.replace(longer, "")
        return self.word in text


def never_words(glossary: str) -> list[Never]:
    """The rows of the glossary's never table: the word, what to write, where it may stand."""
    section = glossary.split(NEVER_HEADING, 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")][2:]
    words = []
    for row in rows:
        never, instead, inside = (cell.strip() for cell in row.strip("|").split("|"))
        allowed = tuple(w.strip() for w in inside.split(",") if w.strip())
        words.append(Never(never, instead, allowed))
    return words


def ascii_punctuation(text: str) -> list[str]:
    """Each half-width mark beside Japanese, with a little of its surroundings."""
    prose = NOT_PROSE.sub(" ", text)
    return [prose[max(m.start() - 8, 0) : m.end() + 8] for m in ASCII_PUNCTUATION.finditer(prose)]


def catalogue_texts() -> list[tuple[str, str]]:
    with (ROOT / "translations/ja/LC_MESSAGES/messages.po").open("rb") as fh:
        catalog = read_po(fh, locale="ja")
    out = []
    for m in catalog:
        if not m.id:
            continue
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        msgid = m.id if isinstance(m.id, str) else m.id[0]
        out += [(f"ja catalogue: {msgid[:60]!r}", s) for s in strings if s]
    return out


def template_texts() -> list[tuple[str, str]]:
    return [
        (str(path.relative_to(ROOT)), path.read_text(encoding="utf-8"))
        for path in sorted((ROOT / "regional" / "templates").rglob("*"))
        if path.suffix in (".html", ".txt")
    ]


GETTEXT_NAMES = {"_", "_l", "gettext", "lazy_gettext", "ngettext"}


def writer_texts() -> list[tuple[str, str]]:
    """Japanese string constants (f-strings' pieces too) of the modules that write files;
    not docstrings, and not msgids (English; their Japanese is the catalogue's)."""
    out = []
    for name in WRITERS:
        tree = ast.parse((ROOT / name).read_text(encoding="utf-8"))
        msgids = {
            id(arg)
            for node in ast.walk(tree)
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in GETTEXT_NAMES
            for arg in node.args
        }
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
                continue
            if id(node) in msgids or _is_docstring(tree, node):
                continue
            if re.search(f"[{JAPANESE}]", node.value):
                out.append((f"{name}:{node.lineno}", node.value))
    return out


def _is_docstring(tree: ast.AST, node: ast.Constant) -> bool:
    return any(
        isinstance(body, list) and body and isinstance(body[0], ast.Expr) and body[0].value is node
        for body in (getattr(parent, "body", None) for parent in ast.walk(tree))
    )


def _never_slips(texts: list[tuple[str, str]]) -> list[str]:
    words = never_words(GLOSSARY.read_text(encoding="utf-8"))
    return [
        f"{where}: {w.word} (write {w.instead})"
        for where, text in texts
        for w in words
        if w.found_in(text)
    ]


# -- the glossary is the source --------------------------------------------------------


def test_the_glossary_lists_the_never_words_the_issue_named():
    words = {w.word for w in never_words(GLOSSARY.read_text(encoding="utf-8"))}
    assert {"申込済み", "承認しない", "審査待ち", "ふりがな", "この団体", "市町村"} <= words
    assert {"却下", "構成団体", "サインイン", "解放", "キャンセル"} <= words
    cancel = next(
        w for w in never_words(GLOSSARY.read_text(encoding="utf-8")) if w.word == "キャンセル"
    )
    assert cancel.found_in("キャンセルする") and not cancel.found_in("キャンセル待ち3番目")


def test_the_readme_links_the_glossary():
    assert "(docs/glossary.md)" in (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("text", "slips"),
    [
        ("令和6年度 (FY2024)", 1),
        ("岡山市, 津山市", 1),
        ("研修: 情報セキュリティ", 1),
        ("（必須）", 0),
        ("%(name)sさん", 0),
        ("{{ n }}件、https://example.jp/a?b=1 を見てください", 0),
        ("3.5時間", 0),
        ("ABC-101（2026-12-07）", 0),
        ("登録しました!", 1),
        ("カレンダーに追加（.ics）", 0),
        ("研修名.", 1),
    ],
)
def test_the_punctuation_rule_catches_slips_and_leaves_codes_alone(text, slips):
    assert len(ascii_punctuation(text)) == slips


# -- everything written ----------------------------------------------------------------


def test_the_japanese_catalogue_keeps_to_the_glossary():
    assert _never_slips(catalogue_texts()) == []


def test_templates_and_mail_keep_to_the_glossary():
    assert _never_slips(template_texts()) == []


def test_exports_and_the_certificate_keep_to_the_glossary():
    assert _never_slips(writer_texts()) == []


def test_japanese_text_takes_full_width_punctuation():
    texts = catalogue_texts() + writer_texts()
    texts += [(where, GETTEXT_CALL.sub(" ", text)) for where, text in template_texts()]
    slips = [(where, bit) for where, text in texts for bit in ascii_punctuation(text)]
    assert slips == []


def test_mail_subjects_name_the_year_alone():
    """「令和8年度の必須研修…」, never 「令和8年度 / FY2026の必須研修…」 in a Japanese subject."""
    subjects = {
        path.name: path.read_text(encoding="utf-8").splitlines()[0]
        for path in sorted((ROOT / "regional" / "templates" / "mail").glob("*.txt"))
        if path.read_text(encoding="utf-8").strip()
    }
    assert [name for name, line in subjects.items() if "fy_label" in line] == []
    assert "fy_name" in subjects["required_training_reminder.txt"]

"""IPA's national IT exams as data (``data/ipa_exams.toml``), plus "other" certificates."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

OTHER = "other"
_FILE = Path(__file__).resolve().parent / "data" / "ipa_exams.toml"


@dataclass(frozen=True)
class Exam:
    code: str
    level: int
    name_ja: str
    name_en: str

    def name(self, locale: str) -> str:
        return self.name_en if locale == "en" else self.name_ja


@cache
def exams() -> tuple[Exam, ...]:
    """Every IPA exam, by level then in the file's order."""
    with _FILE.open("rb") as fh:
        raw = tomllib.load(fh)["exam"]
    return tuple(sorted((Exam(**e) for e in raw), key=lambda e: e.level))


def exam_by_code(code: str) -> Exam | None:
    return next((e for e in exams() if e.code == code), None)


def exam_codes() -> list[str]:
    """Codes a qualification may name: the IPA exams, then ``other``."""
    return [e.code for e in exams()] + [OTHER]

"""Keyword search of the catalogue, in the reader's language, with synonyms, ranked.

A typed query is split at spaces; every word must match (in the title with the code, or
in the description). Each word matches as itself or as any word of a synonym group it
belongs to (:class:`~regional.catalogue.models.SynonymGroup`). Both sides are folded
and spaced as :mod:`regional.catalogue.normalise` says, so Latin words match at word
boundaries and Japanese anywhere.

The reader's language decides the columns read: a Japanese reader's search reads the
Japanese title and description (the English only where a programme has no Japanese),
an English reader's the English ones (the Japanese where there is no English).

The databases' own trigram search finds the rows: on PostgreSQL ``LIKE`` on columns
with pg_trgm GIN indexes; on SQLite the FTS5 table ``programs_fts`` (trigram tokenizer,
kept in step with ``programs`` by triggers) for patterns of three characters or more,
``LIKE`` on the same columns for shorter ones (「統計」: trigrams need three).

Rank: per word, a match in the title as typed (0), in the title by a synonym (1), in the
description as typed (2), in the description by a synonym (3); the programmes with the
smallest sum first, then in catalogue order.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import reduce
from operator import add
from pathlib import Path
from types import SimpleNamespace

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, and_, case, column, literal, or_, select, table

from regional.audit import record_audit_across
from regional.catalogue.models import Program, SynonymGroup
from regional.catalogue.normalise import fold, pattern
from regional.errors import DomainError
from regional.extensions import db
from regional.people.models import User
from tenants import all_tenants
from tenants.models import Municipality

SYNONYMS_FILE = Path(__file__).parent / "data" / "synonyms.toml"
#: Trigrams need three characters: a shorter pattern is a plain LIKE.
TRIGRAM = 3
#: Bounds of one synonym group and of the list.
MAX_GROUP_WORDS = 12
MAX_WORD = 40
MAX_GROUPS = 1000

_FTS = table("programs_fts", column("rowid"), column("programs_fts"))


def seed_groups() -> list[list[str]]:
    """The groups the platform comes with (``data/synonyms.toml``)."""
    with SYNONYMS_FILE.open("rb") as fh:
        return [list(g) for g in tomllib.load(fh)["groups"]]


@dataclass(frozen=True)
class Term:
    """One typed word: the pattern it matches as typed, and those of its synonyms."""

    typed: str
    exact: str
    synonyms: tuple[str, ...]


def synonyms_of() -> dict[str, set[str]]:
    """Folded word -> the other words of every group it is in (as written)."""
    out: dict[str, set[str]] = {}
    for words in db.session.scalars(select(SynonymGroup.words)):
        for word in words:
            out.setdefault(fold(word), set()).update(w for w in words if fold(w) != fold(word))
    return out


def terms_of(words: list[str]) -> list[Term]:
    """The typed words (folded, :func:`~regional.catalogue.normalise.search_words`) with
    their synonyms' patterns."""
    if not words:
        return []
    table_ = synonyms_of()
    out = []
    for word in words:
        exact = pattern(word)
        others = sorted({pattern(w) for w in table_.get(word, ())} - {exact})
        out.append(Term(word, exact, tuple(others)))
    return out


def _columns(locale: str):
    if locale == "en":
        return Program.search_title_en, Program.search_body_en
    return Program.search_title_ja, Program.search_body_ja


def _like(col, patterns) -> ColumnElement[bool]:
    # autoescape: a typed % or _ is a character, not a LIKE wildcard.
    return or_(*(col.contains(p, autoescape=True) for p in patterns))


def _fts_phrase(p: str) -> str:
    return '"' + p.replace('"', '""') + '"'


def _found(term: Term, title, body, dialect: str) -> ColumnElement[bool]:
    """The rows where the term (or a synonym) is in the title or description."""
    patterns = (term.exact, *term.synonyms)
    if dialect != "sqlite":
        return or_(_like(title, patterns), _like(body, patterns))
    long = [p for p in patterns if len(p) >= TRIGRAM]
    short = [p for p in patterns if len(p) < TRIGRAM]
    parts = []
    if long:
        phrases = " OR ".join(map(_fts_phrase, long))
        query = f"{{{title.key} {body.key}}} : ({phrases})"
        parts.append(Program.id.in_(select(_FTS.c.rowid).where(_FTS.c.programs_fts.match(query))))
    if short:
        parts += [_like(title, short), _like(body, short)]
    return or_(*parts)


def _rank(term: Term, title, body) -> ColumnElement[int]:
    whens = [(_like(title, [term.exact]), 0)]
    if term.synonyms:
        whens.append((_like(title, term.synonyms), 1))
    whens.append((_like(body, [term.exact]), 2))
    return case(*whens, else_=3)


def matching(stmt: Select, words: list[str], locale: str) -> Select:
    """``stmt`` (of programmes) narrowed to the words and ordered by rank."""
    terms = terms_of(words)
    if not terms:
        return stmt
    title, body = _columns(locale)
    dialect = db.session.get_bind().dialect.name
    stmt = stmt.where(and_(*(_found(t, title, body, dialect) for t in terms)))
    rank = reduce(add, (_rank(t, title, body) for t in terms), literal(0))
    return stmt.order_by(None).order_by(rank, Program.tier, Program.track, Program.code)


# -- the synonym list (regional administrators) ---------------------------------------


def split_words(text: str) -> list[str]:
    """Words of a group as typed: separated by commas (、，,) or spaces; repeats dropped."""
    for sep in "、，,\u3000":
        text = text.replace(sep, " ")
    seen, out = set(), []
    for word in text.split():
        if fold(word) not in seen:
            seen.add(fold(word))
            out.append(word)
    return out


def groups() -> list[SynonymGroup]:
    return list(db.session.scalars(select(SynonymGroup).order_by(SynonymGroup.id)))


def _audit(action: str, group: SynonymGroup, actor_id: int) -> None:
    """In the coordinating city's trail, as changes of the shared catalogue are."""
    with all_tenants(db.session):
        home = db.session.scalar(select(Municipality.id).where(Municipality.coordinating))
        row = db.session.execute(
            select(User.id, User.name, User.email).where(User.id == actor_id)
        ).first()
    actor = SimpleNamespace(id=row.id, name=row.name, email=row.email) if row else None
    words = list(group.words)
    record_audit_across(
        action,
        municipality_id=home,
        subject_type="synonyms",
        subject_id=group.id,
        subject_label=" ⇔ ".join(words),
        before={"words": words} if action == "synonyms.remove" else None,
        after={"words": words} if action == "synonyms.add" else None,
        actor=actor,
    )


def add_group(words: list[str], actor_id: int) -> SynonymGroup:
    """A new group of words searched as one (at least two different words)."""
    if len({fold(w) for w in words}) < 2:
        raise DomainError("too_few_words", _l("Give at least two different words."), field="words")
    if len(words) > MAX_GROUP_WORDS or any(len(w) > MAX_WORD for w in words):
        raise DomainError(
            "too_many_words",
            _l("A group has at most 12 words of at most 40 characters."),
            field="words",
        )
    if db.session.scalar(select(db.func.count()).select_from(SynonymGroup)) >= MAX_GROUPS:
        raise DomainError("too_many_groups", _l("The list holds at most 1,000 groups."))
    wanted = sorted(fold(w) for w in words)
    if any(sorted(fold(w) for w in g.words) == wanted for g in groups()):
        raise DomainError("duplicate_group", _l("These words are already a group."), field="words")
    group = SynonymGroup(words=words, added_by_id=actor_id)
    db.session.add(group)
    db.session.flush()
    _audit("synonyms.add", group, actor_id)
    return group


def remove_group(group: SynonymGroup, actor_id: int) -> None:
    _audit("synonyms.remove", group, actor_id)
    db.session.delete(group)
    db.session.flush()

"""What a change of the rules would do to the figures, shown before it is saved.

:func:`effect_of` applies the change inside a savepoint, lets the flush hooks count again
(regional.targets.tallies), reads the figures, and rolls the savepoint back: nothing is
kept, and the numbers shown are the ones the real save would produce. Used by the measure
form (a retroactive re-definition moves past years) and by the catalogue's programme form
(a programme added to, retired from or moved between persona tracks changes what people
still need from today).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from regional import fiscal
from regional.targets import rules, tallies
from regional.targets.models import Measure, MeasureKind
from tenants import all_tenants
from tenants.models import Municipality


@dataclass(frozen=True)
class CountChange:
    code: str
    name_ja: str
    name_en: str
    key: str
    fiscal_year: int
    before: int
    after: int


@dataclass
class KeyEffect:
    """One persona key: programmes needed before and after, and who it touches today."""

    key: str
    need_before: int | None
    need_after: int | None
    #: municipality code -> people part-way (some programmes done, not reached) after it
    partway: dict[str, int] = field(default_factory=dict)
    #: municipality code -> people who would reach the persona on the day of the change
    reached_now: dict[str, int] = field(default_factory=dict)


@dataclass
class Effect:
    today: date
    changes: list[CountChange]
    keys: list[KeyEffect]
    labels: dict[str, Measure]
    #: municipality code -> (name in Japanese, in English)
    names: dict[str, tuple[str, str]] = field(default_factory=dict)

    def name(self, code: str, locale: str) -> str:
        ja, en = self.names.get(code, (code, code))
        return en if locale == "en" else ja

    @property
    def past_changes(self) -> list[CountChange]:
        """Changes to fiscal years already over: figures a member may have reported."""
        current = fiscal.fiscal_year_of(self.today)
        return [c for c in self.changes if c.fiscal_year < current]

    @property
    def empty(self) -> bool:
        return not self.changes and not self.keys


def _figures(session: Session) -> tuple[dict, dict, rules.RuleBook]:
    conn = session.connection()
    counts, persona, _annual = tallies.stored(conn)
    return counts, persona, rules.read_book(conn)


def effect_of(session: Session, apply: Callable[[], object]) -> Effect:
    """The figures before and after ``apply()``, which is then undone (a savepoint)."""
    with all_tenants(session):
        members = {m.id: m for m in session.scalars(select(Municipality))}
    measures = {m.key: m for m in session.scalars(Measure.ordered())}
    session.flush()
    counts0, persona0, book0 = _figures(session)
    savepoint = session.begin_nested()
    try:
        apply()
        session.flush()
        counts1, persona1, book1 = _figures(session)
    finally:
        savepoint.rollback()
    changes = []
    for mid, key, fy in sorted(set(counts0) | set(counts1)):
        before, after = counts0.get((mid, key, fy), 0), counts1.get((mid, key, fy), 0)
        if before != after and mid in members:
            m = members[mid]
            changes.append(CountChange(m.code, m.name_ja, m.name_en, key, fy, before, after))
    keys = []
    for key, measure in measures.items():
        if measure.kind != MeasureKind.PERSONA:
            continue
        v0, v1 = book0.current(key), book1.current(key)
        need0 = v0.need if v0 else None
        need1 = v1.need if v1 else None
        if need0 == need1 and (v0 and v1 and v0.programs == v1.programs):
            continue
        effect = KeyEffect(key, need0, need1)
        partway: dict[str, int] = defaultdict(int)
        reached: dict[str, int] = defaultdict(int)
        for (mid, _eid, k), (done, day) in persona1.items():
            if k != key or mid not in members:
                continue
            code = members[mid].code
            if day is None and done:
                partway[code] += 1
            old = persona0.get((mid, _eid, k))
            if day is not None and (old is None or old[1] is None):
                reached[code] += 1
        effect.partway, effect.reached_now = dict(partway), dict(reached)
        keys.append(effect)
    names = {m.code: (m.name_ja, m.name_en) for m in members.values()}
    return Effect(fiscal.today(), changes, keys, measures, names)


def preview_catalogue_change(change: Callable[[], object]) -> Effect | None:
    """The catalogue's hook (regional.catalogue.effects): the effect, if it touches a figure."""
    from regional.extensions import db

    effect = effect_of(db.session, change)
    return None if effect.empty else effect

"""The council's one page: every member against the policy's targets, and one member's report.

A mayor, a council or a 課長 reads one A4 page. Every figure on it is the dashboards' own
(:func:`regional.targets.progress.region_progress` and ``municipality_progress``, judged on
the same day): this module only arranges them into rows and cells, and the page, its print
and its XLSX are all drawn from what :func:`council_matrix` and :func:`member_report`
return. A later year-end close feeds a closed year's frozen figures through these two
functions, so nothing else has to change.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from regional.dashboards import tables
from regional.dashboards.exports import Col, Sheet, Table
from regional.i18n import locale_code
from regional.targets.measures import measures_by_key
from regional.targets.progress import (
    NO_COVERAGE,
    Coverage,
    MunicipalityProgress,
    RegionProgress,
    TargetProgress,
    as_of_day,
    region_progress,
)

#: What the coverage figures count, said once under the table.
COVERAGE_RULE = _l(
    "Coverage: divisions (課 and 課相当) with at least one core digital-technology person, "
    "and sections (係 and 係相当) with at least two project-management people, of all."
)


@dataclass(frozen=True)
class Column:
    key: str
    label: str


@dataclass(frozen=True)
class MatrixRow:
    #: The member's code; None on the regional totals' row.
    code: str | None
    name: str
    #: One per column, in the columns' order; None where the member has no target for the key.
    cells: tuple[TargetProgress | None, ...]
    #: None where coverage is not counted (the region's row; a page that leaves it out).
    coverage: Coverage | None
    #: A closed year: who closed it and when (the row's figures are as reported).
    closed: Any = None


@dataclass(frozen=True)
class CouncilMatrix:
    fiscal_year: int
    #: The day the figures are judged at (today, or the last day of a year already over).
    as_of: date
    columns: tuple[Column, ...]
    members: tuple[MatrixRow, ...]
    totals: MatrixRow

    @property
    def has_coverage(self) -> bool:
        return any(row.coverage is not None for row in self.members)

    @property
    def has_targets(self) -> bool:
        """Whether any member has a target (else the page says so instead of an empty grid)."""
        return any(tp is not None for tp in self.totals.cells)


@dataclass(frozen=True)
class MemberReport:
    fiscal_year: int
    as_of: date
    code: str
    name: str
    targets: tuple[TargetProgress, ...]
    coverage: Coverage
    #: The fiscal years of the trend table, oldest first.
    years: tuple[int, ...]
    #: A closed year: its figures are as reported (closing.ClosedYear).
    closed: Any = None


def _name(mp: MunicipalityProgress) -> str:
    return mp.name_en if locale_code() == "en" else mp.name_ja


def council_matrix(rp: RegionProgress, labels: Mapping[str, str], today: date) -> CouncilMatrix:
    """Members (rows, in the members' order) × targets (columns, in the order of ``labels``:
    the measures'), with each member's coverage and the regional totals as the last row."""
    columns = [Column(key, label) for key, label in labels.items()]
    known = set(labels)
    for tp in [t for mp in rp.members for t in mp.targets] + list(rp.totals):
        if tp.key not in known:  # a target whose measure is gone: shown, after the measures
            known.add(tp.key)
            columns.append(Column(tp.key, tp.label))

    def cells(targets) -> tuple[TargetProgress | None, ...]:
        by_key = {tp.key: tp for tp in targets}
        return tuple(by_key.get(c.key) for c in columns)

    members = tuple(
        MatrixRow(
            code=mp.code,
            name=_name(mp),
            cells=cells(mp.targets),
            coverage=None if mp.coverage is NO_COVERAGE else mp.coverage,
            closed=mp.closed,
        )
        for mp in rp.members
    )
    return CouncilMatrix(
        fiscal_year=rp.fiscal_year,
        as_of=as_of_day(rp.fiscal_year, today),
        columns=tuple(columns),
        members=members,
        totals=MatrixRow(
            code=None, name=_("Regional totals"), cells=cells(rp.totals), coverage=None
        ),
    )


def measure_labels(session: Session) -> dict[str, str]:
    """The policy's targets in the measures' order, labelled in the reader's language."""
    lang = locale_code()
    return {key: m.label(lang) for key, m in measures_by_key(session).items()}


def region_matrix(
    session: Session, fiscal_year: int, *, today: date, coverage: bool = True
) -> CouncilMatrix:
    """The region's matrix for FY, from ``region_progress`` judged on ``today``."""
    rp = region_progress(session, fiscal_year, today=today, coverage=coverage)
    return council_matrix(rp, measure_labels(session), today)


def member_report(mp: MunicipalityProgress, today: date) -> MemberReport:
    """One member's targets (the dashboard's rows), its coverage and its trend by year."""
    return MemberReport(
        fiscal_year=mp.fiscal_year,
        as_of=as_of_day(mp.fiscal_year, today),
        code=mp.code,
        name=_name(mp),
        targets=tuple(mp.targets),
        coverage=mp.coverage,
        years=tuple(sorted({fy for tp in mp.targets for fy, _n in tp.by_year})),
        closed=mp.closed,
    )


# -- the same page as one XLSX sheet ------------------------------------------------------


def heading(title: str, fiscal_year: int, as_of: date, closed=None) -> tuple[str, ...]:
    """The lines above a report's table: its title, the fiscal year (with its close, when
    the year was closed), the day of the figures."""
    from types import SimpleNamespace

    from regional.main.helpers import local_day

    year = tables.year_title(fiscal_year, SimpleNamespace(closed=closed))
    return (title, year, _("Figures as of %(day)s", day=local_day(as_of)))


def _coverage_values(cov: Coverage | None) -> list[object]:
    if cov is None:
        return [None, None, None, None]
    return [
        cov.divisions_covered,
        cov.divisions_total,
        cov.sections_covered,
        cov.sections_total,
    ]


def council_sheet(matrix: CouncilMatrix, title: str) -> Sheet:
    """The matrix on one sheet that prints on one A4 landscape page: per target its people
    counted, target, share and standing (numbers as numbers, shares as percentages)."""
    per_target = (
        Col(_("Counted"), "int", 8),
        Col(_("Target (people)"), "int", 8),
        Col(_("Share of target"), "rate", 8),
        Col(_("Standing"), "text", 16, wrap=True),
    )
    coverage = (
        Col(_("Divisions covered"), "int", 7),
        Col(_("Divisions"), "int", 7),
        Col(_("Sections covered"), "int", 7),
        Col(_("Sections"), "int", 7),
    )
    columns = [Col(_("Municipality"), "text", 12)]
    groups: list[tuple[str, int]] = [("", 1)]
    for c in matrix.columns:
        columns += per_target
        groups.append((c.label, len(per_target)))
    if matrix.has_coverage:
        columns += coverage
        groups.append((_("Coverage by division and section"), len(coverage)))

    def row(r: MatrixRow) -> list[object]:
        values: list[object] = [r.name]
        for tp in r.cells:
            if tp is None:
                values += [None, None, None, _("No target set")]
            else:
                values += [tp.achieved, tp.target, tables.rate(tp), tables.standing(tp)]
        if matrix.has_coverage:
            values += _coverage_values(r.coverage)
        return values

    notes = [str(tables.PLAN_RULE)]
    if matrix.has_coverage:
        notes.append(str(COVERAGE_RULE))
    return Sheet(
        title=_("Council report"),
        heading=heading(title, matrix.fiscal_year, matrix.as_of),
        columns=columns,
        groups=groups,
        freeze_columns=1,
        rows=[row(r) for r in matrix.members] + [row(matrix.totals)],
        notes=notes,
        one_page=True,
    )


def member_sheet(report: MemberReport, title: str) -> Sheet:
    """One member's report on one sheet: its targets, its coverage and the trend by year."""
    cov = report.coverage
    return Sheet(
        title=_("Council report"),
        heading=heading(title, report.fiscal_year, report.as_of, report.closed),
        columns=(
            Col(_("Target"), "text", 30, wrap=True),
            Col(_("Period"), "text", 22, wrap=True),
            Col(_("Counted"), "int", 10),
            Col(_("Target (people)"), "int", 10),
            Col(_("Plan by now"), "int", 10),
            Col(_("Share of target"), "rate", 10),
            Col(_("Standing"), "text", 26, wrap=True),
            Col(_("Next person due by"), "date", 14),
        ),
        rows=[
            [
                tp.label,
                tables.period_text(tp),
                tp.achieved,
                tp.target,
                tp.expected_by_now,
                tables.rate(tp),
                tables.standing(tp),
                tp.next_due_on,
            ]
            for tp in report.targets
        ],
        more=(
            Table(
                _("Coverage by division and section"),
                (
                    Col(_("Level"), "text"),
                    Col(_("Covered"), "int"),
                    Col(_("Of"), "int"),
                    Col(_("Share"), "rate"),
                ),
                [
                    [
                        _("Divisions"),
                        cov.divisions_covered,
                        cov.divisions_total,
                        _share(cov.divisions_covered, cov.divisions_total),
                    ],
                    [
                        _("Sections"),
                        cov.sections_covered,
                        cov.sections_total,
                        _share(cov.sections_covered, cov.sections_total),
                    ],
                ],
            ),
            Table(
                _("People counted per fiscal year"),
                [Col(_("Target"), "text")] + [Col(tables.fy_short(y), "int") for y in report.years],
                [
                    [tp.label] + [dict(tp.by_year).get(y, 0) for y in report.years]
                    for tp in report.targets
                ],
            ),
        ),
        notes=(str(tables.PLAN_RULE), str(COVERAGE_RULE)),
        one_page=True,
    )


def _share(covered: int, total: int) -> float | None:
    return covered / total if total else None

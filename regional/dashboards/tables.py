"""What a dashboard says about a target, in words and in rows: pages, print and exports share it."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from regional.dashboards.charts import ProgressRow
from regional.dashboards.exports import Col, Sheet
from regional.fiscal import fiscal_year_label
from regional.i18n import locale_code

STATUS_LABELS = {
    "achieved": _l("Target achieved"),
    "on_track": _l("On plan"),
    "behind": _l("Behind plan"),
    "not_started": _l("Not started"),
    "ended": _l("Plan period ended"),
}
#: The rule, said once on every page that shows a status.
PLAN_RULE = _l(
    "The plan line rises evenly from the first day of the period to its last and is rounded "
    "up, so the first person is due from the first day; “Not started” means nobody is "
    "counted yet while the line has begun."
)
KIND_LABELS = {"cumulative": _l("Cumulative"), "annual": _l("Per fiscal year")}


def fy_short(fy: int) -> str:
    return fiscal_year_label(fy, locale_code())


def period_text(tp) -> str:
    """'令和6年度～令和8年度' / 'FY2024 (Reiwa 6) – FY2026 (Reiwa 8)'; one year alone if equal;
    '令和6年度から毎年度' / 'every year from FY2024 (Reiwa 6)' for an open-ended annual target."""
    if tp.period_end_fy is None:
        return _("every year from %(fy)s", fy=fy_short(tp.period_start_fy))
    if tp.period_start_fy == tp.period_end_fy:
        return fy_short(tp.period_start_fy)
    sep = "～" if locale_code() == "ja" else " – "
    return f"{fy_short(tp.period_start_fy)}{sep}{fy_short(tp.period_end_fy)}"


def gap(tp) -> int | None:
    """People ahead of (+) or behind (−) the plan line; None without a plan figure."""
    return None if tp.expected_by_now is None else tp.achieved - tp.expected_by_now


class _Grouped(int):
    """A count that prints with thousands separators (1,733). ngettext fills %(num)s with
    the count it chooses the plural form by, so the formatting has to travel with it."""

    def __str__(self) -> str:
        return f"{int(self):,}"


def standing(tp) -> str:
    """Where a target stands, in words, with how many people: never colour alone."""
    diff = gap(tp)
    if tp.status == "achieved":
        return _("Target achieved (%(n)s of %(t)s)", n=f"{tp.achieved:,}", t=f"{tp.target:,}")
    if tp.status == "behind" and diff is not None and diff < 0:
        return ngettext(
            "Behind plan by %(num)s person", "Behind plan by %(num)s people", _Grouped(-diff)
        )
    if tp.status == "on_track" and diff is not None and diff > 0:
        return ngettext(
            "On plan, %(num)s person ahead", "On plan, %(num)s people ahead", _Grouped(diff)
        )
    return str(STATUS_LABELS.get(tp.status, tp.status))


def due_text(tp) -> str:
    """ "Next person due by <day>", or "" where nothing is due (met, ended, not begun)."""
    if tp.next_due_on is None:
        return ""
    from regional import fiscal
    from regional.main.helpers import local_day

    if tp.next_due_on < fiscal.today():
        return _("Next person overdue since %(day)s", day=local_day(tp.next_due_on))
    return _("Next person due by %(day)s", day=local_day(tp.next_due_on))


def year_title(fy: int, mp=None) -> str:
    """'令和7年度' or, for a closed year, '令和7年度（締め済み　令和8年4月15日）'."""
    from regional.fiscal import era_day, fiscal_year_label

    lang = locale_code()
    name = fiscal_year_label(fy, lang)
    closed = getattr(mp, "closed", None)
    if closed is None:
        return name
    return _("%(year)s (closed on %(day)s)", year=name, day=era_day(closed.day, lang))


def correction_text(tp) -> str:
    """「締め後の修正」 of a closed year's figure: what it counts now, and the difference."""
    if tp.achieved_now is None:
        return ""
    diff = tp.achieved_now - tp.achieved
    sign = "+" if diff > 0 else "−"
    return _(
        "Corrected after the close: %(now)s now (%(diff)s)",
        now=f"{tp.achieved_now:,}",
        diff=f"{sign}{abs(diff):,}",
    )


def period_note(tp) -> str:
    """What to say when no plan period covers the year (the figures are of the last one)."""
    if not tp.no_current_period:
        return ""
    return _("No plan period covers this year: set the next one on the targets page.")


def rate(tp) -> float | None:
    return tp.achieved / tp.target if tp.target else None


def bar_shares(tp) -> tuple[float, float | None]:
    """A target's bar in percent of the target: the filled part, and the plan-by-now mark."""
    if not tp.target:
        return 0.0, None

    def share(value: int) -> float:
        return round(min(max(value, 0), tp.target) / tp.target * 100, 1)

    plan = None if tp.expected_by_now is None else share(tp.expected_by_now)
    return share(tp.achieved), plan


def progress_rows(targets) -> list[ProgressRow]:
    return [
        ProgressRow(
            label=tp.label,
            achieved=tp.achieved,
            target=tp.target,
            expected=tp.expected_by_now,
            status=standing(tp),
            status_key=tp.status,
        )
        for tp in targets
    ]


@dataclass(frozen=True)
class UnitRow:
    path: str
    equivalent: bool
    have: int
    need: int
    candidates: str


def target_sheet(mp, heading: tuple[str, ...] = ()) -> Sheet:
    """The municipality's targets: one row each, the numbers the charts draw."""
    return Sheet(
        title=_("Targets"),
        heading=heading,
        columns=(
            Col(_("Target"), "text", 34),
            Col(_("Kind"), "text", 12),
            Col(_("Period"), "text", 24),
            Col(_("Target (people)"), "int", 12),
            Col(_("Counted"), "int", 10),
            Col(_("Plan by now"), "int", 12),
            Col(_("Ahead (+) / behind (−)"), "int", 14),
            Col(_("Share of target"), "rate", 12),
            Col(_("Standing"), "text", 28),
            Col(_("Eligible population"), "int", 14),
        ),
        rows=[
            [
                tp.label,
                str(KIND_LABELS.get(tp.kind, tp.kind)),
                period_text(tp),
                tp.target,
                tp.achieved,
                tp.expected_by_now,
                gap(tp),
                rate(tp),
                standing(tp),
                tp.population,
            ]
            for tp in mp.targets
        ],
    )


def trend_sheet(mp, heading: tuple[str, ...] = ()) -> Sheet:
    """People counted per fiscal year, per target."""
    years = sorted({fy for tp in mp.targets for fy, _n in tp.by_year})
    cols = [Col(_("Target"), "text", 34)] + [Col(fy_short(fy), "int", 16) for fy in years]
    rows = []
    for tp in mp.targets:
        counts = dict(tp.by_year)
        rows.append([tp.label] + [counts.get(fy, 0) for fy in years])
    return Sheet(title=_("Trend by year"), heading=heading, columns=cols, rows=rows)


def coverage_sheet(mp, heading: tuple[str, ...] = ()) -> Sheet:
    """Uncovered divisions and sections, with who could close each gap."""
    rows = []
    for label, units in (
        (_("Division"), mp.coverage.uncovered_divisions),
        (_("Section"), mp.coverage.uncovered_sections),
    ):
        for u in units:
            rows.append(
                [label, u.path, u.have, u.need, "、".join(name for _id, name in u.candidates)]
            )
    return Sheet(
        title=_("Uncovered units"),
        heading=heading,
        columns=(
            Col(_("Level"), "text", 8),
            Col(_("Unit"), "text", 44),
            Col(_("Have"), "int", 8),
            Col(_("Need"), "int", 8),
            Col(_("Candidates (part-way through the track)"), "text", 50),
        ),
        rows=rows,
    )


def members_sheet(rp, heading: tuple[str, ...] = ()) -> Sheet:
    """The region: one row per member and target."""
    rows = []
    for mp in rp.members:
        name = mp.name_en if locale_code() == "en" else mp.name_ja
        for tp in mp.targets:
            rows.append(
                [
                    mp.code,
                    name,
                    tp.label,
                    tp.target,
                    tp.achieved,
                    tp.expected_by_now,
                    gap(tp),
                    rate(tp),
                    standing(tp),
                ]
            )
    return Sheet(
        title=_("Members"),
        heading=heading,
        columns=(
            Col(_("Municipality code"), "text", 9),
            Col(_("Municipality"), "text", 14),
            Col(_("Target"), "text", 34),
            Col(_("Target (people)"), "int", 12),
            Col(_("Counted"), "int", 10),
            Col(_("Plan by now"), "int", 12),
            Col(_("Ahead (+) / behind (−)"), "int", 14),
            Col(_("Share of target"), "rate", 12),
            Col(_("Standing"), "text", 28),
        ),
        rows=rows,
    )


def totals_sheet(rp, heading: tuple[str, ...] = ()) -> Sheet:
    return Sheet(
        title=_("Regional totals"),
        heading=heading,
        columns=(
            Col(_("Target"), "text", 34),
            Col(_("Target (people)"), "int", 12),
            Col(_("Counted"), "int", 10),
            Col(_("Plan by now"), "int", 12),
            Col(_("Share of target"), "rate", 12),
            Col(_("Standing"), "text", 28),
        ),
        rows=[
            [tp.label, tp.target, tp.achieved, tp.expected_by_now, rate(tp), standing(tp)]
            for tp in rp.totals
        ],
    )


def fill_sheet(fill_rows, heading: tuple[str, ...] = ()) -> Sheet:
    return Sheet(
        title=_("Session use"),
        heading=heading,
        columns=(
            Col(_("Municipality code"), "text", 9),
            Col(_("Municipality"), "text", 14),
            Col(_("Seats taken by its staff"), "int", 14),
            Col(_("Attended"), "int", 10),
            Col(_("No-shows"), "int", 10),
            Col(_("Attendance rate"), "rate", 12),
            Col(_("Sessions it hosts"), "int", 12),
            Col(_("Fill rate of its sessions"), "rate", 14),
        ),
        rows=[
            [
                r.code,
                r.name,
                r.seats,
                r.attended,
                r.no_shows,
                r.attendance_rate,
                r.hosted,
                r.hosted_fill,
            ]
            for r in fill_rows
        ],
    )

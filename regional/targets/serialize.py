"""Progress and targets as the API shows them (API.md shapes, plus documented extensions)."""

from __future__ import annotations

from regional.targets.models import Measure, Target
from regional.targets.progress import (
    Coverage,
    MunicipalityProgress,
    RegionProgress,
    TargetProgress,
    UnitGap,
)
from regional.versions import etag

#: Names a target (one plan period of one key) in its ETags.
TARGET_KIND = "target"


def target_json(t: Target, measure: Measure | None, locale: str) -> dict:
    return {
        "key": t.key,
        "label": measure.label(locale) if measure else t.key,
        "kind": t.kind.value,
        "target": t.target,
        "period_start_fy": t.period_start_fy,
        "period_end_fy": t.period_end_fy,
        "population": t.population,
        # The value to send in If-Match to change this period (its GET sends it too).
        "etag": etag(TARGET_KIND, t),
    }


def target_progress_json(t: TargetProgress) -> dict:
    return {
        "key": t.key,
        "label": t.label,
        "kind": t.kind,
        "period_start_fy": t.period_start_fy,
        "period_end_fy": t.period_end_fy,
        "target": t.target,
        "achieved": t.achieved,
        "expected_by_now": t.expected_by_now,
        "population": t.population,
        "status": t.status,
        "next_due_on": t.next_due_on.isoformat() if t.next_due_on else None,
        "no_current_period": t.no_current_period,
        "by_year": [{"fiscal_year": fy, "count": n} for fy, n in t.by_year],
        **({"achieved_now": t.achieved_now} if t.achieved_now is not None else {}),
    }


def _gap_json(g: UnitGap) -> dict:
    return {
        "unit_id": g.unit_id,
        "path": g.path,
        "have": g.have,
        "need": g.need,
        "candidates": [{"employee_id": eid, "name": name} for eid, name in g.candidates],
    }


def coverage_json(c: Coverage) -> dict:
    return {
        "divisions": {
            "total": c.divisions_total,
            "covered": c.divisions_covered,
            "uncovered": [_gap_json(g) for g in c.uncovered_divisions],
        },
        "sections": {
            "total": c.sections_total,
            "covered": c.sections_covered,
            "uncovered": [_gap_json(g) for g in c.uncovered_sections],
        },
    }


def municipality_progress_json(mp: MunicipalityProgress) -> dict:
    closed = mp.closed
    return {
        "municipality_code": mp.code,
        "name_ja": mp.name_ja,
        "name_en": mp.name_en,
        "fiscal_year": mp.fiscal_year,
        "targets": [target_progress_json(t) for t in mp.targets],
        "coverage": coverage_json(mp.coverage),
        # A closed year's figures are as reported (year-end close); null while open.
        "closed_at": closed.at.isoformat() if closed is not None else None,
        **({"closed_by": closed.by} if closed is not None else {}),
        **({"coverage_now": coverage_json(mp.coverage_now)} if mp.coverage_now else {}),
    }


def region_progress_json(rp: RegionProgress) -> dict:
    return {
        "fiscal_year": rp.fiscal_year,
        "members": [municipality_progress_json(m) for m in rp.members],
        "totals": [target_progress_json(t) for t in rp.totals],
    }

"""The council's one page (議会・庁内報告用): the region's members × targets, and one member's
report for its 課長; on screen, printed on one A4 landscape page, and as a one-sheet XLSX.

Who sees what, as on the dashboards: the region's page is the regional administrators';
a member's is its coordinators' and the administrators' (another member's code is 404, as if
it did not exist); employees get 403 before anything is looked up. The figures are the
dashboards' own, judged on one day per request (:mod:`regional.dashboards.council`).
"""

from __future__ import annotations

from flask import render_template, request
from flask_babel import gettext as _

from regional import fiscal
from regional.dashboards import bp, council, tables
from regional.dashboards.exports import attachment, to_xlsx
from regional.dashboards.forms import chosen_fiscal_year
from regional.extensions import db
from regional.roles import admin_required, coordinator_required
from regional.targets import progress
from regional.tenancy import enter_municipality


def _year():
    return chosen_fiscal_year(request.args, fiscal.fiscal_year_of(fiscal.now_utc()))


def _region_matrix(fy: int) -> council.CouncilMatrix:
    return council.region_matrix(db.session, fy, today=fiscal.today())


def _region_title() -> str:
    return _("Progress against targets: %(name)s", name=_("Okayama Regional Alliance"))


@bp.route("/region/council")
@admin_required
def region_council():
    form, fy = _year()
    return render_template(
        "dashboards/council_region.html",
        matrix=_region_matrix(fy),
        title=_region_title(),
        form=form,
        fy=fy,
        tables=tables,
        coverage_rule=council.COVERAGE_RULE,
    )


@bp.route("/region/council.xlsx")
@admin_required
def region_council_export():
    _form, fy = _year()
    sheet = council.council_sheet(_region_matrix(fy), _region_title())
    return attachment(to_xlsx([sheet]), "xlsx", f"council-region-FY{fy}")


def _member_report(code: str, fy: int):
    municipality = enter_municipality(code)  # 404 for a member one may not see
    today = fiscal.today()
    mp = progress.municipality_progress(db.session, municipality.id, fy, today=today)
    return municipality, council.member_report(mp, today)


def _member_title(name: str) -> str:
    return _("Progress against targets: %(name)s", name=name)


@bp.route("/m/<code>/council")
@coordinator_required
def municipality_council(code: str):
    form, fy = _year()
    municipality, report = _member_report(code, fy)
    return render_template(
        "dashboards/council_member.html",
        municipality=municipality,
        report=report,
        title=_member_title(report.name),
        form=form,
        fy=fy,
        tables=tables,
        coverage_rule=council.COVERAGE_RULE,
    )


@bp.route("/m/<code>/council.xlsx")
@coordinator_required
def municipality_council_export(code: str):
    _form, fy = _year()
    municipality, report = _member_report(code, fy)
    sheet = council.member_sheet(report, _member_title(report.name))
    return attachment(to_xlsx([sheet]), "xlsx", f"council-{municipality.code}-FY{fy}")

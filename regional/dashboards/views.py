"""Pages: the municipality dashboard, the regional dashboard, drill-down, exports, print.

Who sees what: a coordinator their own municipality (any other code is 404, as
if it did not exist); a regional administrator any member, and the region.
Employees get 403 before any record is looked up.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from regional import fiscal
from regional.dashboards import bp, council, queries, tables
from regional.dashboards.charts import progress_chart, trend_chart
from regional.dashboards.exports import attachment, to_csv, to_xlsx
from regional.dashboards.forms import InviteForm, chosen_fiscal_year
from regional.dashboards.invite import MAX_INVITES, invite, plan
from regional.dashboards.invite import context as invite_context
from regional.extensions import db
from regional.fiscal import fiscal_year_of, now_utc
from regional.growth.exams import exams
from regional.growth.ojt import ojt_by_member
from regional.growth.qualifications import holders_by_member
from regional.i18n import locale_code
from regional.people.mailing import examples as mailing_examples
from regional.roles import admin_required, coordinator_required
from regional.targets import progress
from regional.tenancy import enter_municipality
from regional.validation import page_number, record_id
from tenants import all_tenants
from tenants.models import Municipality, OrgUnit

PER_PAGE = 50


def _current_fy() -> int:
    return fiscal_year_of(now_utc())


def _year():
    return chosen_fiscal_year(request.args, _current_fy())


def _municipality_progress(code: str, fy: int):
    municipality = enter_municipality(code)  # 404 for a member one may not see
    return municipality, progress.municipality_progress(db.session, municipality.id, fy)


def _growth(municipalities) -> dict:
    """Qualification holders and on-the-job training per member (three statements, whatever
    the number of members or people)."""
    listed = exams()
    ids = [m.id for m in municipalities]
    holders = holders_by_member(db.session, ids)
    ojt = ojt_by_member(db.session, ids)
    return {
        "counts": [(m, holders[m.id]) for m in municipalities],
        "ojt": [(m, ojt[m.id]) for m in municipalities],
        "exams": listed,
        "levels": sorted({e.level for e in listed}),
    }


def _target_or_404(mp, key: str):
    for tp in mp.targets:
        if tp.key == key:
            return tp
    abort(404)


def _heading(title: str, name: str, fy: int, mp=None) -> tuple[str, ...]:
    """An export's heading: who, what, the year (with its close date when closed), as of."""
    from regional.main.helpers import local_day

    closed = getattr(mp, "closed", None)
    return (
        f"{name} {title}",
        tables.year_title(fy, mp),
        _("Figures as reported on %(day)s", day=local_day(closed.at))
        if closed is not None
        else _("Figures as of %(day)s", day=local_day(now_utc())),
    )


# -- entry -------------------------------------------------------------------


@bp.route("/")
@coordinator_required
def index():
    """The navigation's 育成状況: the region for administrators, one's own member otherwise."""
    if current_user.is_regional_admin:
        return _region_view("dashboards/region.html")
    return _municipality_view(current_user.municipality.code, "dashboards/municipality.html")


# -- one municipality --------------------------------------------------------


def _municipality_view(code: str, template: str):
    form, fy = _year()
    municipality, mp = _municipality_progress(code, fy)
    lang = locale_code()
    chart = progress_chart(tables.progress_rows(mp.targets), plan_label=_("plan"))
    trends = []
    for tp in mp.targets:
        points = [(tables.fy_short(y), n, y == _current_fy()) for y, n in tp.by_year]
        annual = tp.target if tp.kind == "annual" else None
        trends.append(
            (
                tp,
                trend_chart(
                    points,
                    target=annual,
                    target_text=_("target %(n)s", n=f"{tp.target:,}") if annual else "",
                ),
            )
        )
    return render_template(
        template,
        municipality=municipality,
        growth=_growth([municipality]),
        name=municipality.name(lang),
        mp=mp,
        fy=fy,
        form=form,
        chart=chart,
        trends=trends,
        tables=tables,
        is_current=fy == _current_fy(),
        can_close=fy < _current_fy() and mp.closed is None,
        years=sorted({y for tp in mp.targets for y, _n in tp.by_year}),
        now=now_utc(),
    )


@bp.route("/m/<code>")
@coordinator_required
def municipality(code: str):
    return _municipality_view(code, "dashboards/municipality.html")


@bp.route("/m/<code>/print")
@coordinator_required
def municipality_print(code: str):
    return _municipality_view(code, "dashboards/municipality_print.html")


@bp.route("/m/<code>/export.<any(xlsx, csv):fmt>")
@coordinator_required
def municipality_export(code: str, fmt: str):
    _form, fy = _year()
    municipality, mp = _municipality_progress(code, fy)
    name = municipality.name(locale_code())
    head = _heading(_("Progress against targets"), name, fy, mp)
    sheets = {
        "targets": tables.target_sheet(mp, head),
        "trend": tables.trend_sheet(mp, head),
        "coverage": tables.coverage_sheet(mp, head),
    }
    return _export(fmt, f"progress-{municipality.code}-FY{fy}", sheets)


def _export(fmt: str, stem: str, sheets: dict):
    """XLSX: every sheet in one workbook; CSV: the one named by ``?table=`` (default the first)."""
    if fmt == "csv":
        which = request.args.get("table", next(iter(sheets)))
        if which not in sheets:
            abort(404)
        return attachment(to_csv(sheets[which]), "csv", f"{stem}-{which}")
    return attachment(to_xlsx(list(sheets.values())), "xlsx", stem)


# -- drill-down --------------------------------------------------------------


def _drill(code: str, key: str):
    form, fy = _year()
    municipality, mp = _municipality_progress(code, fy)
    tp = _target_or_404(mp, key)
    show = request.args.get("show", "not_yet")
    if show not in ("counted", "not_yet"):
        show = "not_yet"
    pick = progress.people_counted if show == "counted" else progress.people_not_yet
    stmt = pick(municipality.id, key, fy)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    page = page_number(request.args, 10_000)
    people = list(db.session.scalars(stmt.limit(PER_PAGE).offset((page - 1) * PER_PAGE)))
    return municipality, mp, tp, fy, form, show, people, total or 0, page


def _unit_paths() -> dict[int, str]:
    """Every unit's path (局/課/係) of the current municipality, in one statement."""
    rows = db.session.execute(select(OrgUnit.id, OrgUnit.parent_id, OrgUnit.name)).all()
    parent = {i: p for i, p, _n in rows}
    name = {i: n for i, _p, n in rows}
    paths: dict[int, str] = {}
    for unit in name:
        parts, seen, u = [], set(), unit
        while u is not None and u in name and u not in seen:
            seen.add(u)
            parts.append(name[u])
            u = parent[u]
        paths[unit] = "/".join(reversed(parts))
    return paths


@bp.route("/m/<code>/t/<key>")
@coordinator_required
def drill(code: str, key: str):
    municipality, mp, tp, fy, form, show, people, total, page = _drill(code, key)
    invite_form = None
    sessions = []
    if show == "not_yet" and people:
        sessions = queries.invitable_sessions(key, municipality.id)
        if sessions:
            invite_form = InviteForm(formdata=None)
            invite_form.session_id.choices = _session_choices(sessions)
            invite_form.people.choices = [(p.id, p.name) for p in people]
            invite_form.people.data = [p.id for p in people]
    return render_template(
        "dashboards/drill.html",
        municipality=municipality,
        name=municipality.name(locale_code()),
        mp=mp,
        tp=tp,
        fy=fy,
        form=form,
        show=show,
        people=people,
        total=total,
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
        invite_form=invite_form,
        tables=tables,
        paths=_unit_paths(),
    )


def _session_choices(sessions) -> list[tuple[int, str]]:
    from regional.main.helpers import local_datetime

    lang = locale_code()
    return [
        (s.id, f"{local_datetime(s.starts_at)} {s.program.code} {s.program.title(lang)}")
        for s in sessions
    ]


@bp.route("/m/<code>/t/<key>/export.<any(xlsx, csv):fmt>")
@coordinator_required
def drill_export(code: str, key: str, fmt: str):
    from regional.dashboards.exports import Col, Sheet

    _form, fy = _year()
    municipality, mp = _municipality_progress(code, fy)
    tp = _target_or_404(mp, key)
    show = "counted" if request.args.get("show") == "counted" else "not_yet"
    pick = progress.people_counted if show == "counted" else progress.people_not_yet
    people = db.session.scalars(pick(municipality.id, key, fy).limit(20_000))
    paths = _unit_paths()
    title = _("Counted") if show == "counted" else _("Not yet counted")
    sheet = Sheet(
        title=title,
        heading=_heading(tp.label, municipality.name(locale_code()), fy, mp),
        columns=(
            Col(_("Employee number"), "text", 14),
            Col(_("Name"), "text", 18),
            Col(_("Organisation unit"), "text", 40),
            Col(_("Job category"), "text", 18),
        ),
        rows=[
            [
                p.employee_number or "",
                p.name,
                paths.get(p.org_unit_id, ""),
                p.job_category.label,
            ]
            for p in people
        ],
    )
    stem = f"progress-{municipality.code}-FY{fy}-{key}-{show}"
    if fmt == "csv":
        return attachment(to_csv(sheet), "csv", stem)
    return attachment(to_xlsx([sheet]), "xlsx", stem)


@bp.route("/m/<code>/t/<key>/invite", methods=["GET", "POST"])
@coordinator_required
def invite_people(code: str, key: str):
    """Invite the people ticked to a coming session: first the confirmation (GET, from
    the drill-down's form: who gets what, and the mail as it is sent), then the
    sending (the confirmation's POST)."""
    _form, fy = _year()
    municipality, mp = _municipality_progress(code, fy)
    tp = _target_or_404(mp, key)
    sessions = queries.invitable_sessions(key, municipality.id)
    sending = request.method == "POST"
    data = request.form if sending else request.args
    form = InviteForm(formdata=data, meta={"csrf": sending})
    form.session_id.choices = _session_choices(sessions)
    raw = data.getlist("people")
    back = url_for("dashboards.drill", code=code, key=key, fy=fy, show="not_yet")
    if len(raw) > MAX_INVITES:
        flash(_("At most %(n)s people can be invited at once.", n=MAX_INVITES), "error")
        return redirect(back)
    # Any id is accepted here and filtered to this municipality's active staff by the service;
    # a value that is no id fails the form's own coercion (a form error).
    ids = (record_id(v) for v in raw)
    form.people.choices = [(i, str(i)) for i in ids if i is not None]
    if not form.validate():
        if sending and form.csrf_token.errors:
            abort(400)
        flash(_("Choose a session and at least one person."), "error")
        return redirect(back)
    chosen = next(s for s in sessions if s.id == form.session_id.data)
    invite_plan = plan(
        chosen,
        form.people.data,
        municipality_id=municipality.id,
        fiscal_year=fy if tp.kind == "annual" else None,
    )
    if not sending:
        return _confirm_invitation(municipality, tp, fy, chosen, invite_plan, back)
    invite(
        chosen,
        invite_plan,
        sender=current_user,
        municipality_id=municipality.id,
        target_label=tp.label,
    )
    db.session.commit()
    flash(
        _(
            "Invitations sent: %(sent)s. Invitations to choose a password (never signed in):"
            " %(invited)s. Skipped (already registered or completed, or invited lately):"
            " %(skipped)s.",
            sent=len(invite_plan.mailing.notices),
            invited=len(invite_plan.mailing.invitations),
            skipped=invite_plan.skipped,
        ),
        "success",
    )
    return redirect(back)


def _confirm_invitation(municipality, tp, fy, chosen, invite_plan, back: str):
    notes = []
    if invite_plan.served:
        notes.append(
            _(
                "Already registered for this session or already completed its programme,"
                " so skipped: %(n)d.",
                n=invite_plan.served,
            )
        )
    return render_template(
        "mailing/confirm.html",
        title=_("Invitation to a session: check before sending"),
        mailing=invite_plan.mailing,
        examples=mailing_examples(
            invite_plan.mailing,
            _("The invitation to the session"),
            "dashboard_invitation",
            invite_context(chosen, current_user, tp.label),
        ),
        notes=notes,
        action=url_for("dashboards.invite_people", code=municipality.code, key=tp.key, fy=fy),
        hidden=[("session_id", chosen.id)] + [("people", p.id) for p in invite_plan.mailing.people],
        button=_("Send the mail"),
        back=back,
    )


# -- the region --------------------------------------------------------------


def _region_view(template: str):
    form, fy = _year()
    today = fiscal.today()
    rp = progress.region_progress(db.session, fy, today=today, coverage=False)
    # The council's matrix heads the page: the same figures, one row per member.
    matrix = council.council_matrix(rp, council.measure_labels(db.session), today)
    lang = locale_code()
    fill, shared = queries.session_use(fy, lang)
    keys: dict[str, str] = {}
    for mp in rp.members:
        for tp in mp.targets:
            keys.setdefault(tp.key, tp.label)
    by_target = []
    for key, label in keys.items():
        rows = [(mp, tp) for mp in rp.members for tp in mp.targets if tp.key == key]
        chart = progress_chart(
            [
                tables.ProgressRow(
                    label=mp.name_en if lang == "en" else mp.name_ja,
                    achieved=tp.achieved,
                    target=tp.target,
                    expected=tp.expected_by_now,
                    status=tables.standing(tp),
                    status_key=tp.status,
                )
                for mp, tp in rows
            ],
            plan_label=_("plan"),
        )
        by_target.append((key, label, rows, chart))
    behind = [(mp, tp) for mp in rp.members for tp in mp.targets if progress.needs_attention(tp)]
    totals_chart = progress_chart(tables.progress_rows(rp.totals), plan_label=_("plan"))
    with all_tenants(db.session):
        members = db.session.scalars(Municipality.ordered()).all()
    return render_template(
        template,
        rp=rp,
        matrix=matrix,
        growth=_growth(members),
        fy=fy,
        form=form,
        by_target=by_target,
        behind=behind,
        totals_chart=totals_chart,
        fill=fill,
        shared=shared,
        tables=tables,
        now=now_utc(),
    )


@bp.route("/region")
@admin_required
def region():
    return _region_view("dashboards/region.html")


@bp.route("/region/print")
@admin_required
def region_print():
    return _region_view("dashboards/region_print.html")


@bp.route("/region/export.<any(xlsx, csv):fmt>")
@admin_required
def region_export(fmt: str):
    _form, fy = _year()
    rp = progress.region_progress(db.session, fy, coverage=False)
    fill, _shared = queries.session_use(fy, locale_code())
    head = _heading(_("Progress against targets"), _("The region"), fy)
    sheets = {
        "members": tables.members_sheet(rp, head),
        "totals": tables.totals_sheet(rp, head),
        "sessions": tables.fill_sheet(fill, head),
    }
    return _export(fmt, f"progress-region-FY{fy}", sheets)

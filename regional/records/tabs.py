"""My training in one place (私の研修): one page, four tabs, each its own address.

予定 (sessions ahead, waiting lists, the calendar feed), 履歴 (the training record),
修了証 (certificates) and 資格・OJT. The tabs are links (the current one marked
``aria-current="page"``), so each works without script and can be bookmarked; the
pages they replace redirect here. What each tab shows is read in the person's own
municipality, whichever member an administrator is acting in.
"""

from __future__ import annotations

from flask import abort, current_app, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from regional.attendance.models import Certificate
from regional.extensions import db
from regional.fiscal import now_utc
from regional.growth.models import OjtRecord, Qualification
from regional.growth.views_ojt import area_names, my_ojt_form
from regional.growth.views_qualifications import my_pass_form
from regional.i18n import locale_code
from regional.people.units import UnitTree
from regional.records import bp
from regional.records.services import person_record
from regional.seats import waitlist_positions
from regional.seats.models import Registration
from regional.seats.models import RegistrationStatus as RS
from regional.tenancy import own_records

#: (address part, label), in the order shown.
TABS = (
    ("upcoming", _l("Upcoming")),
    ("history", _l("History")),
    ("certificates", _l("Certificates")),
    ("qualifications", _l("Qualifications and OJT")),
)


@bp.app_template_global("my_training_tabs")
def my_training_tabs() -> list[tuple[str, str, str]]:
    """(tab, label, address) of every tab, for the tab bar."""
    return [(tab, str(label), url_for("records.my_training", tab=tab)) for tab, label in TABS]


@bp.get("/my-training", defaults={"tab": "upcoming"})
@bp.get("/my-training/<tab>")
@login_required
@own_records
def my_training(tab: str):
    """One tab of my training; an unknown tab is not found."""
    page = _PAGES.get(tab)
    if page is None:
        abort(404)
    return page()


def _upcoming() -> str:
    now = now_utc()
    regs = list(db.session.scalars(Registration.of_employee(current_user.id)))
    waiting = [r for r in regs if r.status == RS.WAITLISTED and r.session.starts_at > now]
    ended = [r for r in regs if r.status in (RS.CANCELLED, RS.DECLINED)]
    base = current_app.config.get("PUBLIC_BASE_URL", "").rstrip("/")
    return render_template(
        "registrations/mine.html",
        tab="upcoming",
        upcoming=[r for r in regs if r.status.holds_seat and r.session.ends_at > now],
        waiting=waiting,
        ended=list(reversed(ended))[:20],
        positions=waitlist_positions(waiting),
        feed_url=base + url_for("registrations.feed", token=current_user.calendar_token),
        now=now,
    )


def _history() -> str:
    return render_template(
        "records/mine.html",
        tab="history",
        record=person_record(current_user, locale_code(), with_sessions=True),
        unit_path=UnitTree().path(current_user.org_unit_id),
    )


def _certificates() -> str:
    rows = db.session.scalars(Certificate.of_employee(current_user.id)).all()
    return render_template("growth/certificates_mine.html", tab="certificates", rows=rows)


def growth_tab(pass_form=None, ojt_form=None) -> str:  # noqa: ANN001
    """The 資格・OJT tab; a form refused on its own address is shown here with its errors."""
    return render_template(
        "records/my_growth.html",
        tab="qualifications",
        form=pass_form or my_pass_form(),
        rows=db.session.scalars(Qualification.of_employee(current_user.id)).all(),
        ojt_form=ojt_form or my_ojt_form(),
        ojt_rows=db.session.scalars(OjtRecord.of_employee(current_user.id)).all(),
        areas=area_names(),
    )


_PAGES = {
    "upcoming": _upcoming,
    "history": _history,
    "certificates": _certificates,
    "qualifications": growth_tab,
}

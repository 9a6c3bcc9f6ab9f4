"""Template helpers: local times, fiscal years both ways, the current municipality."""

from __future__ import annotations

from datetime import date, datetime
from urllib.parse import urlsplit

from flask import Flask, current_app, has_request_context, request, url_for
from flask_babel import format_date, format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from regional.fiscal import (
    era_day,
    fiscal_year_both,
    fiscal_year_label,
    fiscal_year_of,
    to_local,
)
from regional.i18n import locale_code
from regional.main.forms import LanguageForm
from regional.tenancy import current_municipality


def safe_return_path(target: str | None) -> str:
    """Only a path on this site (no scheme, no host) is followed after a form."""
    # Browsers read "\" as "/" and drop tabs and newlines, so "/\evil" or "/\t/evil"
    # would lead off-site: refuse any backslash or control character outright.
    if target and not any(c == "\\" or ord(c) < 32 or ord(c) == 127 for c in target):
        parts = urlsplit(target)
        if (
            not parts.scheme
            and not parts.netloc
            and target.startswith("/")
            and not target.startswith("//")
        ):
            return target
    return url_for("main.home")


def flash_refusal(exc) -> None:
    """A refused action on a page: roll back, 404 for an unseen record, else flash the reason."""
    from flask import abort, flash

    from regional.extensions import db

    db.session.rollback()
    if exc.status == 404:
        abort(404)
    flash(str(exc.message), "error")


def local_datetime(value: datetime | None, fmt: str = "medium") -> str:
    if value is None:
        return ""
    if locale_code() == "ja":
        local = to_local(value)
        weekday = "月火水木金土日"[local.weekday()]
        return f"{local:%Y年%-m月%-d日}（{weekday}）{local:%H:%M}"
    return format_datetime(value, "EEE d MMM y, HH:mm")


def local_day(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_local(value).date()
    if locale_code() == "ja":
        return f"{value:%Y年%-m月%-d日}（{'月火水木金土日'[value.weekday()]}）"
    return format_date(value, "EEE d MMM y")


def era_date(value: date | datetime | None) -> str:
    """A day with its era, as marks and certificates state it: '令和8年8月10日' (a moment
    is first turned into its day in Japan)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_local(value).date()
    return era_day(value, locale_code())


def local_time(value: datetime | None) -> str:
    return "" if value is None else f"{to_local(value):%H:%M}"


def labelled(label: str, value: object) -> str:
    """'Label: value' with the language's colon (full-width in Japanese): one place for it."""
    return _("%(label)s: %(value)s", label=label, value=value)


def sentences(*parts: object) -> str:
    """Sentences side by side: none between Japanese sentences (each ends in 「。」), a space in English."""
    return ("" if locale_code() == "ja" else " ").join(str(p) for p in parts if p)


def fy_label(fy: int) -> str:
    return fiscal_year_both(fy) if locale_code() == "ja" else fiscal_year_label(fy, "en")


def fy_name(fy: int) -> str:
    """The year alone, for mail subjects and mail text: '令和8年度', 'FY2026 (Reiwa 8)'."""
    return fiscal_year_label(fy, locale_code())


def field_attrs(f, hint: str | None = None) -> dict:
    """aria attributes tying an input to its hint and its errors."""
    ids = []
    if hint:
        ids.append(f"{f.id}-hint")
    if f.errors:
        ids.append(f"{f.id}-error")
    attrs: dict = {}
    if ids:
        attrs["aria-describedby"] = " ".join(ids)
    if f.errors:
        attrs["aria-invalid"] = "true"
    return attrs


#: Groups of the main navigation, in order: what a person does for themselves, what a
#: coordinator runs, and the figures. On a phone they fold behind one menu button.
NAV_GROUPS = (
    ("learn", _l("Taking training")),
    ("manage", _l("Managing")),
    ("figures", _l("Figures")),
)

#: Main navigation: (endpoint, label, who sees it, group). Missing endpoints are skipped;
#: the home page stands before the groups.
NAV = (
    ("main.home", _l("Home"), "all", None),
    ("catalogue.index", _l("Catalogue"), "all", "learn"),
    ("sessions.index", _l("Sessions"), "all", "learn"),
    ("records.my_training", _l("My training"), "all", "learn"),
    ("growth.materials_index", _l("Learning materials"), "all", "learn"),
    ("notices.index", _l("Notices"), "all", "learn"),
    ("registrations.coordinator", _l("Registrations"), "coordinator", "manage"),
    ("people.index", _l("People"), "coordinator", "manage"),
    ("dashboards.index", _l("Progress"), "coordinator", "figures"),
    ("targets.index", _l("Targets"), "coordinator", "figures"),
    ("audit.index", _l("Audit trail"), "coordinator", "manage"),
    ("mail.settings", _l("Mail settings"), "coordinator", "manage"),
    ("notices.manage", _l("Post notices"), "coordinator", "manage"),
    ("admin.index", _l("Regional administration"), "regional_admin", "manage"),
)


def _nav_shown(who: str) -> bool:
    return (
        who == "all"
        or (who == "coordinator" and current_user.is_coordinator)
        or (who == "regional_admin" and current_user.is_regional_admin)
    )


def nav_items() -> list[tuple[str, str, bool]]:
    """Every navigation entry the app has, (endpoint, label, shown to the current user)."""
    return [
        (endpoint, str(label), _nav_shown(who))
        for endpoint, label, who, _group in NAV
        if endpoint in current_app.view_functions
    ]


def nav_groups() -> list[tuple[str | None, str, list[tuple[str, str]]]]:
    """The entries shown to the current user by group, (key, label, [(endpoint, label)]):
    the home page first (key None), then each group that has an entry, in NAV_GROUPS order."""
    shown = [
        (group, endpoint, str(label))
        for endpoint, label, who, group in NAV
        if endpoint in current_app.view_functions and _nav_shown(who)
    ]
    groups = [(None, "", [(e, lbl) for g, e, lbl in shown if g is None])]
    for key, label in NAV_GROUPS:
        groups.append((key, str(label), [(e, lbl) for g, e, lbl in shown if g == key]))
    return [g for g in groups if g[2]]


def init_template_helpers(app: Flask) -> None:
    app.add_template_global(field_attrs, "field_attrs")
    app.add_template_global(labelled, "labelled")
    app.add_template_global(sentences, "sentences")
    app.add_template_global(nav_items, "nav_items")
    app.add_template_global(nav_groups, "nav_groups")
    app.add_template_global(lambda: set(current_app.view_functions), "view_endpoints")
    app.add_template_filter(local_datetime, "local_datetime")
    app.add_template_filter(local_day, "local_day")
    app.add_template_filter(local_time, "local_time")
    app.add_template_filter(era_date, "era_date")
    app.add_template_filter(fy_label, "fy_label")
    app.add_template_filter(fy_name, "fy_name")

    @app.context_processor
    def _globals() -> dict:
        if not has_request_context():  # mail rendered by cron or a service
            return {"lang": locale_code()}
        return {
            "current_municipality": current_municipality(),
            "lang": locale_code(),
            "language_form": LanguageForm(formdata=None, next=request.full_path.rstrip("?")),
            "current_fiscal_year": fiscal_year_of(datetime.now().astimezone()),
        }

"""Mail that asks before it goes (issue 21): a confirmation before mailing many people,
the invitation for people who never signed in, the prefix and the signature on every
mail, and the coordinators' digest and approval notices."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

import jinja2.meta
from sqlalchemy import func, select

from regional.audit.models import AuditEntry
from regional.extensions import db
from regional.mail.models import MailSignature, OutboundMail
from regional.mail.services import compose, signature_for
from regional.people.models import Role, User
from regional.registrations.digest import queue_digests
from tenants import all_tenants
from tenants.scoping import acting_as
from tests import factories
from tests.conftest import CODE_A
from tests.fixtures_registrations import person, register
from tests.fixtures_sessions import within
from tests.test_dashboards import FY, progress_data  # noqa: F401 - the fixture, by name

MAIL_DIR = Path(__file__).resolve().parent.parent / "regional" / "templates" / "mail"
PORTAL_JA = "岡山連携中枢都市圏 デジタル人材育成 研修ポータル"


def _outbox() -> list[OutboundMail]:
    with all_tenants(db.session):
        return list(
            db.session.scalars(
                select(OutboundMail).execution_options(all_tenants=True).order_by(OutboundMail.id)
            )
        )


def _mails(app) -> list[tuple[str, str | None, str | None, str | None]]:
    with app.app_context():
        return [(m.to_addr, m.template, m.subject, m.body) for m in factories.rendered(_outbox())]


def _never_signed_in(municipality_id: int, **kw) -> User:
    user = factories.make_user(municipality_id, **kw)
    with acting_as(db.session, municipality_id):
        user.password_hash = None
        db.session.flush()
    return user


def _signature(municipality_id: int, section: str, phone: str, email: str) -> None:
    with acting_as(db.session, municipality_id):
        db.session.add(MailSignature(section=section, phone=phone, email=email))
        db.session.flush()


# -- the confirmation step -----------------------------------------------------------------


def test_the_reminder_shows_who_and_what_and_sends_nothing_until_confirmed(
    app, world, as_coordinator_a
):
    with within(app):
        never = _never_signed_in(world.muni_a, name="未ログイン 太郎")
        never_email = never.email
        lately = _never_signed_in(world.muni_a, name="案内済み 花子")
        with acting_as(db.session, world.muni_a):
            lately.invited_at = datetime.now().astimezone() - timedelta(days=2)
        lately_email = lately.email
        _signature(world.muni_a, "総務部 人事課 研修係", "0868-32-2000", "jinji@example.lg.jp")
    page = as_coordinator_a.get("/targets/remind-required")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert _mails(app) == []  # the GET sent nothing, queued nothing
    total = int(re.search(r"(\d+)人にメールを送信します。", html).group(1))
    assert "パスワード未設定の）1人には" in html
    assert "1週間以内に案内済み" in html
    # The mail as it goes: the prefix, the deadline (the fiscal year's last day), the signature.
    assert f"【研修ポータル】{FY}" in html or "【研修ポータル】令和" in html
    assert f"{FY + 1}年3月31日" in html
    assert "総務部 人事課 研修係" in html and "0868-32-2000" in html
    assert "パスワード設定の案内" in html and "（一人ひとり専用のリンク）" in html
    assert "/welcome/" not in html  # nobody's working sign-in link is shown
    # Without the CSRF token: refused, nothing sent.
    assert as_coordinator_a.post("/targets/remind-required", data={}).status_code == 400
    assert _mails(app) == []
    # Confirmed: the notices, and the invitation for the one who never signed in.
    assert as_coordinator_a.form_post("/targets/remind-required").status_code == 302
    sent = _mails(app)
    assert len(sent) == total  # as many as the confirmation said, the one invited lately aside
    by_to = {to: template for to, template, _s, _b in sent}
    assert by_to[never_email] == "people_invitation"
    assert lately_email not in by_to
    assert by_to[world.emails["employee_a"]] == "required_training_reminder"
    assert world.emails["employee_b"] not in by_to
    with app.app_context(), acting_as(db.session, world.muni_a):
        entry = db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "reminder.required")
        )
        assert entry.detail["invited"] == 1 and entry.detail["invited_lately"] == 1


def test_the_session_invitation_counts_only_the_members_own_people(
    app,
    world,
    as_coordinator_a,
    progress_data,  # noqa: F811
):
    with within(app):
        never = _never_signed_in(world.muni_a, name="未ログイン 次郎").id
    url = (
        f"/progress/m/{CODE_A}/t/security/invite?fy={FY}&session_id={progress_data['session_id']}"
        f"&people={world.employee_a2}&people={world.employee_b}&people={never}"
    )
    page = as_coordinator_a.get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert _mails(app) == []
    assert "2人にメールを送信します。" in html  # employee B (another member) is not counted
    assert "ログインできる1人には" in html and "パスワード未設定の）1人には" in html
    b_name = person_of(app, world.employee_b)
    assert b_name not in html
    assert "申込締切" in html  # the deadline in the subject
    # The confirmation posts the people it counted, and only them.
    hidden = re.findall(r'name="people" value="(\d+)"', html)
    assert sorted(map(int, hidden)) == sorted([world.employee_a2, never])
    resp = as_coordinator_a.form_post(
        f"/progress/m/{CODE_A}/t/security/invite?fy={FY}",
        {"session_id": progress_data["session_id"], "people": hidden},
    )
    assert resp.status_code == 302
    templates = {to: t for to, t, _s, _b in _mails(app)}
    assert templates[world.emails["employee_a2"]] == "dashboard_invitation"
    assert "people_invitation" in templates.values()
    assert world.emails["employee_b"] not in templates


def person_of(app, user_id: int) -> str:
    with app.app_context():
        return person(user_id).name


def test_the_session_invitation_needs_the_csrf_token(
    app,
    world,
    as_coordinator_a,
    progress_data,  # noqa: F811
):
    resp = as_coordinator_a.post(
        f"/progress/m/{CODE_A}/t/security/invite?fy={FY}",
        data={"session_id": progress_data["session_id"], "people": [world.employee_a2]},
    )
    assert resp.status_code == 400
    assert _mails(app) == []


def test_the_batch_of_invitations_is_confirmed_first(app, world, as_coordinator_a):
    with within(app):
        for n in range(12):
            _never_signed_in(world.muni_a, name=f"取込 {n:02d}")
        _never_signed_in(world.muni_b, name="他市町 職員")
    html = as_coordinator_a.get("/people/invitations").get_data(as_text=True)
    assert _mails(app) == []
    assert "12人にメールを送信します。" in html
    assert "取込 00" in html and "ほか2人" in html or "and 2 more" in html
    assert "他市町 職員" not in html
    assert "【研修ポータル】研修ポータルへのご案内" in html
    assert as_coordinator_a.post("/people/invitations", data={}).status_code == 400
    assert as_coordinator_a.form_post("/people/invitations").status_code == 302
    assert len([m for m in _mails(app) if m[1] == "people_invitation"]) == 12


# -- the prefix and the signature on every mail --------------------------------------------


class _Anything:
    """Stands for any value a mail template reads (its own attributes, calls, numbers)."""

    def __getattr__(self, name):
        if name.endswith(("_at", "deadline")):  # times: read by the date filters
            return datetime(2027, 3, 1, 9, 0).astimezone()
        return self

    def __call__(self, *args, **kwargs):
        return self

    def __str__(self) -> str:
        return "値"

    def __format__(self, spec) -> str:
        return "値"

    def __index__(self) -> int:
        return 1

    __int__ = __index__

    def __iter__(self):
        return iter([self])

    def __eq__(self, other) -> bool:
        return False

    __hash__ = object.__hash__


def _templates() -> list[str]:
    return sorted(p.stem for p in MAIL_DIR.glob("*.txt") if not p.name.startswith("_"))


def _render_each(app, municipality_id, locale):
    env = app.jinja_env
    for name in _templates():
        source = env.loader.get_source(env, f"mail/{name}.txt")[0]
        names = jinja2.meta.find_undeclared_variables(env.parse(source))
        context = {n: _Anything() for n in names if n not in ("lang", "config")}
        for n in ("deadline", "valid_until"):
            if n in context:
                context[n] = datetime(2027, 3, 31, 9, 0).astimezone()
        if "fiscal_year" in context:
            context["fiscal_year"] = 2026
        yield name, compose(name, locale, municipality_id, context)


def test_every_mail_template_has_the_prefix_and_the_signature(app, ctx, world):
    assert len(_templates()) >= 20
    _signature(world.muni_a, "総務部 人事課 研修係", "0868-32-2000", "jinji@example.lg.jp")
    for name, (subject, body) in _render_each(app, world.muni_a, "ja"):
        assert subject.startswith("【研修ポータル】"), name
        assert not subject.startswith("【研修ポータル】【研修ポータル】"), name
        tail = body.split("\n-- \n")[-1]
        assert "\n-- \n" in body, name
        assert PORTAL_JA in tail and "津山市 総務部 人事課 研修係" in tail, name
        assert "0868-32-2000" in tail and "jinji@example.lg.jp" in tail, name
    for name, (subject, body) in _render_each(app, world.muni_a, "en"):
        assert subject.startswith("[Training portal] "), name
        assert "Tsuyama City" in body.split("\n-- \n")[-1], name


def test_the_signature_falls_back_to_the_regions_default(ctx, world):
    _signature(
        world.muni_admin, "企画課 連携中枢都市圏推進室", "086-803-1000", "renkei@example.lg.jp"
    )
    ctx_sig = signature_for(world.muni_b)  # B has none: the region's default
    assert ctx_sig.section == "企画課 連携中枢都市圏推進室" and ctx_sig.member.code == "331007"
    _subject, body = compose("people_rejected", "ja", None, {"municipality": _Anything()})
    assert "岡山市 企画課 連携中枢都市圏推進室" in body  # mail of no member
    _signature(world.muni_b, "総務課", "0863-32-5500", "soumu@example.lg.jp")
    db.session.commit()  # a commit forgets what was read: the member's own row from now on
    assert signature_for(world.muni_b).section == "総務課"


def test_the_coordinator_sets_the_signature(app, world, as_coordinator_a):
    page = as_coordinator_a.get("/mail/signature").get_data(as_text=True)
    assert "signature-default" in page
    resp = as_coordinator_a.form_post(
        "/mail/signature",
        {"section": "総務部 人事課", "phone": "0868-32-2000", "email": "Jinji@Example.lg.jp"},
    )
    assert resp.status_code == 302
    with app.app_context(), acting_as(db.session, world.muni_a):
        row = db.session.scalar(select(MailSignature))
        assert (row.section, row.email) == ("総務部 人事課", "jinji@example.lg.jp")
        assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "mail.signature"))
    # Bad input: the form again, nothing saved, never a 500.
    bad = as_coordinator_a.form_post("/mail/signature", {"section": "", "phone": "<script>"})
    assert bad.status_code == 200
    # Another member's coordinator sees their own member's default, not A's row.
    with app.app_context(), acting_as(db.session, world.muni_b):
        assert db.session.scalar(select(func.count()).select_from(MailSignature)) == 0


# -- the digest and the approval notice ----------------------------------------------------


def _digests(app) -> dict[str, str]:
    return {to: body for to, t, _s, body in _mails(app) if t == "coordinator_digest"}


def test_the_digest_lists_what_waits_and_only_when_something_does(app, world):
    with within(app):
        assert queue_digests() == 0  # nothing waits anywhere
    assert _digests(app) == {}
    with within(app):
        ts = factories.make_session(requires_approval=True, starts_in=timedelta(days=20))
        register(ts.id, world.employee_a)
    with within(app):
        assert queue_digests() >= 1
    digests = _digests(app)
    body = digests[world.emails["coordinator_a"]]
    assert person_of(app, world.employee_a) in body
    assert "承認待ちの申請：1" in body
    assert world.emails["coordinator_b"] not in digests  # nothing waits in B


def test_the_digest_and_the_approval_notice_respect_the_setting(app, world, as_coordinator_a):
    with within(app):
        ts = factories.make_session(requires_approval=True, starts_in=timedelta(days=20)).id
    with within(app):
        register(ts, world.employee_a)
    notices = [m for m in _mails(app) if m[1] == "registration_awaits_approval"]
    assert [m[0] for m in notices] == [world.emails["coordinator_a"]]
    assert notices[0][2].startswith("【研修ポータル】受講申請の承認依頼")
    assert person_of(app, world.employee_a) in notices[0][3]
    # Turned off on the coordinator's own settings page: neither the notice nor the digest.
    assert as_coordinator_a.form_post("/mail/settings", {}).status_code == 302
    with app.app_context(), acting_as(db.session, world.muni_a):
        assert db.session.get(User, world.coordinator_a).mail_digest is False
    with within(app):
        register(ts, world.employee_a2)
        assert queue_digests() == 0
    assert len([m for m in _mails(app) if m[1] == "registration_awaits_approval"]) == 1
    assert _digests(app) == {}


def test_the_digest_command_runs(app, world):
    runner = app.test_cli_runner()
    with app.app_context():  # ``flask`` pushes one for app.cli commands; the runner does not
        result = runner.invoke(args=["send-digest"])
    assert result.exit_code == 0, result.output
    assert "queued 0 digest(s)" in result.output


def test_regional_administrators_are_coordinators_of_their_own_member(ctx, world):
    with acting_as(db.session, world.muni_admin):
        admins = db.session.scalars(select(User).where(User.role == Role.REGIONAL_ADMIN)).all()
    assert admins and all(a.mail_digest for a in admins)

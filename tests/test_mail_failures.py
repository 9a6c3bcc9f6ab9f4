"""Nothing lost, nothing stuck: one bad address never stalls the mail, and someone is told.

The project's SMTP test server (tests/smtp.py) answers 550 (for good) for some
recipients and 451 (for now) for others, or is not there at all. Each message is
tried on its own: the good ones leave in the same run, the refused ones are failed
with the server's answer (on the coordinator's 宛先不明のメール page and in the
audit trail), the deferred ones wait longer each time, and every message is
accounted for.
"""

from __future__ import annotations

import re
import smtplib
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from regional.audit.models import AuditEntry
from regional.extensions import db
from regional.mail import services
from regional.mail.models import OutboundMail
from regional.mail.services import ADDRESS_BOUND, deliver_outbox, is_permanent
from tenants import all_tenants
from tests import factories
from tests.factories import add_mail
from tests.fixtures_registrations import ja, ja_subject

GONE = "550 5.1.1 <{}>: Recipient address rejected: User unknown"
BUSY = "451 4.3.0 Mailbox temporarily unavailable, try again later"
TEMPLATES = Path(__file__).resolve().parent.parent / "regional/templates/mail"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Clock:
    """The dispatcher's clock, moved by hand (messages queued now are due at once)."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC) + timedelta(seconds=1)

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
def clock(monkeypatch):
    c = Clock()
    monkeypatch.setattr(services, "now_utc", lambda: c.now)
    return c


def queue(to: str, municipality_id: int | None, subject: str = "研修のお知らせ") -> OutboundMail:
    mail = OutboundMail(
        to_addr=to,
        subject=subject,
        body="本文\n",
        template="reminder",
        municipality_id=municipality_id,
    )
    add_mail(mail)
    return mail


def _state(mail: OutboundMail) -> str:
    if mail.sent_at is not None:
        return "sent"
    return "failed" if mail.failed_at is not None else "waiting"


def _entries(action: str, municipality_id: int) -> list[AuditEntry]:
    with all_tenants(db.session):
        return list(
            db.session.scalars(
                select(AuditEntry)
                .where(AuditEntry.action == action, AuditEntry.municipality_id == municipality_id)
                .order_by(AuditEntry.id)
            )
        )


def test_two_hundred_refused_at_the_head_hold_up_nothing(ctx, world, mailbox, clock):
    """The outbox starts with 200 addresses the server refuses: one run delivers the rest."""
    domain = "city.tsuyama.lg.jp"
    gone = [f"gone{i:03d}@{domain}" for i in range(200)]
    busy = [f"busy{i}@{domain}" for i in range(3)]
    good = [f"good{i}@{domain}" for i in range(5)]
    for address in gone:
        mailbox.refuse[address] = GONE.format(address)
    for address in busy:
        mailbox.refuse[address] = BUSY
    mails = [queue(a, world.muni_a) for a in gone]
    for g, b in zip(good, [*busy, None, None], strict=True):
        mails.append(queue(g, world.muni_a))
        if b:
            mails.append(queue(b, world.muni_a))
    db.session.flush()

    assert deliver_outbox() == 5
    assert sorted(m["To"] for m in mailbox.messages) == sorted(good)
    by = {m.to_addr: m for m in mails}
    assert {_state(by[a]) for a in gone} == {"failed"}
    assert by[gone[7]].last_error == GONE.format(gone[7])
    assert by[gone[7]].failed_at == clock.now and by[gone[7]].attempts == 1
    for address in busy:
        assert _state(by[address]) == "waiting"
        assert by[address].last_error == BUSY
        assert by[address].next_attempt_at == clock.now + timedelta(minutes=1)
    # Nothing lost: every message is sent, failed or waiting, and counted once.
    assert (
        len(mails)
        == 208
        == db.session.scalar(
            select(func.count(OutboundMail.id)).execution_options(all_tenants=True)
        )
    )
    # One audit entry per failed message, in its member's trail, with the server's answer.
    entries = _entries("mail.undelivered", world.muni_a)
    assert len(entries) == 200
    assert entries[7].detail["to"] == gone[7]
    assert entries[7].detail["answer"] == GONE.format(gone[7])
    assert entries[7].actor_id is None and entries[7].detail["refused"] is True

    # The next run (a minute later): the refused ones are not offered again, the busy ones are.
    mailbox.clear()
    clock.advance(minutes=1)
    del mailbox.refuse[busy[0]]
    assert deliver_outbox() == 1
    assert sorted(mailbox.offered) == sorted(busy)
    assert _state(by[busy[0]]) == "sent"
    assert by[busy[1]].attempts == 2
    assert by[busy[1]].next_attempt_at == clock.now + timedelta(minutes=2)


def test_a_temporary_refusal_waits_longer_each_time_up_to_an_hour(ctx, world, mailbox, clock):
    address = "busy@city.tsuyama.lg.jp"
    mailbox.refuse[address] = BUSY
    mail = queue(address, world.muni_a)
    db.session.flush()
    waits = []
    for _ in range(9):
        deliver_outbox()
        assert deliver_outbox() == 0  # tried once per run: the next try is later
        waits.append(mail.next_attempt_at - clock.now)
        clock.now = mail.next_attempt_at
    assert [w.total_seconds() / 60 for w in waits] == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    assert mailbox.offered == [address] * 9
    del mailbox.refuse[address]
    assert deliver_outbox() == 1
    assert _state(mail) == "sent" and mail.attempts == 10


def test_retries_end_after_the_set_hours_and_the_message_is_failed(
    ctx, app, world, mailbox, clock, monkeypatch
):
    monkeypatch.setitem(app.config, "MAIL_RETRY_HOURS", 0.05)  # 3 minutes: waits of 1 and 2
    address = "busy@city.tsuyama.lg.jp"
    mailbox.refuse[address] = BUSY
    mail = queue(address, world.muni_a)
    db.session.flush()
    deliver_outbox()
    assert _state(mail) == "waiting"
    clock.advance(minutes=1)
    deliver_outbox()
    assert _state(mail) == "failed" and mail.last_error == BUSY and mail.attempts == 2
    (entry,) = _entries("mail.undelivered", world.muni_a)
    assert entry.detail["refused"] is False and entry.detail["attempts"] == 2


def test_an_outage_loses_nothing_and_the_server_s_return_delivers_everything(
    ctx, app, world, mailbox, clock, monkeypatch
):
    mails = [queue(f"p{i}@city.tsuyama.lg.jp", world.muni_a) for i in range(3)]
    db.session.flush()
    running = app.config["MAIL_PORT"]
    monkeypatch.setitem(app.config, "MAIL_PORT", _free_port())  # the server is down
    assert deliver_outbox() == 0
    first, *rest = mails
    # The run stops at the first refused connection: that message waits a minute, the
    # others were not tried (nothing counted against them), and nothing failed.
    assert first.attempts == 1 and "ConnectionRefused" in first.last_error
    assert first.next_attempt_at == clock.now + timedelta(minutes=1)
    assert [m.attempts for m in rest] == [0, 0]
    assert {_state(m) for m in mails} == {"waiting"}
    assert _entries("mail.undelivered", world.muni_a) == []

    monkeypatch.setitem(app.config, "MAIL_PORT", running)  # back
    clock.advance(seconds=10)
    assert deliver_outbox() == 2  # the untried ones at once
    clock.advance(minutes=1)
    assert deliver_outbox() == 1
    assert {_state(m) for m in mails} == {"sent"}
    assert sorted(m["To"] for m in mailbox.messages) == sorted(m.to_addr for m in mails)


def test_mail_of_no_member_fails_into_the_administrators_trail(ctx, world, mailbox, clock):
    address = "someone@example.com"
    mailbox.refuse[address] = GONE.format(address)
    mail = queue(address, None)
    db.session.flush()
    deliver_outbox()
    assert _state(mail) == "failed"
    (entry,) = _entries("mail.undelivered", world.muni_admin)
    assert entry.subject_id == str(mail.id) and entry.detail["to"] == address


def test_what_counts_as_refused_for_good():
    assert is_permanent(smtplib.SMTPRecipientsRefused({"a@x": (550, b"no such user")}))
    assert not is_permanent(smtplib.SMTPRecipientsRefused({"a@x": (451, b"later")}))
    assert is_permanent(smtplib.SMTPDataError(554, b"rejected"))
    assert not is_permanent(smtplib.SMTPDataError(452, b"insufficient storage"))
    assert is_permanent(smtplib.SMTPSenderRefused(553, b"sender", "no-reply@x"))
    assert not is_permanent(smtplib.SMTPServerDisconnected("gone"))
    assert not is_permanent(ConnectionRefusedError(111, "Connection refused"))
    assert not is_permanent(TimeoutError("timed out"))
    assert is_permanent(smtplib.SMTPNotSupportedError("SMTPUTF8 not supported"))


def test_every_mail_with_a_link_goes_only_to_its_address():
    """A sign-in link sent to a corrected address would hand over the account."""
    with_links = {
        path.stem
        for path in TEMPLATES.glob("*.txt")
        if re.search(r"\{\{\s*\w*link\b", path.read_text(encoding="utf-8"))
    }
    assert {"auth_reset", "auth_confirm", "people_invitation"} <= with_links
    assert with_links <= ADDRESS_BOUND


# -- the coordinator's page ----------------------------------------------------------------


def _register(app, client, world) -> int:
    with app.app_context():
        ts = factories.make_session().id
        db.session.commit()
    resp = client.form_post(f"/registrations/session/{ts}/register")
    assert resp.status_code == 302
    return ts


def _failed_for(app, address: str) -> OutboundMail:
    with app.app_context():
        mail = db.session.scalar(
            select(OutboundMail)
            .execution_options(all_tenants=True)
            .where(OutboundMail.to_addr == address)
        )
        db.session.expunge(mail)
        return mail


@pytest.mark.parametrize("delivery", ["immediate", "deferred"])
def test_a_refused_notice_is_listed_for_the_coordinator_who_sends_it_again(
    app, world, mailbox, as_employee_a, as_coordinator_a, as_coordinator_b, delivery, monkeypatch
):
    monkeypatch.setitem(app.config, "MAIL_DELIVERY", delivery)
    address = world.emails["employee_a"]
    mailbox.refuse[address] = GONE.format(address)
    _register(app, as_employee_a, world)
    if delivery == "deferred":
        assert mailbox.offered == []  # the request sends nothing
        with app.app_context():
            assert deliver_outbox() == 0  # cron
    assert mailbox.offered == [address]
    mail = _failed_for(app, address)
    assert mail.failed_at is not None and mail.last_error == GONE.format(address)

    page = as_coordinator_a.get("/mail/undelivered")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    with app.app_context():
        subject = ja_subject("You are enrolled: %(title)s", title="テスト研修")
    for shown in (address, subject, GONE.format(address).replace("<", "&lt;").replace(">", "&gt;")):
        assert shown in html
    assert address not in as_coordinator_b.get("/mail/undelivered").get_data(as_text=True)
    home = as_coordinator_a.get("/").get_data(as_text=True)
    assert 'data-testid="work-undelivered"' in home

    # Another member's coordinator cannot touch it.
    corrected = "taro.t@city.tsuyama.lg.jp"
    refused = as_coordinator_b.form_post(f"/mail/{mail.id}/retry", {f"m{mail.id}-email": corrected})
    assert refused.status_code == 404

    mailbox.clear()
    resp = as_coordinator_a.form_post(f"/mail/{mail.id}/retry", {f"m{mail.id}-email": corrected})
    assert resp.status_code == 302
    if delivery == "deferred":
        assert mailbox.messages == []
        with app.app_context():
            assert deliver_outbox() == 1
    (msg,) = mailbox.messages
    assert msg["To"] == corrected and msg["Subject"] == subject
    with app.app_context():
        again = db.session.get(OutboundMail, mail.id, execution_options={"all_tenants": True})
        assert again.sent_at is not None and again.failed_at is None
        (retried,) = _entries("mail.retry", world.muni_a)
        assert retried.actor_id == world.coordinator_a
        assert retried.detail["before"]["to"] == address
        assert retried.detail["after"]["to"] == corrected
        assert len(_entries("mail.undelivered", world.muni_a)) == 1
    assert 'data-testid="work-undelivered"' not in as_coordinator_a.get("/").get_data(as_text=True)


def _failed_mail(app, municipality_id: int | None, to: str, template: str = "reminder") -> int:
    with app.app_context():
        mail = OutboundMail(
            to_addr=to,
            subject="件名",
            body="本文\n",
            template=template,
            municipality_id=municipality_id,
            attempts=1,
            last_error=GONE.format(to),
            failed_at=datetime.now(UTC),
        )
        add_mail(mail)
        db.session.commit()
        return mail.id


def test_a_corrected_address_stays_within_the_member(app, world, as_coordinator_a, mailbox):
    mail_id = _failed_mail(app, world.muni_a, "typo@city.tsuyama.lg.jp")
    field = f"m{mail_id}-email"
    with app.app_context():
        refusal = ja(
            "Mail can be sent only to a staff address of the municipality or to the address "
            "of one of its accounts."
        )
    for outside in ("someone@gmail.com", "coord@city.tamano.lg.jp"):
        resp = as_coordinator_a.form_post(f"/mail/{mail_id}/retry", {field: outside})
        assert resp.status_code == 422
        assert refusal in resp.get_data(as_text=True)
    assert (
        as_coordinator_a.form_post(f"/mail/{mail_id}/retry", {field: "not an address"}).status_code
        == 400
    )
    with app.app_context():
        assert (
            db.session.get(OutboundMail, mail_id, execution_options={"all_tenants": True}).failed_at
            is not None
        )
        assert _entries("mail.retry", world.muni_a) == []
    # An account's own (outside) address is fine: the person's address was corrected first.
    resp = as_coordinator_a.form_post(
        f"/mail/{mail_id}/retry", {field: world.emails["employee_a2"].upper()}
    )
    assert resp.status_code == 302
    assert [m["To"] for m in mailbox.messages] == [world.emails["employee_a2"]]


def test_a_sign_in_link_is_sent_again_only_to_its_own_address(
    app, world, as_coordinator_a, mailbox
):
    to = world.emails["employee_a"]
    mail_id = _failed_mail(app, world.muni_a, to, template="auth_reset")
    field = f"m{mail_id}-email"
    resp = as_coordinator_a.form_post(
        f"/mail/{mail_id}/retry", {field: "taro.t@city.tsuyama.lg.jp"}
    )
    assert resp.status_code == 422
    assert mailbox.messages == []
    with app.app_context():
        assert (
            db.session.get(OutboundMail, mail_id, execution_options={"all_tenants": True}).to_addr
            == to
        )
    assert as_coordinator_a.form_post(f"/mail/{mail_id}/retry", {field: to}).status_code == 302
    assert [m["To"] for m in mailbox.messages] == [to]


def test_a_coordinator_discards_a_failed_message_and_the_trail_keeps_it(
    app, world, as_coordinator_a, as_coordinator_b
):
    mail_id = _failed_mail(app, world.muni_a, "typo@city.tsuyama.lg.jp")
    assert as_coordinator_b.form_post(f"/mail/{mail_id}/discard").status_code == 404
    assert as_coordinator_a.form_post(f"/mail/{mail_id}/discard").status_code == 302
    with app.app_context():
        assert (
            db.session.get(OutboundMail, mail_id, execution_options={"all_tenants": True}) is None
        )
        (entry,) = _entries("mail.discard", world.muni_a)
        assert entry.detail["to"] == "typo@city.tsuyama.lg.jp"
        assert entry.detail["answer"] == GONE.format("typo@city.tsuyama.lg.jp")
        assert entry.actor_id == world.coordinator_a


def test_mail_of_no_member_is_the_administrators_list(
    app, world, as_admin, as_coordinator_a, mailbox
):
    mail_id = _failed_mail(app, None, "stranger@example.com", template="auth_signup_exists")
    assert "stranger@example.com" in as_admin.get("/mail/undelivered").get_data(as_text=True)
    assert "stranger@example.com" not in as_coordinator_a.get("/mail/undelivered").get_data(
        as_text=True
    )
    assert as_coordinator_a.form_post(f"/mail/{mail_id}/discard").status_code == 404
    assert as_admin.form_post(f"/mail/{mail_id}/discard").status_code == 302
    with app.app_context():
        (entry,) = _entries("mail.discard", world.muni_admin)
        assert entry.actor_id == world.admin


def test_waiting_messages_show_their_next_try(app, world, as_coordinator_a, mailbox):
    with app.app_context():
        mail = OutboundMail(
            to_addr="busy@city.tsuyama.lg.jp",
            subject="件名",
            body="本文\n",
            template="reminder",
            municipality_id=world.muni_a,
            attempts=2,
            last_error=BUSY,
            next_attempt_at=datetime.now(UTC) + timedelta(minutes=2),
        )
        add_mail(mail)
        db.session.commit()
    html = as_coordinator_a.get("/mail/undelivered").get_data(as_text=True)
    assert 'data-testid="retrying"' in html and "busy@city.tsuyama.lg.jp" in html

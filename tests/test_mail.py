"""The outbox: mail is written with the change it reports, and delivery never loses or repeats it."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from regional.extensions import db
from regional.mail.models import OutboundMail
from regional.mail.services import deliver_outbox
from tests import factories
from tests.factories import add_mail
from tests.fixtures_registrations import ja, ja_subject, register


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Picky:
    """An SMTP server that refuses one address and keeps the rest."""

    def __init__(self) -> None:
        self.accepted: list[str] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("bounce@"):
            return "550 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.accepted.extend(envelope.rcpt_tos)
        return "250 OK"


@pytest.fixture
def picky(app):
    handler = Picky()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    saved = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = controller.port
    yield handler
    app.config["MAIL_PORT"] = saved
    controller.stop()


def unsent() -> list[OutboundMail]:
    return list(
        db.session.scalars(
            select(OutboundMail)
            .execution_options(all_tenants=True)
            .where(OutboundMail.sent_at.is_(None))
        )
    )


def test_registration_mail_is_queued_in_the_same_transaction(ctx, world):
    ts = factories.make_session()
    savepoint = db.session.begin_nested()
    register(ts.id, world.employee_a)
    assert db.session.scalars(
        select(OutboundMail)
        .execution_options(all_tenants=True)
        .where(OutboundMail.to_addr == world.emails["employee_a"])
    ).all()
    savepoint.rollback()  # the registration is undone: so is its mail
    assert (
        db.session.scalars(
            select(OutboundMail)
            .execution_options(all_tenants=True)
            .where(OutboundMail.to_addr == world.emails["employee_a"])
        ).all()
        == []
    )


def test_refused_page_action_sends_nothing(as_employee_a, world, app, mailbox):
    with app.app_context():
        ts = factories.make_session(closes_in=timedelta(hours=-1), opens_in=timedelta(days=-3)).id
        db.session.commit()
    mailbox.clear()
    as_employee_a.form_post(f"/registrations/session/{ts}/register")
    assert mailbox.messages == []


def test_waitlisted_mail_tells_the_position(as_employee_a, world, app, mailbox):
    with app.app_context():
        ts = factories.make_session(capacity=1)
        register(ts.id, world.employee_b)
        register(ts.id, world.employee_a2)
        ts_id = ts.id
        db.session.commit()
    mailbox.clear()
    as_employee_a.form_post(f"/registrations/session/{ts_id}/register")
    (msg,) = mailbox.to(world.emails["employee_a"])
    with app.app_context():
        subject = ja_subject("On the waiting list: %(title)s", title="テスト研修")
        where = ja(
            "The session is full. You are number %(n)s on the waiting list. If a seat becomes "
            "free you will get it automatically and we will tell you.",
            n=2,
        )
    assert msg["Subject"] == subject
    assert where in mailbox.body(msg)
    assert not list(msg.iter_attachments())  # no calendar entry without a seat


def test_one_refused_address_neither_blocks_nor_repeats_the_others(ctx, picky):
    for to in ("a@example.lg.jp", "bounce@example.lg.jp", "b@example.lg.jp"):
        add_mail(OutboundMail(to_addr=to, subject="件名", body="本文\n"))
    db.session.flush()
    assert deliver_outbox() == 2
    assert picky.accepted == ["a@example.lg.jp", "b@example.lg.jp"]
    (left,) = unsent()
    assert left.to_addr == "bounce@example.lg.jp"
    # A 550 is for good: failed at once with the server's answer, never tried again.
    assert left.attempts == 1 and left.last_error == "550 no such user" and left.failed_at
    picky.accepted.clear()
    deliver_outbox()
    assert picky.accepted == []  # nothing sent twice
    assert unsent()[0].attempts == 1


def test_mail_server_down_keeps_everything_queued_for_the_next_run(ctx, app, mailbox, monkeypatch):
    from regional.mail import services

    add_mail(OutboundMail(to_addr="x@example.lg.jp", subject="件名", body="本文\n"))
    db.session.flush()
    saved = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = _free_port()  # nobody listens here
    try:
        assert deliver_outbox() == 0
    finally:
        app.config["MAIL_PORT"] = saved
    (left,) = unsent()
    assert left.attempts == 1 and left.last_error and left.failed_at is None
    assert deliver_outbox() == 0  # its next try is a minute away
    later = left.next_attempt_at
    monkeypatch.setattr(services, "now_utc", lambda: later)
    assert deliver_outbox() == 1
    assert [m["To"] for m in mailbox.messages] == ["x@example.lg.jp"]


def test_a_registration_renders_no_mail_in_its_transaction(ctx, world, monkeypatch, mailbox):
    """The outbox row names the template and the registration's state; text and calendar file
    are made at delivery (after the commit), as the registration was when it happened."""
    from regional.seats import calendar

    made = []
    real = calendar.registration_ics
    monkeypatch.setattr(
        calendar, "registration_ics", lambda *a, **k: made.append(1) or real(*a, **k)
    )
    ts = factories.make_session()
    reg = register(ts.id, world.employee_a)
    (mail,) = db.session.scalars(
        select(OutboundMail)
        .execution_options(all_tenants=True)
        .where(OutboundMail.to_addr == world.emails["employee_a"])
    ).all()
    assert mail.template == "registration_enrolled"
    assert mail.body is None and mail.ics is None and made == []
    assert mail.params["registration_id"] == reg.id and mail.params["status"] == "enrolled"
    db.session.flush()
    mailbox.clear()
    assert deliver_outbox() == 1
    (msg,) = mailbox.to(world.emails["employee_a"])
    assert msg["Subject"] == ja_subject("You are enrolled: %(title)s", title="テスト研修")
    (attachment,) = msg.iter_attachments()
    assert "STATUS:CONFIRMED" in attachment.get_content()
    assert made == [1]
    # What was sent stays on the row.
    assert mail.subject == msg["Subject"] and mail.ics


def test_a_deferred_mail_says_what_happened_then_not_what_is_true_now(ctx, world, mailbox):
    """Enrolled, then cancelled before the dispatcher ran: two mails, each as it happened."""
    from tests.fixtures_registrations import cancel

    ts = factories.make_session()
    reg = register(ts.id, world.employee_a)
    cancel(reg.id, world.employee_a)
    db.session.flush()
    mailbox.clear()
    assert deliver_outbox() == 2
    first, second = mailbox.to(world.emails["employee_a"])
    assert first["Subject"] == ja_subject("You are enrolled: %(title)s", title="テスト研修")
    assert "STATUS:CONFIRMED" in next(first.iter_attachments()).get_content()
    assert "STATUS:CANCELLED" in next(second.iter_attachments()).get_content()


def test_a_mail_that_cannot_be_rendered_stays_queued_alone(ctx, world, mailbox):
    add_mail(OutboundMail(to_addr="a@example.lg.jp", subject="件名", body="本文\n"))
    add_mail(
        OutboundMail(
            to_addr="b@example.lg.jp",
            template="registration_enrolled",
            params={"registration_id": 0, "employee_id": 0, "session_id": 0, "status": "enrolled"},
        )
    )
    db.session.flush()
    mailbox.clear()
    assert deliver_outbox() == 1
    assert [m["To"] for m in mailbox.messages] == ["a@example.lg.jp"]
    (left,) = unsent()
    assert left.to_addr == "b@example.lg.jp" and left.attempts == 1 and left.last_error

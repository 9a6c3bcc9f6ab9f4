"""Mail through the outbox: queued in the caller's transaction, delivered after commit.

Each message is tried on its own. The mail server's answer decides what follows:

* accepted: sent;
* refused for good (a 5xx answer, a recipient refused with 5xx, an address that cannot
  be written): failed at once with the answer, on the coordinator's list of undelivered
  mail (宛先不明のメール) and in the member's audit trail;
* refused for now (4xx, connection refused, time-out, the connection lost): tried again
  later, waiting longer each time (:func:`retry_delay`), and failed like the others once
  the retries have lasted ``MAIL_RETRY_HOURS``.

The queue is read by the time each message is due, so a message that keeps failing
moves back and never holds up the others; a run goes on after any one failure and
stops early only when the server cannot be reached at all.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import event, insert, select
from sqlalchemy.orm import Session

from regional.audit import record_audit_across
from regional.errors import database_unavailable
from regional.extensions import db
from regional.fiscal import now_utc
from regional.mail.models import MailSignature, OutboundMail
from tenants import all_tenants
from tenants.models import Municipality
from tenants.rls import core_connection

log = logging.getLogger(__name__)

_QUEUED = "mail_queued"
_COMMITTED = "mail_committed"
_SIGNATURES = "mail_signatures"

#: Mail about the account at the address it is written to: sign-in links (confirmation,
#: reset, invitation) and notices of the account's own security. Never sent to another
#: address (regional.outbox.undelivered); tests/test_mail_failures.py checks that every
#: template with a link is here.
ADDRESS_BOUND = frozenset(
    {
        "auth_confirm",
        "auth_reset",
        "auth_password_changed",
        "auth_signup_exists",
        "account_address_changed",
        "people_invitation",
    }
)


def queue_mail(
    to: str,
    template: str,
    *,
    locale: str | None = "ja",
    municipality_id: int | None = None,
    ics: bytes | None = None,
    **context: object,
) -> OutboundMail:
    """Render ``mail/<template>.txt`` (first line: subject) in the recipient's language and queue it."""
    subject, body = compose(template, locale, municipality_id, context)
    # Whatever member the mail concerns, and whoever is acting: with the wall lifted for
    # this one statement (the outbox is a member's, and row-level security would refuse a
    # row of another member or of none).
    mail = db.session.scalars(
        insert(OutboundMail).returning(OutboundMail),
        [
            {
                "to_addr": to,
                "subject": subject,
                "body": body,
                "ics": ics,
                "template": template,
                "municipality_id": municipality_id,
            }
        ],
        execution_options={"all_tenants": True},
    ).one()
    db.session.info.setdefault(_QUEUED, []).append(mail)
    return mail


def _split(text: str) -> tuple[str, str]:
    subject, _nl, body = text.strip().partition("\n")
    return subject.strip(), body.strip() + "\n"


def compose(
    template: str, locale: str | None, municipality_id: int | None, context: dict
) -> tuple[str, str]:
    """Subject and body of ``mail/<template>.txt`` as they are sent: the one place that
    gives every mail the portal's subject prefix (【研修ポータル】) and the sender's
    signature (:func:`signature_for`). Used when queueing, at delivery, and by the
    confirmation pages that show a mail before it goes."""
    lang = locale or "ja"
    env = current_app.jinja_env
    # Rendered straight from the Jinja environment: mail needs no request context
    # processors (they would build page forms and set a cookie on API answers).
    with force_locale(lang):
        text = env.get_template(f"mail/{template}.txt").render(
            lang=lang, config=current_app.config, **context
        )
        subject, body = _split(text)
        subject = _("[Training portal] %(subject)s", subject=subject)
        signature = env.get_template("mail/_signature.txt").render(
            lang=lang, config=current_app.config, signature=signature_for(municipality_id)
        )
    return subject[:300], body + "\n" + signature.strip() + "\n"


@dataclass(frozen=True)
class Signature:
    """Who signs a member's mail: the member, its section and contact (any may be missing)."""

    member: Municipality | None
    section: str | None = None
    phone: str | None = None
    email: str | None = None


def signature_for(municipality_id: int | None) -> Signature:
    """The member's own signature, else the region's default (the coordinating member's,
    who run the portal); mail of no member is signed with the region's default.

    Read across the wall (the default is another member's row); kept for the transaction.
    """
    cache = db.session.info.setdefault(_SIGNATURES, {})
    if municipality_id not in cache:
        cache[municipality_id] = _read_signature(municipality_id)
    return cache[municipality_id]


def _read_signature(municipality_id: int | None) -> Signature:
    def row_of(mid: int | None) -> MailSignature | None:
        if mid is None:
            return None
        return db.session.scalar(
            select(MailSignature)
            .where(MailSignature.municipality_id == mid)
            .execution_options(all_tenants=True)
        )

    row = row_of(municipality_id) or row_of(coordinating_member_id())
    if row is None:
        member = db.session.get(Municipality, municipality_id) if municipality_id else None
        return Signature(member)
    return Signature(
        db.session.get(Municipality, row.municipality_id), row.section, row.phone, row.email
    )


def forget_signatures() -> None:
    """After a signature changed: mail queued from now on reads it again."""
    db.session.info.pop(_SIGNATURES, None)


#: Renderers of mail rendered at delivery, by template-name prefix: ``fn(mail) -> (context,
#: ics)``. Registered by the feature that queues such mail (a lower package cannot import it).
_RENDERERS: dict[str, Callable[[OutboundMail], tuple[dict, bytes | None]]] = {}


def deferred_renderer(prefix: str):
    """Register the function that gathers a deferred mail's context (and calendar file)."""

    def decorator(fn):
        _RENDERERS[prefix] = fn
        return fn

    return decorator


_outbox = OutboundMail.__table__
_QUEUE_DEFERRED = insert(_outbox).returning(_outbox.c.id).execution_options(all_tenants=True)


def queue_deferred(
    to: str,
    template: str,
    *,
    locale: str | None = "ja",
    municipality_id: int | None = None,
    params: dict,
) -> int:
    """Queue ``mail/<template>.txt`` to be rendered at delivery from ``params`` (JSON).

    For mail written inside a short critical section: the row is the record that
    the message is owed (same transaction as the change); text and calendar file
    are made by the dispatcher, after the commit. One Core ``INSERT`` (the outbox is
    not tenant-owned; it records whose message it is). Returns the row's id.
    """
    mail_id = (
        core_connection(db.session())
        .execute(
            _QUEUE_DEFERRED,
            {
                "to_addr": to,
                "template": template,
                "params": {**params, "locale": locale or "ja"},
                "municipality_id": municipality_id,
            },
        )
        .scalar_one()
    )
    db.session.info.setdefault(_QUEUED, []).append(mail_id)
    return mail_id


def render(mail: OutboundMail) -> None:
    """Render a deferred mail's subject, body and calendar file, and keep them on the row."""
    if mail.body is not None or mail.template is None:
        return
    gather = next(
        (fn for prefix, fn in _RENDERERS.items() if mail.template.startswith(prefix)), None
    )
    if gather is None:
        raise LookupError(f"no renderer for mail template {mail.template!r}")
    locale = (mail.params or {}).get("locale") or "ja"
    context, ics = gather(mail)
    mail.subject, mail.body = compose(mail.template, locale, mail.municipality_id, context)
    mail.ics = ics


@event.listens_for(Session, "after_commit")
def _remember_committed(session: Session) -> None:
    session.info.pop(_SIGNATURES, None)
    queued = session.info.pop(_QUEUED, None)
    if queued:
        ids = (m if isinstance(m, int) else m.id for m in queued)
        session.info.setdefault(_COMMITTED, []).extend(i for i in ids if i)


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    session.info.pop(_QUEUED, None)
    session.info.pop(_SIGNATURES, None)


def _build(mail: OutboundMail) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    msg["To"] = mail.to_addr
    msg["Subject"] = mail.subject
    msg["Message-ID"] = make_msgid(domain="training.invalid")
    msg.set_content(mail.body)
    if mail.ics:
        msg.add_attachment(mail.ics, maintype="text", subtype="calendar", filename="session.ics")
    return msg


#: Refusals that concern one message only; the connection stays usable for the rest.
_ONE_MESSAGE = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError)


class Unreachable(Exception):
    """The mail server could not be reached (or refused the session): stop this run."""


class _Postman:
    """Sends messages: printed (console backend) or over one SMTP connection, opened when
    first needed and again after a connection was lost."""

    def __init__(self) -> None:
        self.cfg = current_app.config
        self.smtp: smtplib.SMTP | None = None

    def send(self, msg: EmailMessage) -> None:
        if self.cfg["MAIL_BACKEND"] == "console":
            print(f"---- mail to {msg['To']} ----\nSubject: {msg['Subject']}\n")
            body = msg.get_body(preferencelist=("plain",))
            print(body.get_content() if body else "")
            return
        if self.smtp is None:
            self.smtp = self._open()
        self.smtp.send_message(msg)

    def _open(self) -> smtplib.SMTP:
        cfg = self.cfg
        try:
            smtp = smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=10)
        except (OSError, smtplib.SMTPException) as exc:
            raise Unreachable(_describe(exc)) from exc
        try:
            if cfg["MAIL_USE_TLS"]:
                smtp.starttls()
            if cfg["MAIL_USERNAME"]:
                smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"])
        except (OSError, smtplib.SMTPException) as exc:
            _quietly_close(smtp)
            raise Unreachable(_describe(exc)) from exc
        return smtp

    def drop(self) -> None:
        """Forget the connection (its state is unknown after an error); reopen when needed."""
        if self.smtp is not None:
            _quietly_close(self.smtp)
            self.smtp = None

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (OSError, smtplib.SMTPException):
                _quietly_close(self.smtp)
            self.smtp = None


def _quietly_close(smtp: smtplib.SMTP) -> None:
    with suppress(OSError):
        smtp.close()


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _describe(exc: BaseException) -> str:
    """The server's answer (``550 5.1.1 no such user``), or what went wrong on the way."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{code} {_text(msg)}" for code, msg in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{exc.smtp_code} {_text(exc.smtp_error)}"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def is_permanent(exc: BaseException) -> bool:
    """Whether sending again cannot help: a 5xx answer (RFC 5321 4.2.1), or a message
    the server cannot take at all (an address it does not support)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _msg in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    # A non-ASCII address to a server without SMTPUTF8; a header that cannot be written.
    return isinstance(exc, smtplib.SMTPNotSupportedError | ValueError)


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th try failed for now.

    First ``MAIL_RETRY_FIRST_SECONDS`` (a minute: the cron interval, so a server that
    hiccups costs one run), then twice as long each time up to
    ``MAIL_RETRY_LONGEST_SECONDS`` (an hour: a server away for the afternoon is
    tried hourly, not hammered every minute, and mail arrives within the hour of its
    return).
    """
    cfg = current_app.config
    first, longest = cfg["MAIL_RETRY_FIRST_SECONDS"], cfg["MAIL_RETRY_LONGEST_SECONDS"]
    seconds = min(first * 2 ** min(max(attempts - 1, 0), 30), longest)
    return timedelta(seconds=max(seconds, 1))  # later than now: a run tries a message once


def retries_exhausted(attempts: int) -> bool:
    """Whether ``attempts`` temporary failures have waited ``MAIL_RETRY_HOURS`` in all."""
    waited = sum((retry_delay(n) for n in range(1, attempts + 1)), timedelta())
    return waited >= timedelta(hours=current_app.config["MAIL_RETRY_HOURS"])


@dataclass
class Run:
    """What one delivery did."""

    sent: int = 0
    failed: int = 0
    retrying: int = 0
    #: The server could not be reached: messages not tried yet wait for the next run.
    unreachable: bool = False


def _retry_later(mail: OutboundMail, answer: str, now: datetime, run: Run) -> None:
    mail.attempts += 1
    mail.last_error = answer[:1000]
    if retries_exhausted(mail.attempts):
        _give_up(mail, answer, now, run, permanent=False)
        return
    mail.next_attempt_at = now + retry_delay(mail.attempts)
    run.retrying += 1


def _give_up(mail: OutboundMail, answer: str, now: datetime, run: Run, *, permanent: bool) -> None:
    if permanent:
        mail.attempts += 1
    mail.last_error = answer[:1000]
    mail.failed_at = now
    run.failed += 1
    log.warning(
        "mail %s undelivered (%s): %s", mail.id, "refused" if permanent else "gave up", answer
    )
    _audit_failure(mail, answer, permanent=permanent)


def _audit_failure(mail: OutboundMail, answer: str, *, permanent: bool) -> None:
    """One entry per undelivered message, in its member's trail (mail of no member: the
    coordinating member's, the regional administrators' own)."""
    municipality_id = mail.municipality_id or coordinating_member_id()
    if municipality_id is None:  # no region loaded: nobody's trail to write in
        return
    subject = mail.subject or mail.template or ""
    record_audit_across(
        "mail.undelivered",
        municipality_id=municipality_id,
        actor=None,
        subject_type="mail",
        subject_id=mail.id,
        subject_label=f"{mail.to_addr} {subject}".strip(),
        detail={
            "to": mail.to_addr,
            "mail_subject": subject,
            "answer": answer[:500],
            "attempts": mail.attempts,
            "refused": permanent,
        },
    )


def coordinating_member_id() -> int | None:
    """The member whose trail holds what concerns no member (the regional administrators')."""
    return db.session.scalar(
        select(Municipality.id).where(Municipality.coordinating).order_by(Municipality.id)
    )


def send_again(mail: OutboundMail, to_addr: str) -> None:
    """Queue a failed message again, due now (delivered after the commit when immediate)."""
    mail.to_addr = to_addr
    mail.failed_at = None
    mail.attempts = 0
    mail.last_error = None
    mail.next_attempt_at = now_utc()
    db.session.info.setdefault(_QUEUED, []).append(mail)


def _deliver(mails: list[OutboundMail]) -> Run:
    # Every member's messages: the rows' updates (and deferred mail's reads) cross members.
    with all_tenants(db.session):
        return _deliver_each(mails)


def _deliver_each(mails: list[OutboundMail]) -> Run:
    run = Run()
    postman = _Postman()
    try:
        for i, m in enumerate(mails):
            # What the previous message changed is written now, with the wall lifted: a
            # deferred mail is read inside its own member (acting_as), where an autoflush
            # of another member's row would find nothing to update.
            db.session.flush()
            now = now_utc()
            try:  # deferred mail is rendered here: after the request's commit, or in cron
                render(m)
            except Exception as exc:  # noqa: BLE001 - that message waits, alone
                log.exception("mail %s could not be rendered", m.id)
                _retry_later(m, f"not written: {type(exc).__name__}", now, run)
                continue
            try:
                msg = _build(m)
            except (ValueError, TypeError) as exc:  # an address or subject no header can hold
                _give_up(m, _describe(exc), now, run, permanent=True)
                continue
            try:
                postman.send(msg)
            except Unreachable as exc:
                log.warning("mail server unreachable, %d message(s) wait: %s", len(mails) - i, exc)
                _retry_later(m, str(exc), now, run)
                run.unreachable = True
                break
            except (OSError, smtplib.SMTPException, ValueError) as exc:
                if not isinstance(exc, _ONE_MESSAGE):
                    postman.drop()  # the connection may be half-way through a command
                answer = _describe(exc)
                if is_permanent(exc):
                    _give_up(m, answer, now, run, permanent=True)
                else:
                    log.warning("mail %s not sent for now: %s", m.id, answer)
                    _retry_later(m, answer, now, run)
            else:
                m.sent_at, m.attempts = now_utc(), m.attempts + 1
                run.sent += 1
    finally:
        postman.close()
    db.session.commit()
    return run


def deliver(mails: list[OutboundMail]) -> int:
    """Send the given messages, each on its own; returns how many were sent.

    A refusal of one message marks that message only (failed, or waiting for a later
    try); it neither blocks nor re-sends the others.
    """
    return _deliver(mails).sent if mails else 0


def _claim(stmt):
    """Lock the rows a delivery takes (PostgreSQL): two overlapping runs never send one twice.

    The mailer reads every member's outbox: the wall is lifted for the statement.
    """
    stmt = stmt.with_for_update(of=OutboundMail, skip_locked=True)
    return list(db.session.scalars(stmt.execution_options(all_tenants=True)))


def deliver_committed() -> int:
    """After a request: deliver what it committed (if delivery is immediate).

    The request's own work is committed by now: the database failing here must not turn
    its answer into an error (the client would retry what is done). The messages stay in
    the outbox for ``flask send-mail``.
    """
    ids = db.session.info.pop(_COMMITTED, None)
    if not ids or current_app.config.get("MAIL_DELIVERY", "immediate") != "immediate":
        return 0
    try:
        return deliver(_claim(OutboundMail.waiting().where(OutboundMail.id.in_(ids))))
    except Exception as exc:
        if not database_unavailable(exc):
            raise
        log.warning("mail stays queued: the database failed after the commit (%s)", exc)
        with suppress(Exception):
            db.session.rollback()
        return 0


def deliver_outbox(batch: int = 200) -> int:
    """Cron: deliver every message that is due (after a crash, when delivery is deferred,
    or when a retry's time has come); returns how many were sent.

    Each message is tried at most once per run: one that fails waits until a later
    time. A run stops early only when the server cannot be reached.
    """
    started = now_utc()
    total = 0
    while True:
        mails = _claim(OutboundMail.due(started).limit(batch))
        if not mails:
            db.session.commit()
            return total
        run = _deliver(mails)
        total += run.sent
        if run.unreachable:
            return total

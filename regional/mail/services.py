"""Mail through the outbox: queued in the caller's transaction, delivered after commit."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import event, insert
from sqlalchemy.orm import Session

from regional.errors import database_unavailable
from regional.extensions import db
from regional.fiscal import now_utc
from regional.mail.models import OutboundMail
from tenants.rls import core_connection

log = logging.getLogger(__name__)

_QUEUED = "mail_queued"
_COMMITTED = "mail_committed"


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
    # Rendered straight from the Jinja environment: mail needs no request context
    # processors (they would build page forms and set a cookie on API answers).
    with force_locale(locale or "ja"):
        text = current_app.jinja_env.get_template(f"mail/{template}.txt").render(
            lang=locale or "ja", config=current_app.config, **context
        )
    subject, body = _split(text)
    mail = OutboundMail(
        to_addr=to,
        stored_subject=subject,
        stored_body=body,
        stored_ics=ics,
        municipality_id=municipality_id,
    )
    db.session.add(mail)
    db.session.info.setdefault(_QUEUED, []).append(mail)
    return mail


def _split(text: str) -> tuple[str, str]:
    subject, _, body = text.strip().partition("\n")
    return subject.strip()[:300], body.strip() + "\n"


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
_QUEUE_DEFERRED = insert(_outbox).returning(_outbox.c.id)


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
    if mail.stored_body is not None or mail.template is None:
        return
    gather = next(
        (fn for prefix, fn in _RENDERERS.items() if mail.template.startswith(prefix)), None
    )
    if gather is None:
        raise LookupError(f"no renderer for mail template {mail.template!r}")
    locale = (mail.params or {}).get("locale") or "ja"
    context, ics = gather(mail)
    with force_locale(locale):
        text = current_app.jinja_env.get_template(f"mail/{mail.template}.txt").render(
            lang=locale, config=current_app.config, **context
        )
    mail.stored_subject, mail.stored_body = _split(text)
    mail.stored_ics = ics


@event.listens_for(Session, "after_commit")
def _remember_committed(session: Session) -> None:
    queued = session.info.pop(_QUEUED, None)
    if queued:
        ids = (m if isinstance(m, int) else m.id for m in queued)
        session.info.setdefault(_COMMITTED, []).extend(i for i in ids if i)


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    session.info.pop(_QUEUED, None)


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


@contextmanager
def _connection() -> Iterator[Callable[[EmailMessage], None]]:
    """A way to send messages: printed (console backend) or through one SMTP connection."""
    cfg = current_app.config
    if cfg["MAIL_BACKEND"] == "console":

        def show(msg: EmailMessage) -> None:
            print(f"---- mail to {msg['To']} ----\nSubject: {msg['Subject']}\n")
            body = msg.get_body(preferencelist=("plain",))
            print(body.get_content() if body else "")

        yield show
        return
    with smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=10) as smtp:
        if cfg["MAIL_USE_TLS"]:
            smtp.starttls()
        if cfg["MAIL_USERNAME"]:
            smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"])
        yield smtp.send_message


def _failed(mail: OutboundMail, exc: Exception) -> None:
    mail.attempts += 1
    mail.last_error = str(exc)[:500]


def deliver(mails: list[OutboundMail]) -> int:
    """Send the given messages and mark each one sent; failures stay queued for the next run.

    A message the server refuses (a bad address) is retried alone later; it
    neither blocks nor re-sends the others.
    """
    if not mails:
        return 0
    ready = []
    for m in mails:  # deferred mail is rendered here: after the request's commit, or in cron
        try:
            render(m)
        except Exception as exc:  # noqa: BLE001 - that message stays queued, alone
            log.exception("mail %s could not be rendered", m.id)
            _failed(m, exc)
        else:
            ready.append(m)
    mails = ready
    if not mails:
        db.session.commit()
        return 0
    done: set[int] = set()
    sent = 0
    try:
        with _connection() as send:
            for m in mails:
                try:
                    send(_build(m))
                except _ONE_MESSAGE as exc:
                    log.warning("mail %s refused by the server: %s", m.id, exc)
                    _failed(m, exc)
                else:
                    m.sent_at, m.attempts = now_utc(), m.attempts + 1
                    sent += 1
                done.add(id(m))
    except (OSError, smtplib.SMTPException) as exc:
        left = [m for m in mails if id(m) not in done]
        log.warning("mail delivery failed, %d message(s) stay queued: %s", len(left), exc)
        for m in left:
            _failed(m, exc)
    db.session.commit()
    return sent


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
        mails = list(db.session.scalars(OutboundMail.unsent().where(OutboundMail.id.in_(ids))))
        return deliver(mails)
    except Exception as exc:
        if not database_unavailable(exc):
            raise
        log.warning("mail stays queued: the database failed after the commit (%s)", exc)
        with suppress(Exception):
            db.session.rollback()
        return 0


def deliver_outbox(batch: int = 200) -> int:
    """Cron: deliver everything still unsent (after a crash, or when delivery is deferred).

    Each message is tried at most once per run; a run stops early when a whole
    batch fails (the server is down), leaving the rest for the next run.
    """
    total, last_id = 0, 0
    while True:
        mails = list(
            db.session.scalars(OutboundMail.unsent().where(OutboundMail.id > last_id).limit(batch))
        )
        if not mails:
            return total
        last_id = mails[-1].id
        sent = deliver(mails)
        total += sent
        if sent == 0:
            return total

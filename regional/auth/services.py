"""Authentication: sign-in under the throttle, sign-up, address confirmation, password reset.

Every public answer is the same whether or not an account exists (ASVS 6.3.8):
the differences go to the address owner's mailbox, never to the screen.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from regional.auth import throttle, tokens
from regional.auth.passwords import hash_password, verify_password
from regional.errors import DomainError
from regional.extensions import db
from regional.fiscal import now_utc
from regional.mail.services import queue_mail
from regional.people.addresses import another_members_domain
from regional.people.models import AccountStatus, JobCategory, Role, User, normalize_email
from tenants import all_tenants
from tenants.models import Municipality
from tenants.scoping import acting_as

log = logging.getLogger("regional.audit")


class Throttled(DomainError):
    """Too many attempts or too much mail for one key; ``retry_after`` seconds to wait."""

    status = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__("throttled", throttle.wait_message(retry_after))
        self.retry_after = retry_after


@dataclass
class AuthResult:
    user: User | None = None
    #: Seconds to wait; >0 means throttled (the message names the wait, 429 with Retry-After).
    retry_after: int = 0


def authenticate(email: str, password: str, address: str | None) -> AuthResult:
    """Check credentials. Unknown, pending and disabled accounts and a wrong password look alike.

    An account throttled from this address, or from everywhere, is not checked at all. A
    throttled client address refuses only what fails: a correct password for an account that
    is not itself throttled passes, so one person's typos (or a guesser's) behind a town
    hall's shared LGWAN address do not shut out the colleagues behind it.
    """
    email = normalize_email(email)
    keys = throttle.sign_in_keys(email, address)
    wait = throttle.retry_after(keys.own)
    if wait:
        log.warning("sign-in throttled key=%s addr=%r wait=%d", keys.account, address, wait)
        return AuthResult(retry_after=wait)
    # Sign-in by e-mail cannot know the municipality yet: a deliberate cross-tenant read.
    with all_tenants(db.session):
        user = db.session.scalar(User.by_email(email))
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.is_active:
        # Read what the audit line needs now: the commit below expires the account, and
        # reloading it outside its municipality (with its eager org unit) is refused.
        account = user.id if user else "-"
        reason = "no_account" if user is None else "password" if not ok else user.status.value
        if user is not None:
            db.session.expunge(user)
        # Known or not, the failure counts on all three keys alike: what an address has
        # counted must not tell whether an e-mail address has an account.
        address_wait = throttle.retry_after([keys.address]) if keys.address else 0
        throttle.record_failure(keys.all)
        wait = throttle.retry_after(keys.all) if address_wait else 0
        db.session.commit()
        # The typed e-mail is not logged (people type passwords into it); its hash key is.
        log.warning(
            "sign-in failed account=%s key=%s reason=%s addr=%r",
            account,
            keys.account,
            reason,
            address,
        )
        if wait:
            log.warning("sign-in refused from a throttled address addr=%r wait=%d", address, wait)
        return AuthResult(retry_after=wait)
    # The owner's own typos from this address were not guesses: the address forgets them.
    typos = throttle.failures_of(keys.pair)
    throttle.clear(keys.own)
    if keys.address:
        throttle.forgive(keys.address, typos)
    with acting_as(db.session, user.municipality_id):  # the account's own row
        user.last_login_at = now_utc()
        db.session.commit()
    log.info("sign-in user=%s municipality=%s addr=%r", user.id, user.municipality.code, address)
    return AuthResult(user=user)


def new_calendar_token() -> str:
    """A fresh secret for the personal calendar-feed address."""
    return secrets.token_urlsafe(32)


def _link(endpoint: str, **values: object) -> str:
    """An absolute link for mail: the public base plus the route's path."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return base + url_for(endpoint, _external=False, **values)


def _count_mail_to(email: str) -> None:
    """Refuse (429) when this address was sent too much account mail lately, else count one."""
    keys = [throttle.mail_key(email)]
    wait = throttle.retry_after(keys)
    if wait:
        log.warning("account mail throttled key=%s wait=%d", keys[0], wait)
        raise Throttled(wait)
    throttle.record_failure(keys)


def _find_by_email(email: str) -> User | None:
    # E-mail addresses are unique across the whole region (sign-in asks no municipality),
    # so the question "is this address taken?" must look into every municipality.
    with all_tenants(db.session):
        return db.session.scalar(User.by_email(email))


@dataclass
class SignupOutcome:
    #: Whether the address waits for a coordinator (decided by its domain only, never by
    #: whether an account exists, so the page shown cannot reveal that).
    needs_approval: bool


def sign_up(
    *,
    municipality_code: str,
    name: str,
    email: str,
    employee_number: str | None,
    job_category: str,
    password: str,
    locale: str,
) -> SignupOutcome:
    """Create a pending account (or, for a taken address, warn its owner by mail)."""
    municipality = db.session.scalar(Municipality.by_code(municipality_code))
    if municipality is None:
        raise DomainError("unknown_municipality", _l("Choose your municipality."), status=400)
    email = normalize_email(email)
    _refuse_other_members_address(municipality, email)
    outcome = SignupOutcome(needs_approval=not municipality.owns_email(email))
    _count_mail_to(email)
    password_hash = hash_password(password)  # hashed on both paths: no timing hint
    existing = _find_by_email(email)
    if existing is not None:
        _mail_existing_owner(existing)
        return outcome
    try:
        with db.session.begin_nested():
            user, claimed_number = _create_pending(
                municipality, name, email, employee_number, job_category, password_hash, locale
            )
    except IntegrityError:
        # A concurrent sign-up took the address first; that one is the account.
        log.warning("sign-up raced for an address municipality=%s", municipality.code)
        existing = _find_by_email(email)
        if existing is not None:
            _mail_existing_owner(existing)
        return outcome
    _mail_new_account(user, municipality, claimed_number)
    return outcome


def _refuse_other_members_address(municipality: Municipality, email: str) -> None:
    """A staff address of another member is not this member's to approve (it would squat it).

    Decided by the domain alone, never by whether an account exists.
    """
    other = another_members_domain(municipality, email)
    if other is not None:
        raise DomainError(
            "other_members_address",
            _l(
                "This is a staff address of another municipality. Choose the municipality "
                "the address belongs to, or sign up with an address of the one you work for."
            ),
            field="email",
        )


def _create_pending(
    municipality: Municipality,
    name: str,
    email: str,
    employee_number: str | None,
    job_category: str,
    password_hash: str,
    locale: str,
) -> tuple[User, str | None]:
    """The new account, and the employee number it claimed if another account holds it."""
    # The anonymous request has no municipality: act inside the chosen one to stamp it.
    with acting_as(db.session, municipality.id):
        number_taken = employee_number is not None and (
            db.session.scalar(select(User.id).where(User.employee_number == employee_number))
            is not None
        )
        staff_address = municipality.owns_email(email)
        user = User(
            email=email,
            name=name,
            # Someone else's number is not stored; the coordinator sorts it out.
            employee_number=None if number_taken else employee_number,
            job_category=JobCategory(job_category),
            role=Role.EMPLOYEE,
            status=AccountStatus.PENDING_EMAIL
            if staff_address and not number_taken
            else AccountStatus.PENDING_APPROVAL,
            password_hash=password_hash,
            locale=locale,
        )
        db.session.add(user)
        db.session.flush()
    log.info(
        "sign-up account=%s municipality=%s status=%s number_taken=%s",
        user.id,
        municipality.code,
        user.status.value,
        number_taken,
    )
    return user, employee_number if number_taken else None


def _mail_new_account(user: User, municipality: Municipality, claimed_number: str | None) -> None:
    if user.status == AccountStatus.PENDING_EMAIL:
        queue_mail(
            user.email,
            "auth_confirm",
            locale=user.locale,
            municipality_id=municipality.id,
            user=user,
            link=_link("auth.confirm", token=tokens.make_token(user, tokens.CONFIRM)),
            max_age_days=tokens.MAX_AGE[tokens.CONFIRM] // 86400,
        )
        return
    queue_mail(
        user.email,
        "auth_pending_approval",
        locale=user.locale,
        municipality_id=municipality.id,
        user=user,
        municipality=municipality,
    )
    with acting_as(db.session, municipality.id):
        coordinators = list(
            db.session.scalars(
                select(User).where(
                    User.role.in_([Role.COORDINATOR, Role.REGIONAL_ADMIN]),
                    User.status == AccountStatus.ACTIVE,
                )
            )
        )
    if not coordinators:
        log.warning(
            "sign-up awaits approval but municipality=%s has no coordinator", municipality.code
        )
    for coordinator in coordinators:
        queue_mail(
            coordinator.email,
            "auth_pending_approval_coordinator",
            locale=coordinator.locale,
            municipality_id=municipality.id,
            coordinator=coordinator,
            applicant=user,
            claimed_number=claimed_number,
            municipality=municipality,
        )


def _mail_existing_owner(user: User) -> None:
    log.info("sign-up with an address that has an account account=%s", user.id)
    queue_mail(
        user.email,
        "auth_signup_exists",
        locale=user.locale,
        municipality_id=user.municipality_id,
        user=user,
        login_link=_link("auth.login"),
        forgot_link=_link("auth.forgot"),
    )


def account_for_token(token: str, purpose: str) -> User | None:
    """The account a mailed link names, if the link is valid and still makes sense.

    A confirmation link works for an account awaiting confirmation (and says "done"
    for an active one); a reset link works for active accounts only.
    """
    user = tokens.user_from_token(token, purpose)
    if user is None:
        return None
    allowed = {
        tokens.CONFIRM: (AccountStatus.PENDING_EMAIL, AccountStatus.ACTIVE),
        tokens.RESET: (AccountStatus.ACTIVE,),
        tokens.INVITE: (AccountStatus.ACTIVE,),
    }[purpose]
    return user if user.status in allowed else None


def confirm_email(token: str) -> User | None:
    """Activate the account a confirmation link names; None when the link is not valid."""
    user = account_for_token(token, tokens.CONFIRM)
    if user is None or user.status == AccountStatus.ACTIVE:
        return user
    with acting_as(db.session, user.municipality_id):
        user.status = AccountStatus.ACTIVE
        db.session.flush()
    log.info("e-mail confirmed account=%s municipality=%s", user.id, user.municipality.code)
    return user


def request_password_reset(email: str) -> None:
    """Mail a reset link to an active account's address (a pending one gets its confirmation again).

    Raises :class:`Throttled` for an address that was sent account mail just now,
    whether or not it has an account.
    """
    email = normalize_email(email)
    _count_mail_to(email)
    user = _find_by_email(email)
    if user is None:
        log.info("password reset asked for no account key=%s", throttle.mail_key(email))
        return
    if user.status == AccountStatus.ACTIVE:
        queue_mail(
            user.email,
            "auth_reset",
            locale=user.locale,
            municipality_id=user.municipality_id,
            user=user,
            link=_link("auth.reset", token=tokens.make_token(user, tokens.RESET)),
            max_age_minutes=tokens.MAX_AGE[tokens.RESET] // 60,
        )
    elif user.status == AccountStatus.PENDING_EMAIL:
        queue_mail(
            user.email,
            "auth_confirm",
            locale=user.locale,
            municipality_id=user.municipality_id,
            user=user,
            link=_link("auth.confirm", token=tokens.make_token(user, tokens.CONFIRM)),
            max_age_days=tokens.MAX_AGE[tokens.CONFIRM] // 86400,
        )
    log.info("password reset asked account=%s status=%s", user.id, user.status.value)


def reset_password(
    token: str, password: str, purpose: str = tokens.RESET, address: str | None = None
) -> User | None:
    """Set a new password from a reset (or invitation) link; every other session and token ends."""
    user = account_for_token(token, purpose)
    if user is None:
        return None
    with acting_as(db.session, user.municipality_id):
        user.password_hash = hash_password(password)
        user.revoke_sessions()
        # Whoever knew the old password may have copied the feed address too.
        user.calendar_token = new_calendar_token()
        db.session.flush()
    # A fresh password: the account's failed sign-ins no longer count against it, nor
    # those of the (account, address) pair the link is used from.
    keys = throttle.sign_in_keys(user.email, address)
    throttle.clear(keys.own)
    queue_mail(
        user.email,
        "auth_password_changed",
        locale=user.locale,
        municipality_id=user.municipality_id,
        user=user,
        forgot_link=_link("auth.forgot"),
    )
    log.info(
        "password set from %s link account=%s municipality=%s",
        purpose,
        user.id,
        user.municipality.code,
    )
    return user


def first_sign_in(user: User, address: str | None) -> None:
    """An invited person who has just chosen their password from the link is signed in:
    the account's own row is written inside their municipality (as in :func:`authenticate`)."""
    with acting_as(db.session, user.municipality_id):
        user.last_login_at = now_utc()
        db.session.flush()
    log.info(
        "sign-in user=%s municipality=%s addr=%r (invitation)",
        user.id,
        user.municipality.code,
        address,
    )


def sign_out_everywhere(user: User, *, revoke_feed: bool = True) -> None:
    """End every session and API token of the account (the session version moves on).

    The personal calendar-feed address is replaced too (``revoke_feed``): someone
    who had the account may have copied it. A plain sign-out keeps it.
    """
    with acting_as(db.session, user.municipality_id):
        user.revoke_sessions()
        if revoke_feed:
            user.calendar_token = new_calendar_token()
        db.session.flush()
    log.info("signed out everywhere account=%s feed_revoked=%s", user.id, revoke_feed)

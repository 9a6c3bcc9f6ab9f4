"""Mail to many people at once: who gets what, shown before anything goes.

Every action that mails more than one person (the required-training reminder, the
invitation to a session from the progress drill-down, the batch of invitations to
imported staff) first shows a confirmation page (a GET that changes nothing): how many
people, the first names, and the mail as it will be sent (one rendered example). Only
the confirmation's POST sends, after working the plan out again.

People who have never signed in (imported, no password yet) cannot act on a notice:
they get the invitation to choose a password instead (:mod:`regional.people.invitations`),
unless an invitation whose link still works went to them lately (then nothing: counted).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _

from regional.fiscal import now_utc
from regional.mail.services import compose
from regional.people import invitations
from regional.people.models import User

#: Names listed on a confirmation page; the rest are counted.
NAMES_SHOWN = 10


@dataclass
class Mailing:
    """The people a mailing reaches, split by what each of them gets."""

    #: People who can sign in: they get the notice itself.
    notices: list[User] = field(default_factory=list)
    #: People who have never signed in: they get the invitation to choose a password.
    invitations: list[User] = field(default_factory=list)
    #: Never signed in, and invited lately (the link still works): nothing goes to them.
    invited_lately: list[User] = field(default_factory=list)

    @property
    def total(self) -> int:
        """How many people are mailed."""
        return len(self.notices) + len(self.invitations)

    @property
    def people(self) -> list[User]:
        return self.notices + self.invitations

    def names(self, limit: int = NAMES_SHOWN) -> tuple[list[str], int]:
        """The first names and how many more."""
        everyone = self.people
        return [p.name for p in everyone[:limit]], max(len(everyone) - limit, 0)


def split(people: Iterable[User], now: datetime | None = None) -> Mailing:
    """Who gets the notice, who the invitation, and who nothing (invited lately)."""
    now = now or now_utc()
    mailing = Mailing()
    for person in people:
        if person.password_hash is not None:
            mailing.notices.append(person)
        elif not invitations.may_invite(person):
            continue  # a disabled account without a password: nobody to write to
        elif invitations.invited_lately(person, now):
            mailing.invited_lately.append(person)
        else:
            mailing.invitations.append(person)
    return mailing


def send(mailing: Mailing, actor: User, notice: Callable[[User], None]) -> None:
    """Queue the notices (``notice(person)``) and the invitations, in the caller's
    transaction (the caller records the audit entry of the mailing and commits)."""
    for person in mailing.notices:
        notice(person)
    for person in mailing.invitations:
        invitations.invite(person, actor)


@dataclass(frozen=True)
class Example:
    """One rendered mail, exactly as it is sent (subject and body), and to whom."""

    heading: str
    to_name: str
    subject: str
    body: str


def example(heading: str, to: User, template: str, context: dict) -> Example:
    subject, body = compose(template, to.locale, to.municipality_id, context)
    return Example(heading, to.name, subject, body)


def examples(
    mailing: Mailing, notice_heading: str, template: str, context: Callable[[User], dict]
) -> list[Example]:
    """The notice as the first person gets it, and the invitation as the first person
    who never signed in gets it (their personal link replaced by a stand-in: a working
    sign-in link is shown to nobody but its owner)."""
    shown = []
    if mailing.notices:
        first = mailing.notices[0]
        shown.append(example(notice_heading, first, template, context(first)))
    if mailing.invitations:
        first = mailing.invitations[0]
        stand_in = _("(a personal link for each person)")
        shown.append(
            example(
                _("The invitation to choose a password"),
                first,
                "people_invitation",
                invitations.invitation_context(first, stand_in),
            )
        )
    return shown

"""Heads of unit (所属長): their approval of their staff's applications, and their pages.

Above the registrations (it routes a person's own application through the seat engine's
step, :func:`regional.registrations.actions.set_head_step`) and the records and targets
(a head reads their staff's record and what the policy still asks of them).
"""

from flask import Blueprint

bp = Blueprint("heads", __name__)


def init_app(app) -> None:
    """Install the head's step in the registration flow, who is told of it, and the heads
    a roster's 所属長 column reads and sets."""
    from regional.heads.services import ask_head, deciders, roster_book
    from regional.people import roster_heads
    from regional.registrations.actions import set_head_step
    from regional.seats.notices import set_head_deciders

    set_head_step(ask_head)
    set_head_deciders(deciders)
    roster_heads.install(roster_book())


from regional.heads import views  # noqa: E402, F401

"""A real SMTP server on loopback (aiosmtpd) for tests that send mail."""

from __future__ import annotations

import email
import email.policy
import socket
from dataclasses import dataclass, field

import pytest
from aiosmtpd.controller import Controller


@dataclass
class Mailbox:
    messages: list[email.message.EmailMessage] = field(default_factory=list)
    #: Recipients the server refuses, with its answer: ``refuse["x@…"] = "550 5.1.1 no such
    #: user"`` (for good) or ``"451 4.3.0 try again later"`` (for now).
    refuse: dict[str, str] = field(default_factory=dict)
    #: Every recipient offered (accepted or refused), in order.
    offered: list[str] = field(default_factory=list)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.offered.append(address)
        answer = self.refuse.get(address.lower())
        if answer:
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        self.messages.append(msg)
        return "250 OK"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m in self.messages if m["To"] == address]

    def body(self, msg: email.message.EmailMessage) -> str:
        part = msg.get_body(preferencelist=("plain",))
        return part.get_content() if part else ""

    def clear(self) -> None:
        self.messages.clear()
        self.offered.clear()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def _smtp_controller():
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller, box
    controller.stop()


@pytest.fixture(autouse=True)
def mailbox(app, _smtp_controller):
    """Every test delivers to a real SMTP server on loopback; ``mailbox.messages`` holds what arrived."""
    controller, box = _smtp_controller
    box.clear()
    box.refuse.clear()
    app.config["MAIL_PORT"] = controller.port
    yield box
    box.clear()
    box.refuse.clear()

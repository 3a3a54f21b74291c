"""A real SMTP server (aiosmtpd) on 127.0.0.1 and a free port, that can be stopped and started again."""
from __future__ import annotations

import socket
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """Collects what the server accepted."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


class MailServer:
    def __init__(self):
        self.port = free_port()
        self.inbox = Inbox()
        self.controller = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self):
        return self.inbox.messages

    def config(self) -> dict:
        """App settings that send to this server."""
        return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": self.port, "SMTP_FROM": "ecrf@trial.example",
                "SMTP_TIMEOUT": 5}


@pytest.fixture
def smtp_server():
    server = MailServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp_down():
    """A server that is not running yet (its port is free); the test starts it when it likes."""
    server = MailServer()
    yield server
    server.stop()

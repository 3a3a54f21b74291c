"""Sending one message over SMTP (smtplib), with the settings passed in rather than read from the app."""
from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from ecrf.mail.models import OutboxMessage


@dataclass(frozen=True)
class SmtpSettings:
    host: str = "localhost"
    port: int = 25
    user: str | None = None
    password: str | None = None
    starttls: bool = False
    sender: str = "ecrf@localhost"
    timeout: float = 30.0

    @classmethod
    def from_config(cls, config) -> SmtpSettings:
        return cls(host=config["SMTP_HOST"], port=int(config["SMTP_PORT"]), user=config.get("SMTP_USER") or None,
                   password=config.get("SMTP_PASSWORD") or None, starttls=bool(config["SMTP_STARTTLS"]),
                   sender=config["SMTP_FROM"], timeout=float(config["SMTP_TIMEOUT"]))


class PermanentFailure(Exception):
    """The server refused the recipient for good (5xx): retrying would not help. Any other failure (server down,
    4xx, a misconfigured login) is retried: those are ours to fix, and the message must wait, not be lost."""


def compose(message: OutboxMessage, sender: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = message.recipient
    mail["Subject"] = message.subject
    mail["Date"] = format_datetime(message.created_at)
    # one stable id per outbox row: should a message ever be delivered twice, receivers can tell
    mail["Message-ID"] = make_msgid(idstring=f"ecrf-outbox-{message.id}", domain=sender.rpartition("@")[2] or None)
    mail.set_content(message.body)
    return mail


def send(message: OutboxMessage, settings: SmtpSettings) -> None:
    """Deliver ``message`` or raise: OSError/SMTPException for a retryable failure, PermanentFailure otherwise."""
    mail = compose(message, settings.sender)
    try:
        with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout) as smtp:
            if settings.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.user:
                smtp.login(settings.user, settings.password or "")
            smtp.send_message(mail)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        if all(500 <= code < 600 for code in codes):
            raise PermanentFailure(f"recipient refused: {exc.recipients}") from exc
        raise

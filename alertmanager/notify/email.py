"""Email over SMTP with the standard library's smtplib, run in a worker thread.

smtplib rather than aiosmtplib: it is in the standard library (no new dependency), the outbox
sends one message at a time per channel, and a thread per send costs nothing at that rate.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Literal

from alertmanager.notify.errors import PermanentDeliveryError, RetryableDeliveryError
from alertmanager.notify.message import OutgoingMessage

TlsMode = Literal["none", "starttls", "tls"]


@dataclass(frozen=True)
class SmtpSettings:
    host: str = "127.0.0.1"
    port: int = 25
    sender: str = "chargekeeper@localhost"
    tls: TlsMode = "none"
    username: str | None = None
    password: str | None = None
    timeout: float = 10.0
    # CA bundle for a relay with a private CA; None uses the system's.
    ca_file: str | None = None


def build_email(message: OutgoingMessage, sender: str) -> EmailMessage:
    """A multipart/alternative mail; the Message-ID derives from the outbox key, so a resend
    after a crash is recognisable as the same message."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = Address(display_name=message.recipient_name, addr_spec=message.address)
    mail["Subject"] = message.subject
    mail["Date"] = formatdate(localtime=False)
    mail["Message-ID"] = make_msgid(idstring=f"ck-{message.dedup_key}", domain="chargekeeper")
    mail["X-Chargekeeper-Delivery"] = message.dedup_key
    mail.set_content(message.body_text)
    if message.body_html:
        mail.add_alternative(message.body_html, subtype="html")
    # After the content: set_content() and add_alternative() move Content-* headers.
    mail["Content-Language"] = message.language
    return mail


class SmtpNotifier:
    """Sends one mail per call; raises Retryable/PermanentDeliveryError."""

    channel = "email"

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    def _context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.settings.ca_file)

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        if s.tls == "tls":
            return smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=self._context())
        client = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        if s.tls == "starttls":
            client.starttls(context=self._context())
        return client

    def send(self, message: OutgoingMessage) -> str:
        """Hand the mail to the relay; return its Message-ID."""
        try:
            mail = build_email(message, self.settings.sender)
        except (ValueError, IndexError) as exc:
            raise PermanentDeliveryError("invalid_address", str(exc)) from exc
        try:
            with self._connect() as client:
                if self.settings.username:
                    client.login(self.settings.username, self.settings.password or "")
                client.send_message(mail)
        except smtplib.SMTPAuthenticationError as exc:
            # A wrong password stays wrong until an operator fixes it, but the message is
            # fine: retry (an operator alert fires on the failure rate meanwhile).
            raise RetryableDeliveryError("auth", _smtp_text(exc.smtp_code, exc.smtp_error)) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            raise _by_code(code, text, "invalid_address") from exc
        except smtplib.SMTPResponseException as exc:
            raise _by_code(exc.smtp_code, exc.smtp_error, "rejected") from exc
        except TimeoutError as exc:
            raise RetryableDeliveryError("timeout", str(exc) or "timed out") from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise RetryableDeliveryError("connection", str(exc) or type(exc).__name__) from exc
        return str(mail["Message-ID"])


def _smtp_text(code: int, text: bytes | str) -> str:
    decoded = text.decode(errors="replace") if isinstance(text, bytes) else text
    return f"{code} {decoded}"


def _by_code(
    code: int, text: bytes | str, permanent_reason: Literal["invalid_address", "rejected"]
) -> RetryableDeliveryError | PermanentDeliveryError:
    # RFC 5321: 4yz is a transient negative reply (try again), 5yz a permanent one.
    if 400 <= code < 500:
        return RetryableDeliveryError("rejected", _smtp_text(code, text))
    return PermanentDeliveryError(permanent_reason, _smtp_text(code, text))

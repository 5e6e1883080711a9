"""Notifiers against real servers: aiosmtpd for email, the twilio library over HTTP for SMS."""

from __future__ import annotations

from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from alertmanager.localsms import LocalSmsServer
from alertmanager.localsmtp import LocalSmtpServer
from alertmanager.notify import (
    OutgoingMessage,
    PermanentDeliveryError,
    RetryableDeliveryError,
    SmtpNotifier,
    SmtpSettings,
    TwilioNotifier,
    TwilioSettings,
)
from tests.support.procs import free_port

SID = "AC" + "1" * 32
TOKEN = "twilio-test-token"


def message(address: str, **fields: Any) -> OutgoingMessage:
    values: dict[str, Any] = {
        "delivery_id": 1,
        "dedup_key": "k1",
        "channel": "email",
        "address": address,
        "recipient_name": "Alice Martin",
        "language": "fr",
        "subject": "[CRITIQUE] CP-1 en défaut à Lyon",
        "body_text": "Bonjour <b>",
        "body_html": "<p>Bonjour &lt;b&gt;</p>",
    }
    values.update(fields)
    return OutgoingMessage(**values)


class PickyHandler:
    """Accepts mail, except to nobody@ (550) and later@ (451)."""

    def __init__(self) -> None:
        self.mails: list[EmailMessage] = []

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address.startswith("nobody@"):
            return "550 5.1.1 No such user"
        if address.startswith("later@"):
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.mails.append(parsed)
        return "250 Accepted"


@pytest.fixture
def smtp() -> Iterator[tuple[PickyHandler, int]]:
    handler, port = PickyHandler(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def test_email_reaches_the_smtp_server_with_headers_and_both_parts(
    smtp: tuple[PickyHandler, int],
) -> None:
    handler, port = smtp
    notifier = SmtpNotifier(SmtpSettings(port=port, sender="ck@example.test"))
    message_id = notifier.send(message("alice@example.test"))
    [mail] = handler.mails
    assert mail["Message-ID"] == message_id and "ck-k1" in message_id
    assert mail["To"] == "Alice Martin <alice@example.test>"
    assert mail["From"] == "ck@example.test"
    assert mail["Subject"] == "[CRITIQUE] CP-1 en défaut à Lyon"
    assert mail["Content-Language"] == "fr"
    text = mail.get_body(("plain",))
    html = mail.get_body(("html",))
    assert text is not None and html is not None
    assert text.get_content().strip() == "Bonjour <b>"
    assert "&lt;b&gt;" in html.get_content()


def test_smtp_5xx_is_permanent_4xx_and_refused_connection_retryable(
    smtp: tuple[PickyHandler, int],
) -> None:
    _, port = smtp
    notifier = SmtpNotifier(SmtpSettings(port=port))
    with pytest.raises(PermanentDeliveryError) as permanent:
        notifier.send(message("nobody@example.test"))
    assert permanent.value.reason == "invalid_address" and "550" in permanent.value.detail
    with pytest.raises(RetryableDeliveryError) as transient:
        notifier.send(message("later@example.test"))
    assert transient.value.reason == "rejected" and "451" in transient.value.detail
    down = SmtpNotifier(SmtpSettings(port=free_port(), timeout=2))
    with pytest.raises(RetryableDeliveryError) as refused:
        down.send(message("alice@example.test"))
    assert refused.value.reason == "connection"


def test_local_smtp_server_keeps_mail_in_the_state_dir(tmp_path: Path) -> None:
    server = LocalSmtpServer(tmp_path, port=free_port()).start()
    try:
        SmtpNotifier(SmtpSettings(port=server.port)).send(message("alice@example.test"))
        SmtpNotifier(SmtpSettings(port=server.port)).send(message("dan@example.test"))
    finally:
        server.stop()
    assert [m["To"].addresses[0].addr_spec for m in server.messages()] == [
        "alice@example.test",
        "dan@example.test",
    ]
    assert len(list((tmp_path / "mail").glob("*.eml"))) == 2


@pytest.fixture
def sms_server(tmp_path: Path) -> Iterator[LocalSmsServer]:
    server = LocalSmsServer(
        tmp_path, SID, TOKEN, landlines={"+33140000000"}, max_per_second=3
    ).start()
    try:
        yield server
    finally:
        server.stop()


def twilio(server: LocalSmsServer, **overrides: Any) -> TwilioNotifier:
    settings: dict[str, Any] = {
        "account_sid": SID,
        "auth_token": TOKEN,
        "from_number": "+15005550006",
        "base_url": server.url,
        "status_callback": "https://ck.example/api/v1/sms/status",
    }
    settings.update(overrides)
    return TwilioNotifier(TwilioSettings(**settings))


def test_twilio_library_sends_through_the_local_messages_endpoint(
    sms_server: LocalSmsServer,
) -> None:
    sid = twilio(sms_server).send(
        message("+33612345001", channel="sms", body_text="CRITIQUE: CP-1")
    )
    [stored] = sms_server.messages()
    assert sid == stored["sid"] and sid.startswith("SM") and len(sid) == 34
    assert stored["to"] == "+33612345001" and stored["from"] == "+15005550006"
    assert stored["body"] == "CRITIQUE: CP-1"
    assert stored["status_callback"] == "https://ck.example/api/v1/sms/status"


def test_twilio_messaging_service_sid_is_sent_instead_of_from(sms_server: LocalSmsServer) -> None:
    notifier = twilio(sms_server, from_number=None, messaging_service_sid="MG" + "2" * 32)
    notifier.send(message("+33612345001", channel="sms"))
    [stored] = sms_server.messages()
    assert stored["from"] is None and stored["messaging_service_sid"] == "MG" + "2" * 32


@pytest.mark.parametrize(
    ("address", "reason", "code"),
    [("12345", "invalid_address", "21211"), ("+33140000000", "invalid_address", "21614")],
)
def test_twilio_permanent_codes(
    sms_server: LocalSmsServer, address: str, reason: str, code: str
) -> None:
    with pytest.raises(PermanentDeliveryError) as failure:
        twilio(sms_server).send(message(address, channel="sms"))
    assert failure.value.reason == reason and code in failure.value.detail
    assert sms_server.messages() == []


def test_twilio_rate_limit_auth_and_connection_are_retryable(sms_server: LocalSmsServer) -> None:
    notifier = twilio(sms_server)
    for _ in range(3):
        notifier.send(message("+33612345001", channel="sms"))
    with pytest.raises(RetryableDeliveryError) as limited:
        notifier.send(message("+33612345001", channel="sms"))
    assert limited.value.reason == "rate_limited" and "20429" in limited.value.detail
    with pytest.raises(RetryableDeliveryError) as auth:
        twilio(sms_server, auth_token="wrong").send(message("+33612345001", channel="sms"))
    assert auth.value.reason == "auth" and "20003" in auth.value.detail
    closed = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(RetryableDeliveryError) as refused:
        twilio(sms_server, base_url=closed).send(message("+33612345001", channel="sms"))
    assert refused.value.reason == "connection"

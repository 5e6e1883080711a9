"""Issue 15, finding 6 (text): hostile text in an alert's labels and annotations, as a charger
or anyone who may post alerts would send it, is neutralised in every place it is shown.

One webhook carries two alerts about one charger whose strings hold CR/LF (a forged line in
the plain-text email), a U+202E right-to-left override (``gpj.exe`` shown as ``exe.jpg``),
ESC, BEL and NUL, a 10 kB value, and ``javascript:`` and ``data:`` runbook links. The real
receiver renders and delivers it (local SMTP server and Twilio-speaking SMS endpoint) and the
console serves it; each output is read back and checked.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from alertmanager.localsms import LocalSmsServer
from alertmanager.localsmtp import LocalSmtpServer
from alertmanager.messages import AlertView, MessageContext, Renderer
from chargekeeper.untrusted import MAX_INFO, MAX_VENDOR, printable
from tests.alertmanager.receiver_support import alert, wait_until, webhook
from tests.console.support import VIEWER, alert_ids, build, client_for, log_in, post_webhook

RTL = "\u202e"
CHARGER = f"CP-7{RTL}gpj.exe"
FORGED_LINE = "Console: https://evil.example/phish"
ACCENTS = "Câble débranché à Nîmes, même l'été"
HUGE = "M" * 10_000
# What must never reach a page or message: every character here is a control or format one.
FORBIDDEN = {"CR": "\r", "RTL override": RTL, "ESC": "\x1b", "BEL": "\x07", "NUL": "\x00"}
HOSTILE_LINKS = ("javascript:", "data:")


def hostile_alert(alertname: str, runbook_url: str) -> dict[str, Any]:
    body = alert(
        CHARGER,
        alertname=alertname,
        error_code="OtherError",
        vendor_error_code="E42\r\nX-Forged: yes\x1b[2J\x07\x00",
        vendor="Alfen BV",
        model=HUGE,
        connector_id="1",
    )
    body["annotations"] = {
        "summary": f"{CHARGER} is faulted\x1b]0;owned\x07",
        "description": f"{ACCENTS}\r\n{FORGED_LINE}\r\n{HUGE}",
        "runbook_url": runbook_url,
    }
    return body


@dataclass
class Delivered:
    mails: list[EmailMessage]
    sms: list[dict[str, Any]]
    pages: dict[str, str]


@pytest.fixture(scope="module")
def delivered(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Delivered]:
    # The console is served over plain http here while its links say https: opt out of
    # Secure cookies, or the test client would never send them back.
    built = build(tmp_path_factory.mktemp("untrusted"), "secure_cookies: false\n")
    smtp, sms = built.component.local_servers
    assert isinstance(smtp, LocalSmtpServer) and isinstance(sms, LocalSmsServer)
    with client_for(built) as client:
        body = webhook(
            [
                hostile_alert("ChargerFaulted", "javascript:alert(document.cookie)"),
                hostile_alert("ChargerVendorErrorCode", "data:text/html,<script>alert(1)</script>"),
            ]
        )
        post_webhook(client, body)
        # The Lyon team: Alice (French) and Dan (English), each by email and SMS.
        mails = wait_until(lambda: len(smtp.messages()) == 2 and smtp.messages(), 20, "2 mails")
        texts = wait_until(lambda: len(sms.messages()) == 2 and sms.messages(), 20, "2 SMS")
        log_in(client, VIEWER)
        first = alert_ids(client)[-1]
        paths = (
            "/alerts",
            "/alerts/table",
            f"/alerts/{first}",
            "/chargers",
            f"/chargers/{quote(CHARGER, safe='')}",
            "/notifications",
        )
        pages = {path: _page(client, path) for path in paths}
        yield Delivered(mails, texts, pages)


def _page(client: httpx.Client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code, response.text[:300])
    return response.text


def _plain(mail: EmailMessage) -> str:
    part = mail.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def _html(mail: EmailMessage) -> str:
    part = mail.get_body(("html",))
    assert part is not None
    return str(part.get_content())


def assert_neutral(text: str, where: str) -> None:
    # A mail's lines end in CRLF on the wire; only a CR of the alert's own is a fault.
    text = text.replace("\r\n", "\n")
    for name, char in FORBIDDEN.items():
        assert char not in text, f"{name} reaches {where}"
    assert "M" * MAX_INFO not in text, f"the 10 kB value reaches {where} whole"


def test_plain_text_email_has_no_forged_line(delivered: Delivered) -> None:
    for mail in delivered.mails:
        text = _plain(mail)
        # The forged "Console:" line stays inside the Details line it came with.
        assert not any(line.strip() == FORGED_LINE for line in text.splitlines())
        lines = [line for line in text.splitlines() if "evil.example" in line]
        assert len(lines) == 2  # one per alert
        for line in lines:
            assert line.lstrip().startswith(("Details:", "Détails :")), line
        assert_neutral(text, f"the plain-text email to {mail['To']}")
        assert ACCENTS in text
        for link in HOSTILE_LINKS:
            assert link not in text


def test_email_headers_carry_no_charger_line(delivered: Delivered) -> None:
    for mail in delivered.mails:
        assert mail["X-Forged"] is None
        assert_neutral(str(mail["Subject"]), "the subject")
        assert "gpj.exe" in str(mail["Subject"])


def test_html_email_is_neutralised_and_links_are_http_only(delivered: Delivered) -> None:
    for mail in delivered.mails:
        html = _html(mail)
        assert_neutral(html, f"the HTML email to {mail['To']}")
        assert ACCENTS.replace("'", "&#39;") in html
        for link in HOSTILE_LINKS:
            assert f'href="{link}' not in html and link not in html
        # The console button survives: only the hostile links went.
        assert 'href="https://console.example/alerts/' in html


def test_sms_is_neutralised(delivered: Delivered) -> None:
    for message in delivered.sms:
        assert_neutral(message["body"], f"the SMS to {message['to']}")
        assert not any(line.startswith("X-Forged") for line in message["body"].splitlines())
        assert "gpj.exe" in message["body"]


@pytest.mark.parametrize(
    "path",
    ["/alerts", "/alerts/table", "detail", "/chargers", "charger", "/notifications"],
)
def test_console_pages_are_neutralised(delivered: Delivered, path: str) -> None:
    pages = delivered.pages
    if path == "detail":
        path = next(p for p in pages if p.startswith("/alerts/") and p[8:].isdigit())
    elif path == "charger":
        path = next(p for p in pages if p.startswith("/chargers/"))
    html = pages[path]
    assert_neutral(html, path)
    assert "gpj.exe" in html
    for link in HOSTILE_LINKS:
        assert f'href="{link}' not in html


def test_console_detail_keeps_accents_and_bounds_labels(delivered: Delivered) -> None:
    [detail] = [html for path, html in delivered.pages.items() if path[8:].isdigit()]
    assert ACCENTS.replace("'", "&#39;") in detail
    # The model label is shown cut to its bound, not dropped.
    assert "<dd>" + "M" * (MAX_VENDOR - 1) + "…</dd>" in detail


def test_every_channel_shows_only_http_links_whatever_a_view_carries() -> None:
    """Behind the receiver's own checks, the templates let no other link through: not in the
    plain text (which printed any runbook link), the HTML or the SMS."""
    hostile = AlertView(
        alertname="ChargerFaulted",
        status="firing",
        severity="critical",
        family="error",
        site="lyon",
        site_name="Lyon",
        charge_point_id="CP-1",
        connector_id="1",
        starts_at=datetime(2026, 11, 24, 13, 23, tzinfo=UTC),
        ends_at=None,
        console_url="data:text/html,<script>alert(1)</script>",
        runbook_url="javascript:alert(document.cookie)",
        dashboard_url="https://grafana.example/d/cp\r\nX-Forged: yes",
    )
    renderer = Renderer()
    for language in ("en", "fr"):
        context = MessageContext(
            status="firing",
            recipient_name="Dan",
            language=language,
            timezone="UTC",
            alerts=[hostile],
        )
        email = renderer.email(context)
        for where, text in (
            ("text", email.text),
            ("html", email.html),
            ("sms", renderer.sms(context)),
        ):
            for link in (*HOSTILE_LINKS, "grafana.example", "X-Forged"):
                assert link not in text, f"{link} in the {language} {where}"


def test_printable_replaces_control_and_format_characters_only() -> None:
    hostile = f"é\tà\r\n{RTL}\x1b\x07\x00 Nîmes "
    assert printable(hostile) == "é\ufffdà\ufffd\ufffd\ufffd\ufffd\ufffd\ufffd Nîmes "
    assert printable(hostile, "\n\t") == "é\tà\ufffd\n\ufffd\ufffd\ufffd\ufffd Nîmes "

"""Rendering: GSM-7 arithmetic, escaped charger text, languages (SMS bodies: test_sms_render)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from alertmanager import gsm
from alertmanager.messages import AlertView, MessageContext, Renderer

STARTS = datetime(2026, 11, 24, 13, 23, tzinfo=UTC)


def view(charge_point_id: str = "CP-1", **fields: Any) -> AlertView:
    values: dict[str, Any] = {
        "alertname": "ChargerFaulted",
        "status": "firing",
        "severity": "critical",
        "family": "error",
        "site": "lyon",
        "site_name": "Lyon Part-Dieu",
        "charge_point_id": charge_point_id,
        "connector_id": "1",
        "code": "OtherError / 210",
        "title": "Load-balancing link lost",
        "explanation": "The charger lost its Modbus link.",
        "action": "Check the site network.",
        "console_url": "https://console.example/alerts/1",
        "runbook_url": "https://rb.example/#chargerfaulted",
        "dashboard_url": "https://grafana.example/d/cp",
    }
    values.update(fields)
    return AlertView(starts_at=STARTS, ends_at=None, **values)


def context(*views: AlertView, language: str = "en", tz: str = "Europe/Paris") -> MessageContext:
    return MessageContext(
        status="firing", recipient_name="Alice", language=language, timezone=tz, alerts=views
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("€" * 80, 1),  # extension characters take two septets: 160
        ("€" * 81, 2),
        ("a" * 152 + "[]", 1),  # 156 septets
        ("é" * 160, 1),  # é is in the basic table
        ("ê" * 70, 1),  # ê is not: UCS-2, 70 per message
        ("ê" * 71, 2),
        ("😀" * 35, 1),  # outside the BMP: two UTF-16 units each
        ("😀" * 36, 2),
    ],
)
def test_segments_count_gsm7_extension_and_ucs2(text: str, expected: int) -> None:
    assert gsm.segments(text) == expected


def test_to_gsm7_keeps_gsm_letters_and_replaces_the_rest() -> None:
    assert gsm.to_gsm7("Défaut contrôleur «câble» 漢") == 'Défaut controleur "cable" ?'
    assert gsm.is_gsm7(gsm.to_gsm7("œuvre\u2019s — naïve\x07\x1b"))


def test_truncate_counts_extension_characters() -> None:
    cut = gsm.truncate("{" * 100, 20)
    assert gsm.septets(cut) <= 20 and cut.endswith("...")


def test_email_in_french_with_translation_links_and_local_time() -> None:
    email = Renderer().email(context(view(), language="fr"))
    assert email.subject.startswith("[CRITIQUE] CP-1 en défaut à Lyon Part-Dieu")
    assert "Depuis : 2026-11-24 14:23 CET" in email.text  # Europe/Paris
    for part in (email.text, email.html):
        assert "Load-balancing link lost" in part
        assert "Check the site network." in part
        assert "https://console.example/alerts/1" in part
        assert "https://rb.example/#chargerfaulted" in part
        assert "https://grafana.example/d/cp" in part
    assert '<html lang="fr">' in email.html


def test_charger_text_is_escaped_in_html_and_kept_literal_in_text() -> None:
    hostile = view(
        description="<script>alert(1)</script> & <b>x</b>",
        code='"><img src=x onerror=alert(1)>',
        site_name="Lyon <i>",
    )
    email = Renderer().email(context(hostile))
    assert "<script>" not in email.html and "<img" not in email.html and "<i>" not in email.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;x&lt;/b&gt;" in email.html
    assert "<script>alert(1)</script>" in email.text  # plain text is not markup
    assert "\n" not in email.subject


def test_site_wide_email_lists_every_charger() -> None:
    views = [view(f"CP-{n:03d}", alertname="ChargerDisconnected") for n in range(30)]
    email = Renderer().email(context(*views))
    assert email.subject == "[CRITICAL] 30 chargers offline at Lyon Part-Dieu"
    assert all(f"CP-{n:03d}" in email.text for n in range(30))


def test_unknown_language_falls_back_to_english_and_bad_zone_to_utc() -> None:
    email = Renderer().email(context(view(), language="de", tz="Mars/Olympus"))
    assert email.subject.startswith("[CRITICAL]") and "2026-11-24 13:23 UTC" in email.text

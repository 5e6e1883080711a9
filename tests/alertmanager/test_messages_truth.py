"""Honest times and full texts: "since" is when the fault began (the rules' ``since``
annotation), the SoC alert gives the SoC and how long it has not risen, site names keep every
letter GSM-7 can carry, and the dashboard link selects the charger."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from alertmanager import gsm
from alertmanager.messages import AlertView, MessageContext, Renderer, duration
from alertmanager.payload import WebhookAlert
from alertmanager.stages.translate import Translate
from chargekeeper.links import Links
from chargekeeper.store import Alert
from translator import Translator

STARTS = datetime(2026, 11, 24, 20, 48, 6, tzinfo=UTC)  # the critical variant: 21:48 Paris
FAULT = datetime(2026, 11, 24, 20, 38, 6, tzinfo=UTC)  # the outage itself: 21:38 Paris
NOW = STARTS + timedelta(minutes=2)
TRANSLATE = Translate(
    Translator.load(),
    Links(console="https://console.example", dashboard="https://grafana.example/d/ck"),
    {"evry": "Évry Gare Sud \u2013 Château"},
)


def webhook_alert(annotations: dict[str, str], **labels: str) -> WebhookAlert:
    return WebhookAlert.model_validate(
        {
            "status": "firing",
            "labels": {
                "alertname": "ChargerDisconnected",
                "severity": "critical",
                "family": "disconnection",
                "charge_point_id": "EV-7",
                "site": "evry",
                "client": "highwayco",
                **labels,
            },
            "annotations": annotations,
            "startsAt": STARTS.isoformat(),
            "fingerprint": "fp1",
        }
    )


def view(annotations: dict[str, str], language: str = "fr", **labels: str) -> AlertView:
    return TRANSLATE.view(webhook_alert(annotations, **labels), Alert(id=42), language)


def context(*alerts: AlertView, language: str = "fr", **fields: Any) -> MessageContext:
    values: dict[str, Any] = {
        "status": "firing",
        "recipient_name": "Léa",
        "language": language,
        "timezone": "Europe/Paris",
        "alerts": alerts,
        "now": NOW,
        **fields,
    }
    return MessageContext(**values)


def test_since_is_the_fault_start_from_the_annotation_in_sms_and_email() -> None:
    offline = view({"since": str(int(FAULT.timestamp()))})
    assert offline.fault_since == FAULT and offline.began == FAULT
    renderer = Renderer()
    assert renderer.sms(context(offline)) == (
        "CRITIQUE: EV-7 hors ligne à Évry Gare Sud - Chateau depuis 2026-11-24 21:38 CET\n"
        "https://console.example/alerts/42"
    )
    english = renderer.email(context(offline, language="en"))
    assert "1 alert(s) at Évry Gare Sud \u2013 Château since 2026-11-24 21:38 CET." in english.text
    assert "  Since: 2026-11-24 21:38 CET (12 min ago)\n" in english.text
    french = renderer.email(context(offline))
    assert "  Depuis : 2026-11-24 21:38 CET (il y a 12 min)\n" in french.text


@pytest.mark.parametrize(
    "since",
    ["", "soon", "-60", "nan", "1e400", str(int(STARTS.timestamp()) + 60)],
    ids=["empty", "text", "negative", "nan", "overflow", "after-the-alert"],
)
def test_a_missing_or_impossible_since_falls_back_to_starts_at(since: str) -> None:
    offline = view({"since": since} if since else {})
    assert offline.began == STARTS
    assert "depuis 2026-11-24 21:48 CET" in Renderer().sms(context(offline))


def test_soc_alert_gives_the_soc_and_the_stalled_duration() -> None:
    stalled = view(
        {"since": str(int((NOW - timedelta(minutes=25)).timestamp())), "soc_percent": "30"},
        alertname="ChargerSocStalled",
        severity="warning",
        family="soc",
        connector_id="2",
    )
    renderer = Renderer()
    assert renderer.sms(context(stalled)) == (
        "ALERTE: EV-7 charge bloquée à Évry Gare Sud - Chateau depuis 2026-11-24 21:25 CET\n"
        "SoC 30 %, sans hausse depuis 25 min\n"
        "https://console.example/alerts/42"
    )
    assert renderer.sms(context(stalled, language="en")) == (
        "WARNING: EV-7 charge stalled at Évry Gare Sud - Chateau since 2026-11-24 21:25 CET\n"
        "SoC 30%, no rise for 25 min\n"
        "https://console.example/alerts/42"
    )
    email = renderer.email(context(stalled, language="en"))
    assert email.subject == "[WARNING] EV-7 charge stalled at Évry Gare Sud \u2013 Château: SoC 30%"
    assert "  State of charge: 30%, no rise for 25 min\n" in email.text
    french = renderer.email(context(stalled))
    assert "  État de charge : 30 %, sans hausse depuis 25 min\n" in french.text


def test_soc_of_every_charger_in_a_site_wide_sms() -> None:
    alerts = [
        view({"soc_percent": str(soc)}, "en", alertname="ChargerSocStalled", charge_point_id=cp)
        for cp, soc in (("EV-1", 12), ("EV-2", 35))
    ]
    lines = Renderer().sms(context(*alerts, language="en")).splitlines()
    assert lines[1] == "EV-1 (SoC 12%), EV-2 (SoC 35%)"


@pytest.mark.parametrize("value", ["101", "3e1", "30.5", " ", "-1", "\uff11\uff12"])
def test_only_whole_percents_reach_the_message(value: str) -> None:
    assert view({"soc_percent": value}, alertname="ChargerSocStalled").soc_percent == ""


def test_view_carries_the_facts_and_a_dashboard_link_for_this_charger() -> None:
    faulted = view(
        {},
        "fr",
        alertname="ChargerFaulted",
        vendor="Alfen BV",
        model="NG910",
        connector_id="1",
        error_code="OtherError",
        vendor_error_code="210",
    )
    assert (faulted.vendor, faulted.model, faulted.client) == ("Alfen BV", "NG910", "highwayco")
    assert faulted.title and faulted.explanation and faulted.cause and faulted.action
    assert faulted.site_name == "Évry Gare Sud \u2013 Château"
    query = parse_qs(urlsplit(faulted.dashboard_url).query)
    assert query == {"var-client": ["highwayco"], "var-site": ["evry"], "var-charger": ["EV-7"]}


@pytest.mark.parametrize(
    ("minutes", "en", "fr"),
    [
        (0, "< 1 min", "< 1 min"),
        (25, "25 min", "25 min"),
        (65, "1 h 05 min", "1 h 05 min"),
        (60 * 50, "2 d 2 h", "2 j 2 h"),
    ],
)
def test_duration(minutes: int, en: str, fr: str) -> None:
    span = timedelta(minutes=minutes, seconds=30)
    assert (duration(span, "en"), duration(span, "fr")) == (en, fr)


def test_gsm7_keeps_its_own_letters_and_transliterates_only_the_rest() -> None:
    gsm7_letters = "éèùìòàÇÉÄÖÑÜäöñüÅåØøÆæß"
    assert gsm.to_gsm7(gsm7_letters) == gsm7_letters
    assert gsm.to_gsm7("Évry \u2013 Château d'Œx, Łódź, Saint-Étienne") == (
        "Évry - Chateau d'OEx, Lodz, Saint-Étienne"
    )

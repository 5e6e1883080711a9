"""SMS bodies: one GSM-7 segment about one charger, two at most for a site-wide group.

The SMS sender's rate is metered in segments (alertmanager/outbox.py), so the length decides
how long the next alert waits. What is given up to fit, and in which order, is
``render.ONE_CHARGER_STEPS``; these tests hold the guarantees: severity, charger, what and
site always, the console link whole or not at all, nothing outside GSM-7, no line the
template did not write.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alertmanager import gsm
from alertmanager.messages import (
    SMS_MIN_TITLE,
    SMS_ONE_CHARGER_SEPTETS,
    SMS_SITE_WIDE_SEPTETS,
    AlertView,
    MessageContext,
    Renderer,
)

RENDERER = Renderer()  # module level: hypothesis reruns a test body many times
STARTS = datetime(2026, 11, 24, 13, 23, tzinfo=UTC)
LINK = "https://console.example/alerts/1"
# The words the templates use for each alert (templates/<lang>/_words.j2).
WHAT = {
    "en": {
        "ChargerDisconnected": "offline",
        "ChargerFaulted": "in fault",
        "ChargerSocStalled": "charge stalled",
        "ChargerVendorErrorCode": "manufacturer error",
        "ChargerNotDelivering": "not delivering energy",
        "ChargerFlapping": "reconnecting repeatedly",
    },
    "fr": {
        "ChargerDisconnected": "hors ligne",
        "ChargerFaulted": "en défaut",
        "ChargerSocStalled": "charge bloquée",
        "ChargerVendorErrorCode": "erreur constructeur",
        "ChargerNotDelivering": "ne délivre pas d'énergie",
        "ChargerFlapping": "se reconnecte sans cesse",
    },
}


def alert(
    charger: str = "CP-1",
    site_name: str = "Lyon Part-Dieu",
    alertname: str = "ChargerFaulted",
    code: str = "GroundFailure",
    title: str = "Earth fault / residual current trip",
    console_url: str = LINK,
    severity: str = "critical",
) -> AlertView:
    return AlertView(
        alertname=alertname,
        status="firing",
        severity=severity,
        family="error",
        site="lyon",
        site_name=site_name,
        charge_point_id=charger,
        connector_id="1",
        starts_at=STARTS,
        ends_at=None,
        code=code,
        title=title,
        explanation="The residual current device tripped.",
        action="Do not reset blindly. Inspect the cable and connector, then test the RCD.",
        console_url=console_url,
    )


def sms(
    *alerts: AlertView,
    language: str = "en",
    status: str = "firing",
    escalation_tier: int | None = None,
    group_console_url: str = "",
) -> str:
    context = MessageContext(
        status=status,
        recipient_name="Alice",
        language=language,
        timezone="Europe/Paris",
        alerts=alerts,
        site_name=alerts[0].site_name,
        group_console_url=group_console_url,
        escalation_tier=escalation_tier,
    )
    return RENDERER.sms(context)


def assert_one_segment(text: str) -> None:
    assert gsm.is_gsm7(text), text
    assert gsm.septets(text) <= SMS_ONE_CHARGER_SEPTETS and gsm.segments(text) == 1, text


def test_one_charger_fits_one_segment_with_everything_when_it_has_room() -> None:
    text = sms(alert())
    assert text == (
        "CRITICAL: CP-1 in fault at Lyon Part-Dieu since 2026-11-24 14:23 CET\n"
        "Earth fault / residual current trip (GroundFailure)\n"
        "https://console.example/alerts/1"
    )
    assert_one_segment(text)


def test_one_charger_in_french() -> None:
    text = sms(
        alert(severity="warning", title="Défaut à la terre / courant résiduel"), language="fr"
    )
    assert text == (
        "ALERTE: CP-1 en défaut à Lyon Part-Dieu depuis 2026-11-24 14:23 CET\n"
        "Défaut à la terre / courant résiduel (GroundFailure)\n"
        "https://console.example/alerts/1"
    )
    assert_one_segment(text)


def test_alert_without_code_is_headline_and_link() -> None:
    text = sms(alert(alertname="ChargerDisconnected", code="", title=""))
    assert text == (
        "CRITICAL: CP-1 offline at Lyon Part-Dieu since 2026-11-24 14:23 CET\n"
        "https://console.example/alerts/1"
    )


def test_the_day_goes_first_then_the_code_then_the_time() -> None:
    # Realistic production lengths: a charger id, a long site name and console link.
    long_link = "https://console.example.com/alerts/12345"
    base = {"charger": "FR*ABC*E12345", "site_name": "Parking Lyon Part-Dieu Sud"}

    no_day = sms(alert(**base, console_url="https://ck.example/a/123"))
    assert "since 14:23 CET" in no_day and "(GroundFailure)" in no_day

    no_code = sms(alert(**base, console_url=long_link))
    assert no_code == (
        "CRITICAL: FR*ABC*E12345 in fault at Parking Lyon Part-Dieu Sud since 14:23 CET\n"
        "Earth fault / residual current trip\n" + long_link
    )

    no_time = sms(alert(**base, console_url=long_link), escalation_tier=2)
    assert no_time == (
        "ESCALATED CRITICAL: FR*ABC*E12345 in fault at Parking Lyon Part-Dieu Sud\n"
        "Earth fault / residual current trip\n" + long_link
    )
    for text in (no_day, no_code, no_time):
        assert_one_segment(text)


def test_a_long_translation_is_cut_to_the_room_left_and_marked() -> None:
    title = (
        "Load-balancing link lost: the charger applies its safe current"
        " until the site controller answers again"
    )
    text = sms(alert(title=title, console_url="https://console.chargekeeper.example/alerts/123"))
    line = text.splitlines()[1]
    assert line.endswith("...") and title.startswith(line.removesuffix("..."))
    assert gsm.septets(text) == SMS_ONE_CHARGER_SEPTETS  # the title took exactly the room left
    assert text.startswith("CRITICAL: CP-1 in fault at Lyon Part-Dieu\n")
    assert text.endswith("\nhttps://console.chargekeeper.example/alerts/123")


def test_a_title_with_less_room_than_the_minimum_is_left_out_not_stubbed() -> None:
    # With ids and names cut to 20 the headline takes 76 septets; the link leaves the
    # title one septet less than SMS_MIN_TITLE.
    link = "https://console.example/alerts/" + "9" * (83 - SMS_MIN_TITLE - 31)
    text = sms(alert("C" * 40, "S" * 40, "ChargerNotDelivering", console_url=link))
    assert text == (f"CRITICAL: {'C' * 17}... not delivering energy at {'S' * 17}...\n{link}")


def test_a_link_too_long_to_fit_is_left_out_never_cut() -> None:
    link = "https://console.example/" + "x" * 140 + "/alerts/1"
    text = sms(alert(console_url=link))
    assert_one_segment(text)
    assert "https://" not in text
    assert text.startswith("CRITICAL: CP-1 in fault at Lyon Part-Dieu\n")
    assert "Earth fault / residual current trip" in text


def test_resolution_and_escalation_headlines() -> None:
    resolved = sms(alert(), status="resolved")
    assert resolved.startswith("RESOLVED: CP-1 in fault at Lyon Part-Dieu")
    assert sms(alert(), language="fr", status="resolved").startswith("RÉSOLU: CP-1 en défaut")
    assert sms(alert(), language="fr", escalation_tier=1).startswith("ESCALADE CRITIQUE: CP-1")


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("alertname", sorted(WHAT["en"]))
def test_every_alert_fits_one_segment_with_long_names_in_both_languages(
    language: str, alertname: str
) -> None:
    text = sms(
        alert(
            charger="FR*ABCDEF*E0000123456789",
            site_name="Centre commercial Lyon Part-Dieu, parking niveau -2",
            alertname=alertname,
            code="OtherError / 0x7F3A",
            title="Liaison de délestage perdue, courant de sécurité appliqué",
            console_url="https://console.chargekeeper.example/alerts/1234567",
        ),
        language=language,
        escalation_tier=3,
    )
    assert_one_segment(text)
    headline = gsm.to_gsm7(text.splitlines()[0])
    assert gsm.to_gsm7(WHAT[language][alertname]) in headline
    assert "FR*ABCDEF*E000012..." in headline and "Centre commercial..." in headline


UNTRUSTED = st.text(
    st.characters(codec="utf-8", categories=("L", "N", "P", "S", "Z", "Cc")), max_size=120
)


@settings(max_examples=200, deadline=None)
@given(
    charger=UNTRUSTED.filter(lambda value: value.strip()),
    site_name=UNTRUSTED,
    code=UNTRUSTED,
    title=UNTRUSTED,
    severity=UNTRUSTED,
    alertname=st.sampled_from(sorted(WHAT["en"])) | UNTRUSTED,
    link_length=st.integers(min_value=20, max_value=200),
    language=st.sampled_from(["en", "fr"]),
)
def test_any_charger_text_gives_one_gsm7_segment_saying_what_and_where(
    charger: str,
    site_name: str,
    code: str,
    title: str,
    severity: str,
    alertname: str,
    link_length: int,
    language: str,
) -> None:
    link = "https://" + "c" * (link_length - len("https://"))
    view = alert(charger, site_name, alertname, code, title, link, severity)
    text = sms(view, language=language)
    assert_one_segment(text)
    lines = text.splitlines()
    assert 1 <= len(lines) <= 3  # headline, problem, link: charger text adds none
    headline = lines[0]
    # Charger and site keep at least their first 17 septets (20 with the ellipsis).
    assert gsm.sanitise(charger, 20).removesuffix("...") in headline
    assert gsm.sanitise(site_name, 20).removesuffix("...") in headline
    if alertname in WHAT[language]:
        assert f" {gsm.to_gsm7(WHAT[language][alertname])} " in headline
    assert lines[-1] == link or not lines[-1].startswith(link[:12])  # whole or left out


def test_charger_text_cannot_add_lines_or_leave_gsm7() -> None:
    text = sms(
        alert(
            charger="CP\r\nFAKE LINE",
            title="漢字\x1b[31m",
            alertname="Evil\nALERT",
            severity="critical\nPAY NOW",
        )
    )
    lines = text.splitlines()
    assert lines[0].startswith("CRITICA...: CP FAKE LINE Evil ALERT at Lyon Part-Dieu")
    assert len(lines) == 3 and gsm.is_gsm7(text) and "\x1b" not in text


def test_site_wide_group_is_one_sms_listing_chargers_and_counting_the_rest() -> None:
    alerts = [
        alert(f"CP-{n:03d}", alertname="ChargerDisconnected", code="", title="") for n in range(50)
    ]
    text = sms(*alerts, group_console_url="https://console.example/sites/lyon")
    assert gsm.is_gsm7(text) and gsm.segments(text) <= 2
    assert gsm.septets(text) <= SMS_SITE_WIDE_SEPTETS
    assert text.startswith("CRITICAL: 50 chargers offline at Lyon Part-Dieu")
    listed = [n for n in range(50) if f"CP-{n:03d}" in text]
    assert listed == list(range(len(listed))) and 10 < len(listed) < 50
    assert f"+{50 - len(listed)} more" in text
    assert text.endswith("\nhttps://console.example/sites/lyon")


def test_site_wide_group_in_french_names_each_charger_and_problem() -> None:
    alerts = [alert(f"CP-{n}", title="Défaut à la terre") for n in range(3)]
    text = sms(*alerts, language="fr", group_console_url="https://console.example/sites/lyon")
    assert text == (
        "CRITIQUE: 3 bornes en défaut à Lyon Part-Dieu depuis 2026-11-24 14:23 CET\n"
        "CP-0 (Défaut à la terre), CP-1 (Défaut à la terre), CP-2 (Défaut à la terre)\n"
        "https://console.example/sites/lyon"
    )


def test_two_alerts_of_one_charger_are_a_one_charger_sms() -> None:
    text = sms(alert(), alert(code="OtherError", title="Other error"))
    assert_one_segment(text)
    assert text.startswith("CRITICAL: CP-1 in fault at Lyon Part-Dieu")


@pytest.mark.parametrize(
    ("limit", "expected"),
    [(0, ""), (2, "ab"), (3, "abc"), (4, "a..."), (6, "abc...")],
)
def test_truncate_never_exceeds_tiny_budgets(limit: int, expected: str) -> None:
    assert gsm.truncate("abcdefgh", limit) == expected
    assert gsm.septets(gsm.truncate("{" * 10, limit)) <= limit

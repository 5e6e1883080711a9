"""The HTML email as a mail client shows it, read from the DOM Chromium builds: the severity
band, the translated code card, the table of facts, the console button and the other links,
in English and French, with charger-supplied text escaped."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from alertmanager.messages import AlertView, MessageContext, Renderer
from tests.console.browser_support import CHROMIUM_ARGS
from tests.support.procs import require_binary

STARTS = datetime(2026, 11, 24, 20, 48, tzinfo=UTC)  # 21:48 in Paris: the critical variant
FAULT = STARTS - timedelta(minutes=10)  # 21:38: when the charger really went wrong
NOW = STARTS + timedelta(minutes=5)
CONSOLE = "https://console.example/alerts/7"
DASHBOARD = (
    "https://grafana.example/d/chargekeeper-charger?var-client=hw&var-site=nimes&var-charger=ALF-1"
)
RUNBOOK = "https://rb.example/runbook.md#chargerfaulted"

FAULTED = AlertView(
    alertname="ChargerFaulted",
    status="firing",
    severity="critical",
    family="error",
    site="nimes",
    site_name="A9 Nîmes aire de Caissargues",
    charge_point_id="ALF-1",
    connector_id="1",
    starts_at=STARTS,
    ends_at=None,
    fault_since=FAULT,
    code="OtherError / 210",
    title="Load-balancing link lost",
    explanation="The charger lost its Modbus link to the site meter.",
    cause="The Modbus cable is unplugged or the meter is off.",
    action="Check the Modbus cable and the meter's power.",
    description="Connector 1 of charger ALF-1 has reported OtherError for 20m.",
    console_url=CONSOLE,
    dashboard_url=DASHBOARD,
    runbook_url=RUNBOOK,
    vendor="Alfen BV",
    model="NG910",
)

# What each language calls the parts the tests look for.
WORDS: dict[str, dict[str, str]] = {
    "en": {
        "band": "Critical · A9 Nîmes aire de Caissargues",
        "heading": "ALF-1 · connector 1: in fault",
        "cause": "Likely cause:",
        "action": "What to do:",
        "button": "Open in the console",
        "dashboard": "Dashboard",
        "runbook": "Runbook",
        "Charger": "Charger",
        "Site": "Site",
        "Connector": "Connector",
        "Since": "Since",
        "Code": "Code",
        "Vendor": "Vendor",
        "Model": "Model",
        "Details": "Details",
        "since_value": "2026-11-24 21:38 CET (15 min ago)",
    },
    "fr": {
        "band": "Critique · A9 Nîmes aire de Caissargues",
        "heading": "ALF-1 · connecteur 1 : en défaut",
        "cause": "Cause probable :",
        "action": "Que faire :",
        "button": "Ouvrir dans la console",
        "dashboard": "Tableau de bord",
        "runbook": "Procédure",
        "Charger": "Borne",
        "Site": "Site",
        "Connector": "Connecteur",
        "Since": "Depuis",
        "Code": "Code",
        "Vendor": "Constructeur",
        "Model": "Modèle",
        "Details": "Détails",
        "since_value": "2026-11-24 21:38 CET (il y a 15 min)",
    },
}


# Per module: Playwright's sync API holds an event loop while open (tests/console/conftest.py).
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=require_binary("chromium"), args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    # Offline like a careful mail client: the email must not need anything from the network.
    context = browser.new_context(offline=True, java_script_enabled=False)
    yield context.new_page()
    context.close()


def _email_page(page: Page, *alerts: AlertView, language: str, **context: Any) -> Page:
    fields: dict[str, Any] = {
        "status": "firing",
        "recipient_name": "Léa",
        "language": language,
        "timezone": "Europe/Paris",
        "alerts": alerts,
        "now": NOW,
        **context,
    }
    page.set_content(Renderer().email(MessageContext(**fields)).html)
    return page


def _text(page: Page, selector: str) -> str:
    return " ".join(page.locator(selector).inner_text().split())


def _facts(page: Page, index: int = 0) -> dict[str, str]:
    rows = page.locator('[data-part="facts"]').nth(index).locator("tr")
    return {
        " ".join(row.locator("th").inner_text().split()): " ".join(
            row.locator("td").inner_text().split()
        )
        for row in rows.all()
    }


@pytest.mark.parametrize("language", ["en", "fr"])
def test_band_card_facts_and_links(page: Page, language: str) -> None:
    words = WORDS[language]
    _email_page(page, FAULTED, language=language)
    assert page.locator("html").get_attribute("lang") == language

    band = page.locator('[data-part="band"]')
    assert " ".join(band.inner_text().split()) == words["band"]
    assert band.evaluate("cell => getComputedStyle(cell).backgroundColor") == "rgb(180, 35, 24)"

    assert _text(page, '[data-part="alert"] h2') == words["heading"]
    card = _text(page, '[data-part="card"]')
    assert card.startswith("Load-balancing link lost The charger lost its Modbus link")
    assert f"{words['cause']} The Modbus cable is unplugged or the meter is off." in card
    assert f"{words['action']} Check the Modbus cable and the meter's power." in card

    assert _facts(page) == {
        words["Charger"]: "ALF-1",
        words["Site"]: "A9 Nîmes aire de Caissargues",
        words["Connector"]: "1",
        # The fault's start, not the alert's (21:48).
        words["Since"]: words["since_value"],
        words["Code"]: "OtherError / 210",
        words["Vendor"]: "Alfen BV",
        words["Model"]: "NG910",
        words["Details"]: "Connector 1 of charger ALF-1 has reported OtherError for 20m.",
    }

    button = page.locator('[data-part="console-button"] a')
    assert button.inner_text() == words["button"] and button.get_attribute("href") == CONSOLE
    assert page.get_by_role("link", name=words["dashboard"]).get_attribute("href") == DASHBOARD
    assert page.get_by_role("link", name=words["runbook"]).get_attribute("href") == RUNBOOK
    # Everything is inline: mail clients drop <style> blocks and never fetch stylesheets.
    assert page.locator("style, link[rel=stylesheet], script, img").count() == 0


def test_each_alert_has_its_severity_colour_and_resolved_is_green(page: Page) -> None:
    soc = AlertView(
        alertname="ChargerSocStalled",
        status="firing",
        severity="warning",
        family="soc",
        site="nimes",
        site_name="A9 Nîmes",
        charge_point_id="HX-1",
        connector_id="2",
        starts_at=STARTS,
        ends_at=None,
        fault_since=STARTS - timedelta(minutes=25),
        soc_percent="30",
        console_url="https://console.example/alerts/8",
    )
    _email_page(page, soc, language="en")
    colour = "cell => getComputedStyle(cell).backgroundColor"
    assert page.locator('[data-part="band"]').evaluate(colour) == "rgb(181, 71, 8)"
    assert page.locator('[data-part="console-button"]').evaluate(colour) == "rgb(181, 71, 8)"
    assert _facts(page)["State of charge"] == "30%, no rise for 30 min"
    assert page.locator('[data-part="card"]').count() == 0  # no code, no card

    ended = replace(soc, status="resolved", ends_at=NOW)
    _email_page(page, ended, language="fr", status="resolved")
    assert page.locator('[data-part="band"]').evaluate(colour) == "rgb(6, 118, 71)"
    assert _text(page, '[data-part="band"]') == "Résolu · A9 Nîmes"
    facts = _facts(page)
    assert facts["Depuis"] == "2026-11-24 21:23 CET (a duré 30 min)"
    assert facts["Terminée"] == "2026-11-24 21:53 CET"


def test_charger_supplied_text_stays_text(page: Page) -> None:
    hostile = replace(
        FAULTED,
        charge_point_id='CP"><script>document.title="x"</script>',
        site_name="Lyon <i>Part-Dieu</i>",
        code="<img src=x onerror=alert(1)>",
        vendor="<b>ACME</b> & co",
        model="</table><h1>M</h1>",
        title="<a href='https://evil.example'>click</a>",
        description="<style>body{display:none}</style>",
        runbook_url="javascript:alert(1)",
    )
    _email_page(page, hostile, language="en")
    assert page.locator("script, img, i, b, h1, style").count() == 0
    assert page.locator("a[href^='https://evil'], a[href^='javascript']").count() == 0
    facts = _facts(page)
    assert facts["Charger"] == 'CP"><script>document.title="x"</script>'
    assert facts["Site"] == "Lyon <i>Part-Dieu</i>"
    assert facts["Code"] == "<img src=x onerror=alert(1)>"
    assert facts["Vendor"] == "<b>ACME</b> & co"
    assert facts["Model"] == "</table><h1>M</h1>"
    assert (
        _text(page, '[data-part="card"] p >> nth=0') == "<a href='https://evil.example'>click</a>"
    )
    # A runbook link that is not http(s) is left out, not turned into a button.
    assert page.get_by_role("link", name="Runbook").count() == 0
    assert page.get_by_role("link", name="Open in the console").get_attribute("href") == CONSOLE

"""The alert pages in Debian's Chromium (Playwright) against the served receiver and a real
Alertmanager: the French list speaks French only, and the Watchdog, in the pipeline strip, is
not a technician's to silence."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, expect

from chargekeeper.routing.recipients import DEAD_MANS_SWITCH_RECEIVER
from console.auth import issue_api_token
from tests.alertmanager.receiver_support import ThreadedReceiver, alert, serving, webhook
from tests.console.browser_support import log_in, screenshot
from tests.console.support import TECH, build, running_alertmanager, silences

pytestmark = pytest.mark.slow

# What an English reader sees and a French one must not: alert names, their English titles,
# priorities, source types, alert and delivery states, the "who was told" words.
ENGLISH = re.compile(
    r"\b(Charger[A-Z]\w+|SiteOffline|Watchdog|Disconnected|Faulted|Flapping|critical|warning|"
    r"info|disconnection|error|energy|firing|resolved|Resolved|Firing|pending|sent|failed|"
    r"Nobody|outside|coverage|healthy|heartbeat|for \d+ min)\b",
    re.IGNORECASE,
)


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[tuple[ThreadedReceiver, str]]:
    with running_alertmanager(tmp_path) as alertmanager_url:
        built = build(tmp_path, f"alertmanager_url: {alertmanager_url}\nrefresh_seconds: 1\n")
        with serving(built) as receiver:
            yield receiver, alertmanager_url


def test_the_french_alert_list_has_no_english_alert_words(
    browser: Browser, stack: tuple[ThreadedReceiver, str]
) -> None:
    receiver, _alertmanager_url = stack
    told = [
        alert("CP-ALFEN-01", vendor="Alfen BV", error_code="OtherError", vendor_error_code="210"),
        alert("CP-2", alertname="ChargerDisconnected", family="disconnection", severity="warning"),
    ]
    receiver.post(webhook(told))
    quiet = [
        alert("CP-3", site="leeds", alertname="ChargerSocStalled", family="soc", severity="info"),
        alert("CP-3", site="leeds", alertname="ChargerNotDelivering", family="energy"),
        alert("", alertname="Watchdog", family="fleet", severity="info", site=""),
        alert("CP-2", alertname="ChargerFlapping", family="disconnection", status="resolved")
        | {"endsAt": "2026-11-24T14:00:00Z"},
    ]
    receiver.post(webhook(quiet, receiver=DEAD_MANS_SWITCH_RECEIVER))
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    log_in(page, receiver.url, "/alerts?status=all", TECH)
    rows = page.locator("tr[data-alert-id]")
    expect(rows).to_have_count(5)  # not the Watchdog: it is in the pipeline strip
    expect(page.locator("main")).to_contain_text("Disconnected")
    page.get_by_role("link", name="Français").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(rows).to_have_count(5)
    expect(page.locator("#pipeline-health")).to_contain_text("opérationnelle")
    expect(rows.filter(has_text="CP-ALFEN-01")).to_contain_text("Liaison de délestage perdue")
    # Wait for the table to have refreshed itself once, so the live fragment is checked too.
    expect(page.locator("#alerts-table")).to_have_attribute("data-refreshed", re.compile(r"\d"))
    text = page.locator("main").inner_text()
    found = sorted({match.group(0) for match in ENGLISH.finditer(text)})
    assert found == [], f"English words in the French alert list: {found}"
    screenshot(page, "alerts-fr")
    page.close()


def test_a_technician_cannot_silence_the_watchdog(
    browser: Browser, stack: tuple[ThreadedReceiver, str]
) -> None:
    receiver, alertmanager_url = stack
    beat = alert("", alertname="Watchdog", family="fleet", severity="info", site="")
    receiver.post(webhook([beat, alert("CP-7")], receiver=DEAD_MANS_SWITCH_RECEIVER))
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    log_in(page, receiver.url, "/alerts", TECH)
    # The charger's alert offers the button; the Watchdog is not in the list at all.
    expect(page.locator("tr[data-alert-id]")).to_have_count(1)
    expect(page.get_by_role("button", name="Acknowledge")).to_have_count(1)
    strip = page.locator("#pipeline-health")
    expect(strip).to_contain_text("healthy")
    screenshot(page, "alerts-pipeline-strip")
    strip.get_by_role("link", name=re.compile("heartbeat")).click()
    expect(page.locator("h1")).to_contain_text("Heartbeat")
    expect(page.get_by_role("button", name="Acknowledge")).to_have_count(0)
    watchdog_id = int(page.url.rsplit("/", 1)[1])
    page.close()
    sessions = receiver.built.service.pipeline.sessions
    token = issue_api_token(sessions, TECH[0], "tests")
    refused = httpx.post(
        f"{receiver.url}/api/v1/alerts/{watchdog_id}/ack",
        json={"note": "quiet please"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )
    assert refused.status_code == 403, refused.text
    assert "only an admin may acknowledge 'Watchdog'" in refused.text
    assert silences(alertmanager_url) == []  # nothing reached Alertmanager

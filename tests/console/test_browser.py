"""The console in Debian's Chromium (Playwright) against the served receiver and a real
Alertmanager: log in, see a firing alert, filter, acknowledge, find the silence; screenshots
of the main pages go to ``artifacts/console/``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.alertmanager.receiver_support import (
    ThreadedReceiver,
    alert,
    serving,
    wait_until,
    webhook,
)
from tests.console.browser_support import assert_fits_width, log_in, screenshot
from tests.console.support import (
    TECH,
    build,
    running_alertmanager,
    silences,
)

pytestmark = pytest.mark.slow


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[tuple[ThreadedReceiver, str]]:
    with running_alertmanager(tmp_path) as alertmanager_url:
        built = build(tmp_path, f"alertmanager_url: {alertmanager_url}\nrefresh_seconds: 1\n")
        with serving(built) as receiver:
            yield receiver, alertmanager_url


def test_log_in_see_filter_acknowledge_and_find_the_silence(
    browser: Browser, stack: tuple[ThreadedReceiver, str]
) -> None:
    receiver, alertmanager_url = stack
    receiver.post(webhook([alert("CP-2", error_code="OtherError")]))
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(f"{receiver.url}/login")
    screenshot(page, "login")
    log_in(page, receiver.url, "/alerts", TECH)
    row = page.locator("tr[data-alert-id]")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("CP-2")

    # A new alert appears without reloading (the table refreshes itself every second).
    receiver.post(webhook([alert("CP-3", site="leeds", severity="warning")]))
    expect(row).to_have_count(2, timeout=5000)
    screenshot(page, "alerts")

    page.get_by_label("Site").select_option("leeds")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(
        f"{receiver.url}/alerts?status=firing&severity=&family=&site=leeds&client=&period=all"
    )
    expect(row).to_have_count(1)
    expect(row).to_contain_text("CP-3")

    row.get_by_placeholder("Comment (optional)").fill("on my way")
    row.get_by_role("button", name="Acknowledge").click()
    expect(row).to_contain_text("by alice")
    expect(row).to_contain_text("on my way")
    active = wait_until(
        lambda: [s for s in silences(alertmanager_url) if s["status"]["state"] == "active"],
        5,
        "no active silence in Alertmanager",
    )
    assert {m["value"] for m in active[0]["matchers"]} >= {"CP-3", "leeds", "warning"}

    page.locator("tr[data-alert-id] a", has_text="Faulted").click()
    expect(page.locator("ol.timeline")).to_contain_text("Acknowledged by alice (console)")
    screenshot(page, "alert-detail")
    page.get_by_role("link", name="Chargers").click()
    expect(page.locator("table")).to_contain_text("CP-ALFEN-01")
    screenshot(page, "chargers")
    page.get_by_role("link", name="Notifications").click()
    expect(page.locator("tr[data-delivery-id]").first).to_be_visible()
    screenshot(page, "notifications")
    page.close()


def test_phone_layout_and_french(browser: Browser, stack: tuple[ThreadedReceiver, str]) -> None:
    receiver, _alertmanager_url = stack
    receiver.post(webhook([alert("CP-2")]))
    page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    log_in(page, receiver.url, "/alerts", TECH)
    page.get_by_role("link", name="Français").click()
    expect(page.get_by_role("button", name="Prendre en charge")).to_be_visible()
    # On a phone the table header is hidden and each cell carries its own label.
    expect(page.locator("table.alerts thead")).to_be_hidden()
    assert_fits_width(page)
    screenshot(page, "alerts-phone-fr")
    page.goto(f"{receiver.url}/chargers/CP-2")
    expect(page.locator("h1")).to_contain_text("Fiche de maintenance")
    screenshot(page, "charger-phone-fr")
    page.close()

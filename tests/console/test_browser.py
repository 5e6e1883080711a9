"""The console in Debian's Chromium (Playwright) against the served receiver and a real
Alertmanager: log in, see a firing alert, filter, acknowledge, find the silence; screenshots
of the main pages go to ``artifacts/console/``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.alertmanager.receiver_support import ThreadedReceiver, alert, wait_until, webhook
from tests.console.support import (
    TECH,
    build,
    running_alertmanager,
    serving,
    silences,
)
from tests.support.paths import REPO
from tests.support.procs import require_binary

pytestmark = pytest.mark.slow

ARTIFACTS = REPO / "artifacts" / "console"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = require_binary("chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[tuple[ThreadedReceiver, str]]:
    with running_alertmanager(tmp_path) as alertmanager_url:
        built = build(tmp_path, f"alertmanager_url: {alertmanager_url}\nrefresh_seconds: 1\n")
        with serving(built) as receiver:
            yield receiver, alertmanager_url


def log_in(page: Page, base: str) -> None:
    page.goto(f"{base}/alerts")
    expect(page).to_have_url(f"{base}/login?next=%2Falerts")
    page.screenshot(path=ARTIFACTS / "login.png")
    page.get_by_label("Username").fill(TECH[0])
    page.get_by_label("Password").fill(TECH[1])
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{base}/alerts")


def test_log_in_see_filter_acknowledge_and_find_the_silence(
    browser: Browser, stack: tuple[ThreadedReceiver, str]
) -> None:
    receiver, alertmanager_url = stack
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    receiver.post(webhook([alert("CP-2", error_code="OtherError")]))
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    log_in(page, receiver.url)
    row = page.locator("tr[data-alert-id]")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("CP-2")

    # A new alert appears without reloading (the table refreshes itself every second).
    receiver.post(webhook([alert("CP-3", site="leeds", severity="warning")]))
    expect(row).to_have_count(2, timeout=5000)
    page.screenshot(path=ARTIFACTS / "alerts.png", full_page=True)

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

    page.locator("tr[data-alert-id] a", has_text="ChargerFaulted").click()
    expect(page.locator("ol.timeline")).to_contain_text("Acknowledged by alice (console)")
    page.screenshot(path=ARTIFACTS / "alert-detail.png", full_page=True)
    page.get_by_role("link", name="Chargers").click()
    expect(page.locator("table")).to_contain_text("CP-ALFEN-01")
    page.screenshot(path=ARTIFACTS / "chargers.png", full_page=True)
    page.get_by_role("link", name="Notifications").click()
    expect(page.locator("tr[data-delivery-id]").first).to_be_visible()
    page.screenshot(path=ARTIFACTS / "notifications.png", full_page=True)
    page.close()


def test_phone_layout_and_french(browser: Browser, stack: tuple[ThreadedReceiver, str]) -> None:
    receiver, _alertmanager_url = stack
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    receiver.post(webhook([alert("CP-2")]))
    page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    log_in(page, receiver.url)
    page.get_by_role("link", name="Français").click()
    expect(page.get_by_role("button", name="Prendre en charge")).to_be_visible()
    # On a phone the table header is hidden and each cell carries its own label.
    expect(page.locator("table.alerts thead")).to_be_hidden()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"page scrolls sideways on a phone ({width}px)"
    page.screenshot(path=ARTIFACTS / "alerts-phone-fr.png", full_page=True)
    page.goto(f"{receiver.url}/chargers/CP-2")
    expect(page.locator("h1")).to_contain_text("Fiche de maintenance")
    page.screenshot(path=ARTIFACTS / "charger-phone-fr.png", full_page=True)
    page.close()

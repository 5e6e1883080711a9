"""The Chargers page in Debian's Chromium (Playwright) with live state from a real Prometheus:
a disconnected charger reads as disconnected, the filter form narrows the list, and the page
fits a phone's width. Screenshots go to ``artifacts/console/``."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.alertmanager.receiver_support import serving
from tests.console.browser_support import assert_fits_width, log_in, screenshot
from tests.console.live_support import live_prometheus
from tests.console.support import TECH, build

pytestmark = pytest.mark.slow


def test_a_disconnected_charger_reads_as_disconnected_and_the_filter_works(
    browser: Browser, tmp_path: Path
) -> None:
    with live_prometheus(tmp_path / "prometheus") as prometheus_url:
        built = build(tmp_path, f"prometheus_url: {prometheus_url}\n")
        with serving(built) as receiver:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            log_in(page, receiver.url, "/chargers", TECH)
            rows = page.locator("tr[data-charger]")
            expect(rows).to_have_count(4)
            cp2 = page.locator('tr[data-charger="CP-2"]')
            expect(cp2.locator(".cp-state")).to_have_text("Disconnected")
            expect(cp2).to_contain_text("disconnected since 2026-01-02 04:04 CET")
            expect(page.locator('tr[data-charger="CP-3"] .cp-state')).to_have_text("Faulted")
            screenshot(page, "chargers")

            page.get_by_label("Status").select_option("disconnected")
            page.get_by_role("button", name="Filter").click()
            expect(rows).to_have_count(1)
            expect(rows.first).to_have_attribute("data-charger", "CP-2")
            expect(page.locator("#chargers-count")).to_have_text("Showing 1 of 4 chargers")

            page.get_by_label("Status").select_option("")
            page.get_by_label("Search").fill("ekoenerget")
            page.get_by_role("button", name="Filter").click()
            expect(rows).to_have_count(1)
            expect(rows.first).to_have_attribute("data-charger", "CP-3")

            page.get_by_role("link", name="Clear filters").click()
            expect(rows).to_have_count(4)
            page.set_viewport_size({"width": 390, "height": 844})
            assert_fits_width(page)
            screenshot(page, "chargers-phone")

            rows.filter(has_text="CP-2").get_by_role("link", name="CP-2").click()
            expect(page.locator("#live-state")).to_contain_text("disconnected since")
            assert_fits_width(page)
            screenshot(page, "charger-phone")
            page.close()

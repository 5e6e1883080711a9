"""The Rules page in Debian's Chromium (Playwright) against a real Prometheus: an admin logs
in, changes a threshold for one site, previews it, saves it, sees the applied change on the
page and finds the new threshold series in Prometheus. Screenshots go to
``artifacts/console/``."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.alertmanager.receiver_support import serving, wait_until
from tests.console.browser_support import assert_fits_width, log_in, screenshot
from tests.console.editor_support import rules_stack, threshold
from tests.console.support import ADMIN

pytestmark = pytest.mark.slow


def test_admin_changes_a_threshold_and_prometheus_has_it(browser: Browser, tmp_path: Path) -> None:
    with rules_stack(tmp_path) as stack, serving(stack.built) as receiver:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        log_in(page, receiver.url, "/rules", ADMIN)
        screenshot(page, "rules")

        card = page.locator("#rule-faulted")
        card.get_by_label("Site").select_option("lyon")
        card.get_by_label("Warning after").fill("3m")
        card.get_by_role("button", name="Preview").click()
        # Prometheus answers (no collector here, so nothing fires either way).
        expect(page.locator("#rule-faulted .rules-preview")).to_contain_text(
            "With this change, at Prometheus's last evaluation"
        )
        expect(page.locator("#rule-faulted input[name=warning]")).to_have_value("3m")
        page.locator("#rule-faulted").get_by_role("button", name="Save").click()

        expect(page.locator(".applied-change")).to_contain_text("Applied by admin")
        expect(page.locator(".applied-change")).to_contain_text(
            "faulted at site lyon: warning inherited → 3m"
        )
        override = page.locator('#rule-faulted tr.override[data-scope-site="lyon"]')
        expect(override.locator('td[data-knob="warning"]')).to_have_text("3m")
        labels = {"site": "lyon", "group": "default", "severity": "warning"}
        wait_until(
            lambda: (
                threshold(stack.prometheus_url, "chargekeeper:threshold_faulted_seconds", **labels)
                == 180
            ),
            10,
            "the new threshold in Prometheus",
        )
        screenshot(page, "rules-applied")

        page.get_by_role("link", name="Rules change log").click()
        expect(page.locator("tr[data-change-id]")).to_have_count(1)
        page.locator("tr[data-change-id] a").click()
        expect(page.locator("pre.diff .diff-add").first).to_be_visible()
        screenshot(page, "rules-change")

        # A phone's width: the tables become cards and nothing scrolls sideways.
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(f"{receiver.url}/rules#rule-faulted")
        assert_fits_width(page)
        screenshot(page, "rules-phone")
        page.close()

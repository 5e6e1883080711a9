"""The Rules page in Debian's Chromium (Playwright) against a real Prometheus: an admin logs
in, changes a threshold for one site, previews it, saves it, sees the applied change on the
page and finds the new threshold series in Prometheus. Screenshots go to
``artifacts/console/``."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.alertmanager.receiver_support import wait_until
from tests.console.rules_support import rules_stack, threshold
from tests.console.support import ADMIN, serving

# The browser fixture is test_browser's (one Chromium per module), used by its name.
from tests.console.test_browser import ARTIFACTS, browser  # noqa: F401

pytestmark = pytest.mark.slow


def test_admin_changes_a_threshold_and_prometheus_has_it(
    browser: Browser,  # noqa: F811 - the imported fixture
    tmp_path: Path,
) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with rules_stack(tmp_path) as stack, serving(stack.built) as receiver:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{receiver.url}/rules")
        page.get_by_label("Username").fill(ADMIN[0])
        page.get_by_label("Password").fill(ADMIN[1])
        page.get_by_role("button", name="Log in").click()
        expect(page).to_have_url(f"{receiver.url}/rules")
        page.screenshot(path=ARTIFACTS / "rules.png", full_page=True)

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
        page.screenshot(path=ARTIFACTS / "rules-applied.png", full_page=True)

        page.get_by_role("link", name="Rules change log").click()
        expect(page.locator("tr[data-change-id]")).to_have_count(1)
        page.locator("tr[data-change-id] a").click()
        expect(page.locator("pre.diff .diff-add").first).to_be_visible()
        page.screenshot(path=ARTIFACTS / "rules-change.png", full_page=True)

        # A phone's width: the tables become cards and nothing scrolls sideways.
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(f"{receiver.url}/rules#rule-faulted")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"/rules scrolls sideways on a phone ({width}px)"
        page.screenshot(path=ARTIFACTS / "rules-phone.png", full_page=True)
        page.close()

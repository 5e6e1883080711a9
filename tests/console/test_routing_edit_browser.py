"""The Routing page in Debian's Chromium (Playwright) against the served console and a real
Alertmanager: an admin mistypes a technician's phone (the error shows beside the field),
corrects it, and sees it applied; the page fits a phone. Screenshots go to
``artifacts/console/``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.console.support import ADMIN, serving
from tests.console.test_browser import ARTIFACTS, CHROMIUM_ARGS
from tests.console.test_routing_edit_alertmanager import editor_stack, running
from tests.support.procs import require_binary

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = require_binary("chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def log_in_as_admin(page: Page, base: str) -> None:
    page.goto(f"{base}/login?next=%2Frouting")
    page.get_by_label("Username").fill(ADMIN[0])
    page.get_by_label("Password").fill(ADMIN[1])
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{base}/routing")


def test_admin_corrects_a_technicians_phone_and_sees_it_applied(
    browser: Browser, tmp_path: Path
) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with editor_stack(tmp_path) as stack, serving(stack.built) as receiver:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        log_in_as_admin(page, receiver.url)
        page.screenshot(path=ARTIFACTS / "routing.png", full_page=True)

        row = page.locator('tr[data-technician="lena"]')
        row.get_by_text("Edit").click()
        row.get_by_label("Phone").fill("01 40 00 00 01")
        row.get_by_role("button", name="Save and apply").click()
        row = page.locator('tr[data-technician="lena"]')
        expect(row.get_by_role("alert").filter(has_text="E.164")).to_contain_text(
            "'0140000001' is not an E.164 phone number"
        )
        expect(row.get_by_label("Phone")).to_have_value("01 40 00 00 01")
        page.screenshot(path=ARTIFACTS / "routing-error.png", full_page=True)

        row.get_by_label("Phone").fill("+33 1 40 00 00 01")
        row.get_by_role("button", name="Save and apply").click()
        expect(page.get_by_role("status").first).to_contain_text("Applied")
        expect(page.get_by_role("status").first).to_contain_text(
            "technician 'lena': phone '+33140000000' → '+33140000001'"
        )
        expect(page.locator('tr[data-technician="lena"]')).to_contain_text("+33140000001")
        assert 'phone: "+33140000001"' in stack.routing_file.read_text()
        assert running(stack.alertmanager_url)["receivers"]
        page.screenshot(path=ARTIFACTS / "routing-applied.png", full_page=True)

        page.get_by_role("link", name="Routing changes").click()
        expect(page.locator("article[data-outcome]")).to_have_count(2)
        page.close()

        phone = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
        log_in_as_admin(phone, receiver.url)
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the Routing page scrolls sideways on a phone ({width}px)"
        phone.screenshot(path=ARTIFACTS / "routing-phone.png", full_page=True)
        phone.close()

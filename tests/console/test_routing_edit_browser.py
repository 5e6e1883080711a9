"""The Routing page in Debian's Chromium (Playwright) against the served console and a real
Alertmanager: an admin mistypes a technician's phone (the error shows beside the field),
corrects it, and sees it applied; the page fits a phone. Screenshots go to
``artifacts/console/``."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.alertmanager.receiver_support import serving
from tests.console.browser_support import assert_fits_width, log_in, screenshot
from tests.console.editor_support import editor_stack, running
from tests.console.support import ADMIN

pytestmark = pytest.mark.slow


def test_admin_corrects_a_technicians_phone_and_sees_it_applied(
    browser: Browser, tmp_path: Path
) -> None:
    with editor_stack(tmp_path) as stack, serving(stack.built) as receiver:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        log_in(page, receiver.url, "/routing", ADMIN)
        screenshot(page, "routing")

        row = page.locator('tr[data-technician="lena"]')
        row.get_by_text("Edit").click()
        row.get_by_label("Phone").fill("01 40 00 00 01")
        row.get_by_role("button", name="Save and apply").click()
        row = page.locator('tr[data-technician="lena"]')
        expect(row.get_by_role("alert").filter(has_text="E.164")).to_contain_text(
            "'0140000001' is not an E.164 phone number"
        )
        expect(row.get_by_label("Phone")).to_have_value("01 40 00 00 01")
        screenshot(page, "routing-error")

        row.get_by_label("Phone").fill("+33 1 40 00 00 01")
        row.get_by_role("button", name="Save and apply").click()
        expect(page.get_by_role("status").first).to_contain_text("Applied")
        expect(page.get_by_role("status").first).to_contain_text(
            "technician 'lena': phone '+33140000000' → '+33140000001'"
        )
        expect(page.locator('tr[data-technician="lena"]')).to_contain_text("+33140000001")
        assert 'phone: "+33140000001"' in stack.routing_file.read_text()
        assert running(stack.alertmanager_url)["receivers"]
        screenshot(page, "routing-applied")

        page.get_by_role("link", name="Routing changes").click()
        expect(page.locator("article[data-outcome]")).to_have_count(2)
        page.close()

        phone = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
        log_in(phone, receiver.url, "/routing", ADMIN)
        assert_fits_width(phone)
        screenshot(phone, "routing-phone")
        phone.close()

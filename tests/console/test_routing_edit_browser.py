"""The Routing page in Debian's Chromium (Playwright) against the served console and a real
Alertmanager: an admin mistypes a technician's phone (the error shows beside the field),
corrects it, and sees it applied; narrows a coverage by alert type and priority, adds an
escalation tier, a holiday and a timing (a wrong one refused first); the page and its forms
fit a phone, with checkboxes of one normal size. Screenshots go to
``artifacts/console/``."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from playwright.sync_api import Browser, Page, expect

from tests.alertmanager.receiver_support import serving
from tests.console.browser_support import ARTIFACTS, assert_fits_width, log_in, screenshot
from tests.console.editor_support import COMMENT, editor_stack, running
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


def checkbox_sizes(page: Page) -> set[tuple[float, float]]:
    """The (width, height) of every checkbox shown on the page, in CSS pixels."""
    sizes = page.evaluate(
        """() => [...document.querySelectorAll('input[type=checkbox]')]
            .map(box => box.getBoundingClientRect())
            .filter(rect => rect.width > 0)
            .map(rect => [rect.width, rect.height])"""
    )
    return {(width, height) for width, height in sizes}


def assert_normal_checkboxes(page: Page) -> None:
    sizes = checkbox_sizes(page)
    assert len(sizes) == 1, f"checkboxes of different sizes: {sizes}"
    ((width, height),) = sizes
    assert width == height and 12 <= width <= 24, f"checkboxes are {width}x{height}px"


def test_admin_narrows_a_coverage_adds_a_holiday_and_fixes_the_timing(
    browser: Browser, tmp_path: Path
) -> None:
    with editor_stack(tmp_path) as stack, serving(stack.built) as receiver:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        log_in(page, receiver.url, "/routing", ADMIN)
        row = page.locator('tr[data-coverage="landline"]')
        expect(row).to_contain_text("Leeds depot")  # the site's name, not its id
        row.get_by_text("Edit").click()
        assert_normal_checkboxes(page)
        line = row.locator('fieldset[data-subscription="0"]')
        line.get_by_label("Fault").check()
        line.get_by_label("warning").uncheck()
        tier = row.locator('fieldset[data-tier="0"]')
        tier.get_by_label("After").fill("20m")
        tier.get_by_label("Dan Peeters").check()
        tier.get_by_label("Channels").select_option("email")
        screenshot(page, "routing-coverage-form")
        row.get_by_role("button", name="Save and apply").click()
        expect(page.get_by_role("status").first).to_contain_text("Applied")
        row = page.locator('tr[data-coverage="landline"]')
        expect(row).to_contain_text("Fault · critical → SMS")
        expect(row).to_contain_text("+20m → Dan Peeters (email)")
        landline = yaml.safe_load(stack.routing_file.read_text())["coverage"][1]
        assert landline["subscriptions"] == [
            {"families": ["error"], "severities": ["critical"], "channels": "sms"}
        ]
        assert landline["escalation"] == [
            {"after": "20m", "technicians": ["dan"], "channels": "email"}
        ]
        assert COMMENT in stack.routing_file.read_text()

        page.get_by_text("Add a public holiday").first.click()
        holiday_form = page.locator('form[action="/routing/holidays"]')
        holiday_form.get_by_label("Date").fill("2026-12-25")
        holiday_form.get_by_label("Name").fill("Noël")
        holiday_form.get_by_role("button", name="Add a public holiday").click()
        expect(page.locator('tr[data-holiday="2026-12-25"]')).to_contain_text("Noël")

        # A timing Alertmanager would not take: refused beside its field, then corrected.
        page.get_by_text("Change the timing").click()
        timing = page.locator('form[action="/routing/timing"]')
        timing.get_by_label("First message after").fill("ten seconds")
        timing.get_by_role("button", name="Save and apply").click()
        timing = page.locator('form[action="/routing/timing"]')
        expect(timing.get_by_role("alert")).to_contain_text("'ten seconds' is not a duration")
        screenshot(page, "routing-timing-error")
        timing.get_by_label("First message after").fill("10s")
        timing.get_by_role("button", name="Save and apply").click()
        expect(page.get_by_role("status").first).to_contain_text("Applied")
        expect(page.locator('dd[data-field="group_wait"]')).to_have_text("10s")
        assert running(stack.alertmanager_url)["route"]["group_wait"] == "10s"
        page.close()

        phone = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
        log_in(phone, receiver.url, "/routing", ADMIN)
        phone.locator('tr[data-coverage="landline"]').get_by_text("Edit").click()
        phone.locator("summary", has_text="Add a coverage").click()
        assert_fits_width(phone)
        assert_normal_checkboxes(phone)
        screenshot(phone, "routing-forms-phone")
        # The edit form alone, at the phone's full resolution, for review.
        edit_form = phone.locator('tr[data-coverage="landline"] form[action="/routing/coverage"]')
        edit_form.screenshot(path=ARTIFACTS / "routing-coverage-form-phone.png")
        phone.close()

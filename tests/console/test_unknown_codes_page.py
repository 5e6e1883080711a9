"""The unknown-codes page ranks manufacturers by chargers affected, then occurrences, over a
served receiver reading the same SQLite store the recorder writes; and in Chromium."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, expect

from tests.alertmanager.receiver_support import ThreadedReceiver, serving
from tests.console.browser_support import assert_fits_width, log_in, screenshot
from tests.console.support import TECH, build
from tests.console.support import log_in as log_in_http
from translator import SqliteUnknownCodeStore, default_store_path

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
MARKUP = "<b>Acme</b>"


def sightings(tmp_path: Path) -> None:
    """Kempower: one charger, 50 times. Siemens: 4 chargers over two codes. MARKUP: 3
    chargers. Wallbox: 3 chargers too, but fewer occurrences than MARKUP."""
    store = SqliteUnknownCodeStore(default_store_path(tmp_path / "state"))
    try:
        for minute in range(50):
            store.add("Kempower", "K-9", "OtherError", "CP-K1", T0 + timedelta(minutes=minute))
        for charger in ("CP-S1", "CP-S2", "CP-S3"):
            store.add("Siemens", "S-1", None, charger, T0)
        for charger in ("CP-S3", "CP-S4"):
            for _ in range(5):
                store.add("Siemens", "S-2", None, charger, T0)
        for charger in ("CP-A1", "CP-A2", "CP-A3"):
            store.add(MARKUP, "<i>7</i>", None, charger, T0)
            store.add(MARKUP, "<i>7</i>", None, charger, T0)
        for charger in ("CP-W1", "CP-W2", "CP-W3"):
            store.add("Wallbox", "W-1", None, charger, T0)
    finally:
        store.close()


@pytest.fixture
def client(tmp_path: Path) -> Iterator[httpx.Client]:
    built = build(tmp_path)
    sightings(tmp_path)
    with serving(built) as receiver, httpx.Client(base_url=receiver.url, timeout=10) as client:
        yield client


def vendors(html: str) -> list[str]:
    return re.findall(r'<li class="code-gap" data-vendor="([^"]*)"', html)


def test_manufacturers_ranked_by_chargers_then_occurrences(client: httpx.Client) -> None:
    log_in_http(client, TECH)
    page = client.get("/unknown-codes").text
    # Siemens reaches 4 distinct chargers (CP-S3 sent both codes: counted once).
    assert vendors(page) == ["Siemens", "&lt;b&gt;Acme&lt;/b&gt;", "Wallbox", "Kempower"]
    siemens = page.split('data-vendor="Siemens"')[1].split("</li>")[0]
    assert "Chargers affected: 4 · occurrences: 13 · unknown codes: 2" in siemens
    # Inside a manufacturer too: S-1 reaches 3 chargers, S-2 only 2 despite more sightings.
    assert re.findall(r'data-code="([^"]*)"', siemens) == ["S-1", "S-2"]
    kempower = page.split('data-vendor="Kempower"')[1].split("</li>")[0]
    assert "Chargers affected: 1 · occurrences: 50 · unknown codes: 1" in kempower
    assert "K-9 (OtherError)" in kempower
    # Charger-supplied vendor names and codes are escaped, never markup.
    assert MARKUP not in page and "<i>7</i>" not in page
    assert "&lt;i&gt;7&lt;/i&gt;" in page


def test_ranking_in_french(client: httpx.Client) -> None:
    log_in_http(client, TECH)
    client.get("/language/fr", params={"next": "/unknown-codes"})
    page = client.get("/unknown-codes").text
    assert "Bornes touchées : 4 · occurrences : 13 · codes inconnus : 2" in page
    assert "Chargers affected" not in page


def test_a_fleet_wide_code_is_a_lower_bound(tmp_path: Path) -> None:
    built = build(tmp_path)
    store = SqliteUnknownCodeStore(default_store_path(tmp_path / "state"))
    for number in range(25):  # more than the 20 chargers the store lists per code
        store.add("Tritium", "T-1", None, f"CP-{number}", T0 + timedelta(seconds=number))
    store.close()
    with serving(built) as receiver, httpx.Client(base_url=receiver.url, timeout=10) as client:
        log_in_http(client, TECH)
        page = client.get("/unknown-codes").text
    assert "Chargers affected: at least 25 · occurrences: 25" in page
    assert "(+5)" in page


@pytest.mark.slow
def test_the_page_in_chromium_on_a_phone(browser: Browser, tmp_path: Path) -> None:
    built = build(tmp_path)
    sightings(tmp_path)
    receiver: ThreadedReceiver
    with serving(built) as receiver:
        page = browser.new_page(viewport={"width": 390, "height": 844})
        log_in(page, receiver.url, "/unknown-codes", TECH)
        gaps = page.locator("li.code-gap h2")
        expect(gaps).to_have_text(["Siemens", MARKUP, "Wallbox", "Kempower"])
        expect(page.locator("li.code-gap").first).to_contain_text("Chargers affected: 4")
        assert_fits_width(page)
        screenshot(page, "unknown-codes-phone")
        page.close()

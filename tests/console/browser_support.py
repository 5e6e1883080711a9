"""What the console's browser tests share besides the ``browser`` fixture (conftest.py):
Chromium's flags, logging in through the login page, and screenshots kept in
``artifacts/console/`` for review."""

from __future__ import annotations

from urllib.parse import quote

from playwright.sync_api import Page, expect

from tests.support.paths import REPO

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


def screenshot(page: Page, name: str) -> None:
    """Save the whole page as artifacts/console/<name>.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)


def log_in(page: Page, base: str, path: str, user: tuple[str, str]) -> None:
    """Open ``path``, be sent to the login page, log in as ``user`` (username, password) and
    land back on ``path``."""
    page.goto(f"{base}{path}")
    expect(page).to_have_url(f"{base}/login?next={quote(path, safe='')}")
    page.get_by_label("Username").fill(user[0])
    page.get_by_label("Password").fill(user[1])
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{base}{path}")


def assert_fits_width(page: Page) -> None:
    """Nothing on the page makes it scroll sideways (a phone's viewport, typically)."""
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.viewport_size
    assert viewport is not None
    assert width <= viewport["width"], f"{page.url} scrolls sideways ({width}px)"

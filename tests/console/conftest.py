"""The console's browser tests: a headless Debian Chromium (Playwright) per test module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.console.browser_support import CHROMIUM_ARGS
from tests.support.procs import require_binary


# Per module, not per session: Playwright's sync API runs an event loop in the main thread
# while it is open, and every asyncio test after it in the same run would fail to start its
# own ("Cannot run the event loop while another loop is running").
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = require_binary("chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()

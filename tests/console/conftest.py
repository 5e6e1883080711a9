"""The console's browser tests share one headless Debian Chromium (Playwright) per run."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.console.browser_support import CHROMIUM_ARGS
from tests.support.procs import require_binary


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    executable = require_binary("chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()

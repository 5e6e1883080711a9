"""What the console's tests share: a receiver process over a test config (``built``), an HTTP
client on it, and a headless Debian Chromium (Playwright) per test module for the browser tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, sync_playwright

from chargekeeper.receiver import Receiver
from tests.console.browser_support import CHROMIUM_ARGS
from tests.console.support import build, client_for
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


@pytest.fixture
def built(tmp_path: Path) -> Receiver:
    return build(tmp_path)


@pytest.fixture
def client(built: Receiver) -> Iterator[httpx.Client]:
    with client_for(built) as client:
        yield client

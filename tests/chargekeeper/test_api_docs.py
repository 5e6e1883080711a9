"""``/docs`` (Swagger UI) and ``/redoc`` work on a machine without internet: every script and
stylesheet they load is served by the receiver itself, and Swagger UI, in Chromium with every
request to another host refused, renders the API's operations."""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Route, expect, sync_playwright

from chargekeeper.receiver import build_receiver
from tests.alertmanager.receiver_support import ThreadedReceiver, serving
from tests.console.browser_support import CHROMIUM_ARGS
from tests.support.paths import REPO
from tests.support.procs import require_binary


class _Assets(HTMLParser):
    """The URLs a page loads: ``<script src>``, ``<link href>`` (stylesheet, icon)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = {"script": "src", "link": "href"}.get(tag)
        for name, value in attrs:
            if name == wanted and value:
                self.urls.append(value)


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[ThreadedReceiver]:
    with serving(
        build_receiver(REPO / "examples" / "demo", tmp_path, local_providers=True)
    ) as served:
        yield served


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        ("/docs", {"swagger-ui-bundle.js", "swagger-ui.css", "favicon.png"}),
        ("/redoc", {"redoc.standalone.js", "favicon.png"}),
    ],
)
def test_every_asset_of_the_docs_pages_comes_from_the_receiver(
    receiver: ThreadedReceiver, page: str, expected: set[str]
) -> None:
    response = httpx.get(f"{receiver.url}{page}", timeout=10)
    assert response.status_code == 200
    parser = _Assets()
    parser.feed(response.text)
    assert {urlsplit(url).path.rsplit("/", 1)[-1] for url in parser.urls} == expected
    for url in parser.urls:
        absolute = urljoin(f"{receiver.url}{page}", url)
        assert absolute.startswith(f"{receiver.url}/"), f"{page} loads {url} from another host"
        asset = httpx.get(absolute, timeout=10)
        assert asset.status_code == 200, f"{absolute}: {asset.status_code}"
        assert len(asset.content) > 1000, f"{absolute} is nearly empty"
    # The page's OpenAPI document is the app's own, too.
    assert "'/openapi.json'" in response.text or '"/openapi.json"' in response.text


@pytest.mark.slow
def test_swagger_ui_and_redoc_render_offline(receiver: ThreadedReceiver) -> None:
    operations = sum(
        len(methods)
        for methods in httpx.get(f"{receiver.url}/openapi.json", timeout=10)
        .json()["paths"]
        .values()
    )
    refused: list[tuple[str, str]] = []

    def offline(route: Route) -> None:
        if route.request.url.startswith(f"{receiver.url}/"):
            route.continue_()
        else:
            refused.append((route.request.resource_type, route.request.url))
            route.abort()

    executable = require_binary("chromium")
    with sync_playwright() as playwright:
        browser: Browser = playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page()
            page.route("**/*", offline)
            page.goto(f"{receiver.url}/docs")
            expect(page.locator(".opblock")).to_have_count(operations, timeout=15000)
            expect(page.locator(".opblock-summary-path").first).to_contain_text("/api/v1/")
            page.goto(f"{receiver.url}/redoc")
            expect(page.get_by_role("heading", name="Chargekeeper receiver")).to_be_visible(
                timeout=15000
            )
        finally:
            browser.close()
    # ReDoc's sidebar shows the Redocly logo from their site: decorative, and its absence leaves
    # nothing broken. Nothing else may come from elsewhere.
    assert [url for kind, url in refused if kind != "image"] == []

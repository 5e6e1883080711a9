"""The CSMS page: each upstream's answer times, against a real Prometheus holding a known day
of proxy-mode history (tests/support/upstream_history.py), and its chart in Chromium."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import Browser, expect

from chargekeeper.config.fleet import Fleet
from console.csms import duration_text, p95_chart, upstreams
from console.prometheus import PrometheusQueries
from tests.alertmanager.receiver_support import FLEET_YAML
from tests.console.browser_support import log_in as browser_log_in
from tests.console.browser_support import screenshot
from tests.console.support import ADMIN, build, client_for, log_in
from tests.support.backfill import History, backfilled_prometheus
from tests.support.upstream_history import HOSTILE, HOUR, upstream_history


@pytest.fixture(scope="module")
def now() -> int:
    """Where the history ends: the minute the module's Prometheus starts, not when pytest
    imported the module (a page asks Prometheus about the real now, which sees samples at most
    5 minutes old, and a whole suite can run between collection and this module)."""
    return int(datetime.now(UTC).timestamp()) // 60 * 60


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory, now: int) -> Iterator[str]:
    with backfilled_prometheus(tmp_path_factory.mktemp("csms"), upstream_history(now)) as url:
        yield url


@pytest.fixture(scope="module")
def standalone(tmp_path_factory: pytest.TempPathFactory, now: int) -> Iterator[str]:
    """A Prometheus holding a standalone collector's series only: no ocpp_upstream_*."""
    history = History()
    history.series(
        "ocpp_charge_point_connected",
        'charge_point_id="CP-2"',
        ((t, 1) for t in range(now - HOUR, now + 1, 60)),
    )
    with backfilled_prometheus(tmp_path_factory.mktemp("standalone"), history) as url:
        yield url


def test_durations_read_as_a_technician_reads_them() -> None:
    assert duration_text(0.0375) == "38 ms"
    assert duration_text(2.4) == "2.40 s"
    assert duration_text(None) == "-"


@pytest.mark.slow
def test_each_upstream_with_its_answer_times(prometheus: str, now: int) -> None:
    fleet = Fleet.model_validate(yaml.safe_load(FLEET_YAML))
    at = datetime.fromtimestamp(now, UTC)
    found = {u.name: u for u in upstreams(PrometheusQueries(prometheus), fleet, at)}
    assert sorted(found) == [HOSTILE, "client/retailco", "site/lyon"]
    lyon = found["site/lyon"]
    assert (lyon.site, lyon.client, lyon.connected) == ("Lyon <Part-Dieu>", "RetailCo", 2)
    actions = {a.action: a for a in lyon.actions}
    assert sorted(actions) == ["Authorize", "StartTransaction"]
    # Answer times lie in Prometheus's buckets, interpolated linearly within one: 40 ms in
    # (25, 50] ms, 200 ms in (100, 250] ms; the 2 s hour is more than an hour ago.
    authorize, start = actions["Authorize"], actions["StartTransaction"]
    assert authorize.p50 == pytest.approx(0.0375) and authorize.p95 == pytest.approx(0.04875)
    assert start.p50 == pytest.approx(0.175) and start.p95 == pytest.approx(0.2425)
    assert authorize.errors == 0 and authorize.calls == pytest.approx(3600, rel=0.05)
    # 10 answers a minute (one a CALLERROR) plus one timeout: 2 errors in 11 calls.
    assert start.calls == pytest.approx(660, rel=0.05)
    assert start.error_ratio == pytest.approx(2 / 11, rel=0.01)
    assert lyon.error_ratio == pytest.approx(120 / 4260, rel=0.05)
    retailco = found["client/retailco"]
    assert (retailco.site, retailco.client, retailco.connected) == ("", "RetailCo", 0)
    assert retailco.actions == [] and retailco.error_ratio is None


@pytest.mark.slow
def test_the_chart_shows_the_slow_hour(prometheus: str, now: int) -> None:
    data = p95_chart(PrometheusQueries(prometheus), datetime.fromtimestamp(now, UTC))
    assert data["end"] == now and data["start"] == now - 24 * HOUR
    lines = data["p95_ms"]
    assert isinstance(lines, dict) and sorted(lines) == ["site/lyon"]  # the others answered nothing
    by_time = {t: v for t, v in lines["site/lyon"]}
    assert len(by_time) == 24 * 12 + 1
    assert by_time[now - 2.5 * HOUR] > 1000  # in the 2 s hour: (1, 2.5] s
    assert by_time[now - 5 * HOUR] == pytest.approx(48.8, abs=0.1)  # Authorize only: 40 ms
    assert 100 < by_time[now] < 250  # StartTransaction's 200 ms are the slowest 1 in 7


@pytest.mark.slow
def test_the_page_and_its_chart(prometheus: str, tmp_path: Path, browser: Browser) -> None:
    built = build(tmp_path, f"refresh_seconds: 1\nprometheus_url: {prometheus}\n")
    with client_for(built) as client:
        log_in(client, ADMIN)
        html = client.get("/csms").text
        # Label values are shown as text, never as markup.
        assert "charger/&lt;img src=x&gt;" in html and "<img src=x>" not in html
        assert "Lyon &lt;Part-Dieu&gt;" in html
        assert "<script>" not in re.sub(r"<script src=[^>]+></script>", "", html)
        data = client.get("/console/charts/csms")
        assert data.status_code == 200 and data.json()["timezone"] == "UTC"
        base = str(client.base_url).rstrip("/")
        page = browser.new_page(viewport={"width": 1200, "height": 1400})
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        browser_log_in(page, base, "/csms", ADMIN)
        lyon = page.locator('section[data-upstream="site/lyon"]')
        expect(lyon.locator(".connected")).to_have_text("2")
        expect(lyon.locator(".site")).to_have_text("Lyon <Part-Dieu>")
        expect(lyon.locator("tr[data-action=Authorize] .p50")).to_have_text("38 ms")
        # 242.5 ms: which way it rounds depends on the float the query returns.
        expect(lyon.locator("tr[data-action=StartTransaction] .p95")).to_have_text(
            re.compile(r"^24[23] ms$")
        )
        expect(lyon.locator("tr[data-action=StartTransaction] .errors")).to_have_text("18.2 %")
        retailco = page.locator('section[data-upstream="client/retailco"]')
        expect(retailco.locator(".site")).to_have_text("several")
        expect(page.locator("#csms-chart")).to_have_attribute("data-drawn", "1")
        expect(page.get_by_role("link", name="CSMS")).to_be_visible()
        screenshot(page, "csms")
        page.goto(f"{base}/language/fr?next=/csms")
        expect(page.locator("h1")).to_have_text("Temps de réponse du CSMS")
        expect(page.locator("#csms-chart")).to_have_attribute("data-drawn", "1")
        assert errors == []
        page.close()


@pytest.mark.slow
def test_without_proxy_mode_the_page_says_standalone(standalone: str, tmp_path: Path) -> None:
    built = build(tmp_path, f"refresh_seconds: 1\nprometheus_url: {standalone}\n")
    with client_for(built) as client:
        log_in(client, ADMIN)
        page = client.get("/csms")
        assert page.status_code == 200
        assert "The collector runs standalone" in page.text
        assert "csms-chart" not in page.text and "chart.min.js" not in page.text


@pytest.mark.slow
def test_without_prometheus_the_page_says_why(tmp_path: Path) -> None:
    built = build(tmp_path)
    with client_for(built) as client:
        log_in(client, ADMIN)
        assert "console.yaml has no prometheus_url" in client.get("/csms").text
        data = client.get("/console/charts/csms")
        assert data.status_code == 503 and "no prometheus_url" in data.json()["detail"]

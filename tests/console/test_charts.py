"""The console's charts: the shapes drawn from Prometheus, against a real Prometheus that holds
a known history (backfilled with promtool), and the pages in Chromium.

The history: charger CP-2 (Lyon) Available from -3 h to -2 h, Charging at 11 kW from -2 h to
-1 h with its SoC rising 20 → 60 %, then disconnected; site Lyon 75 % available every 5 minutes
since the start of the month, Leeds 100 % for the last hour only.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from playwright.sync_api import Browser, expect

from chargekeeper.config.fleet import Fleet
from console.charts import (
    DISCONNECTED,
    NO_DATA,
    charger_history,
    month_start,
    promql_string,
    site_availability,
    status_timeline,
)
from console.prometheus import PrometheusQueries, PrometheusUnavailable, Series
from tests.alertmanager.receiver_support import FLEET_YAML
from tests.console.browser_support import log_in as browser_log_in
from tests.console.browser_support import screenshot
from tests.console.support import ADMIN, build, client_for, log_in
from tests.support.backfill import History, backfilled_prometheus

NOW = int(datetime.now(UTC).timestamp()) // 60 * 60
HOUR = 3600


def test_timeline_merges_steps_and_tells_disconnection_from_missing_data() -> None:
    steps = [0.0, 60.0, 120.0, 180.0, 240.0]
    statuses = [
        Series({"connector_id": "1", "status": "Available"}, [(0, 1), (60, 1)]),
        Series({"connector_id": "1", "status": "Faulted"}, [(120, 1)]),
        Series({"connector_id": "2", "status": "Charging"}, [(0, 1)]),
    ]
    connected = [Series({}, [(0, 1), (60, 1), (120, 1), (180, 0)])]
    segments = status_timeline(statuses, connected, steps, 60)
    assert [(s.connector_id, s.state, s.start, s.end) for s in segments] == [
        ("1", "Available", 0, 120),
        ("1", "Faulted", 120, 180),
        ("1", DISCONNECTED, 180, 240),
        ("1", NO_DATA, 240, 300),
        ("2", "Charging", 0, 60),
        ("2", NO_DATA, 60, 180),
        ("2", DISCONNECTED, 180, 240),
        ("2", NO_DATA, 240, 300),
    ]


def test_charger_ids_are_quoted_not_pasted_into_promql() -> None:
    assert promql_string('CP"} or vector(1) #') == '"CP\\"} or vector(1) #"'


def _history() -> History:
    history = History()
    cp = 'charge_point_id="CP-2"'
    history.series(
        "chargekeeper_connector:status",
        f'{cp},connector_id="1",status="Available"',
        ((t, 1) for t in range(NOW - 3 * HOUR, NOW - 2 * HOUR, 60)),
    )
    history.series(
        "chargekeeper_connector:status",
        f'{cp},connector_id="1",status="Charging"',
        ((t, 1) for t in range(NOW - 2 * HOUR, NOW - HOUR, 60)),
    )
    history.series(
        "ocpp_charge_point_connected",
        cp,
        ((t, 1 if t < NOW - HOUR else 0) for t in range(NOW - 3 * HOUR, NOW, 60)),
    )
    history.series(
        "ocpp_connector_power_watts",
        f'{cp},connector_id="1"',
        ((t, 11000) for t in range(NOW - 2 * HOUR, NOW - HOUR, 60)),
    )
    history.series(
        "ocpp_connector_soc_ratio",
        f'{cp},connector_id="1"',
        (
            (t, 0.2 + 0.4 * (t - NOW + 2 * HOUR) / HOUR)
            for t in range(NOW - 2 * HOUR, NOW - HOUR, 60)
        ),
    )
    paris = month_start(datetime.fromtimestamp(NOW, UTC), ZoneInfo("Europe/Paris"))
    first = int(paris.timestamp()) // 300 * 300 + 300
    tiles = range(first, NOW + 1, 300)
    site = 'site="lyon",client="retailco"'
    history.series("chargekeeper_site:available:sum5m", site, ((t, 3) for t in tiles))
    history.series("chargekeeper_site:available:count5m", site, ((t, 4) for t in tiles))
    recent = range(NOW - HOUR + 300, NOW + 1, 300)
    leeds = 'site="leeds",client="retailco"'
    history.series("chargekeeper_site:available:sum5m", leeds, ((t, 4) for t in recent))
    history.series("chargekeeper_site:available:count5m", leeds, ((t, 4) for t in recent))
    return history


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with backfilled_prometheus(tmp_path_factory.mktemp("charts-prometheus"), _history()) as url:
        yield url


@pytest.mark.slow
def test_charger_history_from_prometheus(prometheus: str) -> None:
    now = datetime.fromtimestamp(NOW, UTC)
    data = charger_history(PrometheusQueries(prometheus), "CP-2", "24h", now)
    timeline = [(s["state"], s["start"], s["end"]) for s in data["timeline"]]  # type: ignore[attr-defined]
    states = [state for state, _, _ in timeline]
    assert states == [NO_DATA, "Available", "Charging", DISCONNECTED]
    bounds = {state: (start, end) for state, start, end in timeline}
    # A range query sees a sample up to 5 minutes after it was written (Prometheus's lookback).
    assert bounds["Available"][0] == pytest.approx(NOW - 3 * HOUR, abs=60)
    assert bounds["Charging"][0] == pytest.approx(NOW - 2 * HOUR, abs=60)
    assert bounds[DISCONNECTED][0] == pytest.approx(NOW - HOUR, abs=6 * 60)
    assert bounds[DISCONNECTED][1] == pytest.approx(NOW, abs=60)
    power = data["power_kw"]["1"]  # type: ignore[index]
    assert max(v for _, v in power) == 11.0
    soc = [v for _, v in data["soc_percent"]["1"]]  # type: ignore[index]
    assert soc[0] == pytest.approx(20, abs=1) and max(soc) == pytest.approx(60, abs=1)


@pytest.mark.slow
def test_site_availability_for_the_month(prometheus: str) -> None:
    fleet = Fleet.model_validate(yaml.safe_load(FLEET_YAML))
    now = datetime.fromtimestamp(NOW, UTC)
    sites = {s.site_id: s for s in site_availability(PrometheusQueries(prometheus), fleet, now)}
    lyon, leeds = sites["lyon"], sites["leeds"]
    assert lyon.name == "Lyon <Part-Dieu>"
    assert lyon.ratio == pytest.approx(0.75)
    assert lyon.month == month_start(now, ZoneInfo("Europe/Paris")).strftime("%Y-%m")
    assert all(value == pytest.approx(0.75) for _, value in lyon.days)
    elapsed = now - month_start(now, ZoneInfo("Europe/Paris"))
    assert len(lyon.days) == elapsed // timedelta(days=1) + 1
    assert leeds.ratio == pytest.approx(1.0)
    assert leeds.days[-1][1] == pytest.approx(1.0)
    # Its last hour may reach back into yesterday; the days before have no data at all.
    assert all(value is None for _, value in leeds.days[:-2])
    assert all(value in (None, pytest.approx(1.0)) for _, value in leeds.days[-2:])


def test_an_unreachable_prometheus_is_named() -> None:
    with pytest.raises(
        PrometheusUnavailable, match=r"cannot query Prometheus at http://127\.0\.0\.1:1"
    ):
        PrometheusQueries("http://127.0.0.1:1", timeout=1).instant("up")


@pytest.mark.slow
def test_pages_draw_the_charts(prometheus: str, tmp_path: Path, browser: Browser) -> None:
    built = build(tmp_path, f"refresh_seconds: 1\nprometheus_url: {prometheus}\n")
    with client_for(built) as client:
        log_in(client, ADMIN)
        assert client.get("/console/static/vendor/chart.min.js").status_code == 200
        data = client.get("/console/charts/chargers/CP-2", params={"period": "7d"})
        assert data.status_code == 200 and data.json()["period"] == "7d"
        assert data.json()["timezone"] == "Europe/Paris"  # Lyon's: the page's clock
        assert (
            client.get("/console/charts/chargers/CP-2", params={"period": "1y"}).status_code == 400
        )
        base = str(client.base_url).rstrip("/")
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        browser_log_in(page, base, "/availability", ADMIN)
        expect(page.locator("tr[data-site=lyon] .ratio")).to_have_text("75.00 %")
        expect(page.locator("tr[data-site=lyon]")).to_contain_text("Lyon <Part-Dieu>")
        expect(page.locator("tr[data-site=lyon]")).to_contain_text("RetailCo")  # a name
        screenshot(page, "availability")
        page.goto(f"{base}/chargers/CP-2")
        expect(page.locator("#charger-charts")).to_have_attribute("data-drawn", "24h")
        page.get_by_role("button", name="7 days").click()
        expect(page.locator("#charger-charts")).to_have_attribute("data-drawn", "7d")
        screenshot(page, "charger-history")
        assert errors == []
        page.close()


@pytest.mark.slow
def test_without_prometheus_the_pages_say_why(tmp_path: Path) -> None:
    built = build(tmp_path)
    with client_for(built) as client:
        log_in(client, ADMIN)
        page = client.get("/availability")
        assert page.status_code == 200
        assert "console.yaml has no prometheus_url" in page.text
        data = client.get("/console/charts/chargers/CP-2")
        assert data.status_code == 503
        assert "no prometheus_url" in data.json()["detail"]

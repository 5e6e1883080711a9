"""The Stack health CSMS row (chargekeeper/dashboards/csms.py): every query, as Grafana
interpolates it, against a real Prometheus holding a known day of proxy-mode history
(tests/support/upstream_history.py) scraped from two collectors, one of them not selected."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from chargekeeper.dashboards.csms import csms_panels
from chargekeeper.dashboards.stack import COLLECTORS
from tests.grafana.panels import interpolate
from tests.support.backfill import History, backfilled_prometheus
from tests.support.upstream_history import HOUR, upstream_history

pytestmark = pytest.mark.slow

NOW = int(datetime.now(UTC).timestamp()) // 60 * 60
JOB = 'job="chargekeeper-exporter"'
CHOSEN = "10.0.0.1:9100"
# Grafana's values: the chosen collector, and a rate interval that holds several 1-minute
# samples of the backfilled history.
VALUES = {"collector": CHOSEN, "__rate_interval": "5m"}
PANELS = {p["title"]: p for p in csms_panels(COLLECTORS) if p["type"] != "row"}


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    chosen = upstream_history(NOW, f'{JOB},instance="{CHOSEN}"').text()
    # Another collector relays the same upstream; it is not selected, so it must not count.
    other = upstream_history(NOW, f'{JOB},instance="10.0.0.2:9100"').text()
    both = History()
    both.lines_from(chosen, other)
    with backfilled_prometheus(tmp_path_factory.mktemp("csms-panels"), both) as url:
        yield url


def _at(prometheus: str, title: str, when: int) -> dict[str, float]:
    """The panel's query at ``when``: legend-ish key (upstream, action) → value."""
    [target] = PANELS[title]["targets"]
    response = httpx.get(
        f"{prometheus}/api/v1/query",
        params={"query": interpolate(target["expr"], VALUES), "time": when},
        timeout=10,
    )
    body = response.json()
    assert response.status_code == 200, body
    return {
        " ".join(row["metric"].get(k, "") for k in ("upstream", "action")).strip(): float(
            row["value"][1]
        )
        for row in body["data"]["result"]
    }


def test_the_row_has_units_and_reads_the_chosen_collectors() -> None:
    assert sorted(PANELS) == [
        "CSMS errors per call by upstream",
        "CSMS p95 answer time by upstream and action",
        "Chargers connected to each CSMS",
    ]
    for panel in PANELS.values():
        assert panel["fieldConfig"]["defaults"]["unit"]
        for target in panel["targets"]:
            assert 'instance=~"$collector"' in target["expr"]


def test_p95_answer_time_by_upstream_and_action(prometheus: str) -> None:
    now = _at(prometheus, "CSMS p95 answer time by upstream and action", NOW)
    # 40 ms in (25, 50] ms and 200 ms in (100, 250] ms, interpolated within the bucket.
    assert now == {
        "site/lyon Authorize": pytest.approx(0.04875),
        "site/lyon StartTransaction": pytest.approx(0.2425),
    }
    slow = _at(prometheus, "CSMS p95 answer time by upstream and action", NOW - int(2.5 * HOUR))
    assert slow == {"site/lyon Authorize": pytest.approx(2.425)}


def test_errors_per_call(prometheus: str) -> None:
    ratios = _at(prometheus, "CSMS errors per call by upstream", NOW)
    # Per minute: 60 Authorize and 10 StartTransaction answered, one of them a CALLERROR,
    # and one timeout: 2 errors in 71 calls. Upstreams that answered nothing have no ratio.
    assert ratios == {"site/lyon": pytest.approx(2 / 71)}
    before = _at(prometheus, "CSMS errors per call by upstream", NOW - 5 * HOUR)
    assert before == {"site/lyon": 0}


def test_chargers_connected_to_each_csms(prometheus: str) -> None:
    connected = _at(prometheus, "Chargers connected to each CSMS", NOW)
    assert connected == {"site/lyon": 2, "client/retailco": 0}

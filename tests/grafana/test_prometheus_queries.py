"""Every Prometheus query of every panel against a real Prometheus holding simulator data.

The stack is the rules integration test's (tests/rules/stack_support.py): the real collector
fed by simulator processes (one per fault scenario), scraped every second by Prometheus with
the configuration and rules ``config render`` writes, plus one maintenance window. Grafana's
variables are replaced by real values as Grafana would interpolate them; each query must run
without error for every binding and return data for at least one (a disconnected-for panel
has data only for a disconnected charger).

One change for speed: the availability tile groups run every 5 minutes and every hour in
production; here their ``interval`` is cut to seconds (the rendered file is edited and
Prometheus reloaded with SIGHUP) so that tiles and ratios exist within the test.

For the Stack health dashboard the stack also gets the receiver, a second collector writing
to VictoriaMetrics as its InfluxDB, a dead third collector and a charger that breaks the
protocol (tests/grafana/stack_side.py).
"""

from __future__ import annotations

import math
import re
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import httpx
import pytest

from chargekeeper.dashboards.csms import csms_panels
from chargekeeper.dashboards.stack import COLLECTORS
from tests.grafana.panels import LABEL_VALUES, Query, dashboards, interpolate, queries
from tests.grafana.stack_side import StackSide, attach_stack_side, call_through_the_proxy, misbehave
from tests.rules.stack_support import POLICY, SCENARIOS, TIME_SCALE, Stack, running_stack

pytestmark = pytest.mark.slow

MAINTAINED = "AC-0003"
SITES = sorted({scenario.site for scenario in SCENARIOS})
ALL_SITES = "(" + "|".join(SITES) + ")"  # a multi-value variable in a regex, as Grafana writes it
# Grafana's built-in interval variables for a 2-minute range at a 2-second step.
BUILTIN = {"__rate_interval": "20s", "__interval": "2s", "__range": "2m"}

# dashboard uid → the variable values it is checked with.
BINDINGS: dict[str, list[dict[str, str]]] = {
    "chargekeeper-fleet": [{"client": "acme", "site": ALL_SITES}, {"client": ".*", "site": ".*"}],
    "chargekeeper-site": [{"client": "acme", "site": "site-fault"}],
    "chargekeeper-charger": [
        {"client": "acme", "site": scenario.site, "charger": scenario.ids()[0]}
        for scenario in SCENARIOS
    ],
    "chargekeeper-availability": [{"client": "acme", "site": ALL_SITES}],
    "chargekeeper-stack": [{"collector": ".*"}],
}
WAIT_SECONDS = 120


def _policy_with_maintenance() -> str:
    now = datetime.now(UTC)
    start, end = (now - timedelta(hours=1)).isoformat(), (now + timedelta(hours=1)).isoformat()
    return POLICY + (
        "maintenance:\n"
        f"  - {{charger: {MAINTAINED}, start: '{start}', end: '{end}', reason: test}}\n"
    )


def _fast_tiles(stack: Stack) -> None:
    rules = stack.log_dir / "out" / "prometheus" / "rules" / "availability.yml"
    text = rules.read_text()
    faster = text.replace("interval: 5m", "interval: 2s").replace("interval: 1h", "interval: 4s")
    assert faster.count("interval: ") == 2 and faster != text
    rules.write_text(faster)
    prometheus = next(p for p in stack.processes if p.name == "prometheus")
    prometheus.popen.send_signal(signal.SIGHUP)


@dataclass(frozen=True)
class Running:
    stack: Stack
    side: StackSide


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    tmp_path = tmp_path_factory.mktemp("stack")
    with running_stack(tmp_path, SCENARIOS, _policy_with_maintenance(), TIME_SCALE) as stack:
        # Renders the rule files again: before the tiles are made fast.
        side = attach_stack_side(stack, SITES)
        _fast_tiles(stack)
        misbehave(side)
        call_through_the_proxy(side)
        yield Running(stack, side)


@pytest.fixture(scope="module")
def stack(running: Running) -> Stack:
    return running.stack


def _api(stack: Stack, path: str, params: dict[str, Any]) -> list[Any]:
    response = httpx.get(
        f"http://127.0.0.1:{stack.prometheus_port}/api/v1/{path}", params=params, timeout=10
    )
    assert response.status_code == 200, f"{params}: {response.text}"
    body = response.json()
    data = body["data"]
    return list(data["result"] if isinstance(data, dict) else data)


def _run(stack: Stack, query: Query, values: dict[str, str]) -> list[Any]:
    expr = interpolate(query.text, values | BUILTIN)
    if query.instant:
        return _api(stack, "query", {"query": expr})
    now = time.time()
    return _api(stack, "query_range", {"query": expr, "start": now - 120, "end": now, "step": 2})


def _cases() -> list[tuple[str, Query]]:
    return [
        (uid, query)
        for board in dashboards().values()
        for uid in [board["uid"]]
        for query in queries(board, "prometheus")
    ]


def test_every_panel_query_returns_data(stack: Stack) -> None:
    cases = _cases()
    assert {uid for uid, _ in cases} == set(BINDINGS)
    empty = cases
    deadline = time.monotonic() + WAIT_SECONDS
    while empty and time.monotonic() < deadline:
        for process in stack.processes:
            assert process.popen.poll() is None, f"{process.name} exited:\n{process.log_tail()}"
        # Every binding must be a valid query (an error fails at once); one must have data.
        empty = [
            (uid, query)
            for uid, query in empty
            if not any([_run(stack, query, values) for values in BINDINGS[uid]])
        ]
        time.sleep(2)
    assert not empty, "no data:\n" + "\n".join(str(query) for _, query in empty)


def test_variable_queries_list_real_values(running: Running) -> None:
    stack = running.stack
    # With client "acme" and site "site-fault" chosen upstream, as Grafana chains them.
    expected = {
        "client": {"acme"},
        "site": set(SITES),
        "charge_point_id": {"FAULT-0001"},
        "instance": {
            f"127.0.0.1:{stack.metrics_port}",
            running.side.second_collector,
            running.side.proxy_collector,
            running.side.dead_collector,
        },
    }
    for board in dashboards().values():
        for variable in board["templating"]["list"]:
            if variable["type"] != "query":
                continue
            match = LABEL_VALUES.match(variable["query"]["query"])
            assert match, variable
            selector = interpolate(match["selector"], {"client": "acme", "site": "site-fault"})
            series = _api(stack, "series", {"match[]": selector, "start": time.time() - 60})
            found = {labels[match["label"]] for labels in series}
            assert found == expected[match["label"]], (board["uid"], variable["name"], found)


def test_maintenance_shows_and_leaves_availability(stack: Stack) -> None:
    [panel] = [q for _, q in _cases() if q.panel == "In maintenance now"]
    rows = _run(stack, panel, BINDINGS["chargekeeper-availability"][0])
    assert [row["metric"]["charge_point_id"] for row in rows] == [MAINTAINED]
    assert re.fullmatch(r"site-\w+", rows[0]["metric"]["site"])
    # In maintenance, the charger has no availability sample at all (neither up nor down).
    assert not _api(
        stack,
        "query",
        {"query": f'chargekeeper_charge_point:available{{charge_point_id="{MAINTAINED}"}}'},
    )


def _panel_query(uid: str, title: str, metric: str = "") -> Query:
    """The query of panel ``title`` (the one reading ``metric`` if the panel has several)."""
    [query] = [q for u, q in _cases() if u == uid and q.panel == title and metric in q.text]
    return query


def _peaks(stack: Stack, query: Query, label: str) -> dict[str, float]:
    """``label`` value → the highest number the query gave for it (NaN samples left out)."""
    peaks: dict[str, float] = {}
    for series in _run(stack, query, BINDINGS["chargekeeper-stack"][0]):
        samples = series.get("values") or [series["value"]]
        numbers = [float(value) for _, value in samples if not math.isnan(float(value))]
        key = series["metric"].get(label, "")
        peaks[key] = max([peaks.get(key, -math.inf), *numbers])
    return peaks


# What the stack did, and where the Stack health dashboard must show it: panel, the query's
# metric (for panels with several), the label, and the label value that must be above zero.
SHOWN_ABOVE_ZERO = [
    ("Connections accepted, refused and ended", "refused", "reason", "subprotocol_missing"),
    ("Connections accepted, refused and ended", "refused", "reason", "unknown_charge_point"),
    ("CALLERRORs sent by code", "", "error_code", "FormationViolation"),
    ("Non-compliant frames by action", "", "action", "StatusNotification"),
    ("Vendor error reports by vendor", "", "vendor", "unknown"),  # no BootNotification
    ("InfluxDB points written, failed writes, dropped points", "written", "", ""),
    ("Webhooks by outcome", "webhooks", "outcome", "stored"),
    ("Notifications by channel and outcome", "sent", "channel", "email"),
    ("Alertmanager webhooks to the receiver", "notifications_total", "", ""),
    # The GC schedule collects generation 1 every second (generation 0 with it).
    ("GC pause by generation", "0.99", "generation", "1"),
    ("Watchdog", "", "", ""),
]


def _above_zero(stack: Stack, title: str, metric: str, label: str, value: str) -> bool:
    query = _panel_query("chargekeeper-stack", title, metric)
    return _peaks(stack, query, label).get(value, 0) > 0


def _only_the_dead_collector_down(stack: Stack) -> bool:
    query = _panel_query("chargekeeper-stack", "Targets down by job")
    down = {
        "chargekeeper-exporter": 1,
        "chargekeeper-receiver": 0,
        "prometheus": 0,
        "alertmanager": 0,
    }
    return _peaks(stack, query, "job") == down


def _dead_collector_alerted(running: Running) -> bool:
    dead = {"instance": running.side.dead_collector, "job": "chargekeeper-exporter"}
    rows = _run(
        running.stack,
        _panel_query("chargekeeper-stack", "Stack alerts firing or pending"),
        BINDINGS["chargekeeper-stack"][0],
    )
    return any(
        row["metric"]["alertname"] == "ChargekeeperCollectorDown"
        and dead.items() <= row["metric"].items()
        for row in rows
    )


def test_stack_health_shows_what_the_stack_did(running: Running) -> None:
    """The panels show, with the right labels, what the stack really did: the misbehaving
    charger's refusals and frames (again now, so that their rate is above zero) and their
    history written, the dead collector and its meta alert, webhooks and notifications,
    garbage collections."""
    stack = running.stack
    # A rate rises only from a value Prometheus has scraped: the fixture's round must be in
    # Prometheus before the second one (the second collector is scraped after a reload).
    callerrors = _panel_query("chargekeeper-stack", "CALLERRORs sent by code")
    deadline = time.monotonic() + WAIT_SECONDS
    while "FormationViolation" not in _peaks(stack, callerrors, "error_code"):
        assert time.monotonic() < deadline, "the fixture's CALLERROR was never scraped"
        time.sleep(0.5)
    misbehave(running.side)
    pending: list[tuple[str, Callable[[], bool]]] = [
        (f"{title}: {value}", partial(_above_zero, stack, title, metric, label, value))
        for title, metric, label, value in SHOWN_ABOVE_ZERO
    ]
    pending += [
        ("only the dead collector down", partial(_only_the_dead_collector_down, stack)),
        ("ChargekeeperCollectorDown", partial(_dead_collector_alerted, running)),
    ]
    deadline = time.monotonic() + WAIT_SECONDS
    while pending and time.monotonic() < deadline:
        pending = [(what, shown) for what, shown in pending if not shown()]
        time.sleep(1)
    assert not pending, f"not shown: {[what for what, _ in pending]}"


def test_the_csms_row_shows_the_proxied_calls(stack: Stack) -> None:
    """The Stack health CSMS row (chargekeeper/dashboards/csms.py) against the proxy collector
    relaying one charger to the second collector: answer times per action, no error, and the
    charger's upstream leg (closed again: 0, but served, since the fleet file lists it)."""
    panels = {p["title"]: p for p in csms_panels(COLLECTORS) if p["type"] != "row"}

    def legends(title: str) -> dict[str, float]:
        [target] = panels[title]["targets"]
        query = Query("chargekeeper-stack", title, "prometheus", target["expr"], True)
        rows = _run(stack, query, BINDINGS["chargekeeper-stack"][0])
        return {
            " ".join(row["metric"].get(k, "") for k in ("upstream", "action")).strip(): float(
                row["value"][1]
            )
            for row in rows
        }

    deadline = time.monotonic() + WAIT_SECONDS
    while set(legends("CSMS p95 answer time by upstream and action")) != {
        "default Authorize",
        "default BootNotification",
    }:
        assert time.monotonic() < deadline, "the proxied calls never showed"
        time.sleep(1)
    assert legends("Chargers connected to each CSMS") == {"default": 0}
    # Calls, then none: 0 errors per call, or 0/0 once the calls are out of the rate window.
    assert set(legends("CSMS errors per call by upstream")) == {"default"}

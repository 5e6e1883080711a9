"""The rules on the real stack: the collector (``chargekeeper exporter``) fed by the simulator
(``chargekeeper simulate``, one process per fault scenario), scraped by the real Prometheus
with the configuration ``config render`` writes, alerting into a real Alertmanager.

Each fault family must reach Alertmanager's API with the labels routing and the console need
(thresholds are seconds and the simulator runs 60 times faster than real time), and a collector
restart must not look like an outage.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.rules.stack_support import (
    CLIENT,
    POLICY,
    SCENARIOS,
    TIME_SCALE,
    Scenario,
    Stack,
    running_stack,
)

pytestmark = pytest.mark.slow


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    with running_stack(tmp_path, SCENARIOS, POLICY, TIME_SCALE) as running:
        yield running


def _alertmanager_alerts(stack: Stack) -> list[dict[str, str]]:
    response = httpx.get(f"http://127.0.0.1:{stack.alertmanager_port}/api/v2/alerts", timeout=5)
    response.raise_for_status()
    return [alert["labels"] for alert in response.json()]


def _prometheus_query(stack: Stack, expr: str) -> list[dict[str, Any]]:
    response = httpx.get(
        f"http://127.0.0.1:{stack.prometheus_port}/api/v1/query", params={"query": expr}, timeout=5
    )
    response.raise_for_status()
    result: list[dict[str, Any]] = response.json()["data"]["result"]
    return result


def _matches(labels: dict[str, str], expected: dict[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in expected.items())


# What each family must look like in Alertmanager: labels that must be exactly these, and
# labels that must be present (their values depend on the simulated hardware).
EXPECTED: list[tuple[dict[str, str], set[str]]] = [
    (
        {
            "alertname": "ChargerFaulted",
            "family": "error",
            "severity": "warning",
            "charge_point_id": "FAULT-0001",
            "site": "site-fault",
            "client": CLIENT,
            "vendor": "Alfen BV",
            "model": "NG920-61023",
            "connector_id": "1",
            "error_code": "OtherError",
            "vendor_error_code": "210",
        },
        set(),
    ),
    (
        {
            "alertname": "ChargerVendorErrorCode",
            "family": "vendor_code",
            "severity": "critical",
            "charge_point_id": "FAULT-0001",
            "site": "site-fault",
            "client": CLIENT,
            "vendor": "Alfen BV",
            "connector_id": "1",
            "vendor_error_code": "210",
        },
        set(),
    ),
    (
        {
            "alertname": "ChargerDisconnected",
            "family": "disconnection",
            "severity": "warning",
            "site": "site-down",
            "client": CLIENT,
        },
        {"charge_point_id", "vendor", "model"},
    ),
    (
        {
            "alertname": "SiteOffline",
            "family": "disconnection",
            "site": "site-down",
            "client": CLIENT,
        },
        set(),
    ),
    (
        {
            "alertname": "ChargerSocStalled",
            "family": "soc",
            "charge_point_id": "SOC-0001",
            "site": "site-soc",
            "client": CLIENT,
            "connector_id": "1",
        },
        {"vendor", "model"},
    ),
    (
        {
            "alertname": "ChargerNotDelivering",
            "family": "energy",
            "charge_point_id": "ZERO-0001",
            "site": "site-energy",
            "client": CLIENT,
            "connector_id": "1",
        },
        {"vendor", "model"},
    ),
    (
        {
            "alertname": "ChargerFlapping",
            "family": "disconnection",
            "charge_point_id": "BOOT-0001",
            "site": "site-flap",
            "client": CLIENT,
        },
        {"vendor", "model"},
    ),
    ({"alertname": "Watchdog", "family": "fleet", "severity": "info"}, set()),
]


def _missing(seen: list[dict[str, str]]) -> list[dict[str, str]]:
    return [
        expected
        for expected, present in EXPECTED
        if not any(_matches(labels, expected) and present <= set(labels) for labels in seen)
    ]


def _logs(stack: Stack) -> str:
    return "\n".join(f"--- {p.name}\n{p.log_tail(15)}" for p in stack.processes)


def test_every_family_reaches_alertmanager(stack: Stack) -> None:
    deadline = time.monotonic() + 150
    # Alerts resolve when a simulated fault clears: keep every label set seen at least once.
    seen: list[dict[str, str]] = []
    while _missing(seen) and time.monotonic() < deadline:
        for process in stack.processes:
            assert process.popen.poll() is None, f"{process.name} exited:\n{process.log_tail()}"
        seen += [labels for labels in _alertmanager_alerts(stack) if labels not in seen]
        time.sleep(1)
    missing = _missing(seen)
    assert not missing, f"never reached Alertmanager: {missing}\nseen: {seen}\n{_logs(stack)}"
    # Nothing that the scenarios do not explain: no alert for the healthy AC chargers, no
    # disconnection outside the site whose chargers disconnect, meta alerts quiet.
    unexplained = [
        labels
        for labels in seen
        if labels.get("site") == "site-healthy"
        or (
            labels["alertname"] in ("ChargerDisconnected", "SiteOffline")
            and labels["site"] != "site-down"
        )
        or labels["alertname"] not in {expected["alertname"] for expected, _ in EXPECTED}
    ]
    assert not unexplained, unexplained
    # ...and those healthy chargers did charge, without SoC, so the quiet was earned.
    charging = 'chargekeeper_connector:status{status="Charging",charge_point_id=~"AC-.*"}'
    assert _prometheus_query(stack, f"max_over_time({charging}[5m])")
    assert not _prometheus_query(stack, 'ocpp_connector_soc_ratio{charge_point_id=~"AC-.*"}')


# Healthy chargers, one site, real time. Site offline after 2 s: a collector restart leaves
# every charger disconnected for longer than that, so only the restart grace keeps it quiet.
RESTART_SCENARIOS = (Scenario("idle", "R-", 6, "site-restart"),)
RESTART_POLICY = """\
collector_restart_grace: 60s
defaults:
  disconnected: {warning: 3s}
  site_offline: {after: 2s, ratio: 0.5, min_chargers: 2}
"""


def _eventually(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def _connected(stack: Stack) -> int:
    result = _prometheus_query(stack, "sum(chargekeeper_charge_point:connected)")
    return int(float(result[0]["value"][1])) if result else 0


def test_a_collector_restart_is_not_an_outage(tmp_path: Path) -> None:
    count = RESTART_SCENARIOS[0].count
    with running_stack(tmp_path, RESTART_SCENARIOS, RESTART_POLICY, "1") as stack:
        _eventually(lambda: _connected(stack) == count, 60, "the chargers to connect")
        # Down long enough for the chargers' connection attempts to fail and back off.
        stack.restart_exporter(down_for=5)
        restarted = time.monotonic()
        _eventually(lambda: _connected(stack) == count, 120, "the chargers to reconnect")
        back_after = time.monotonic() - restarted
        # The chargers' reconnect backoff kept them away longer than both thresholds (checked
        # by hand: with collector_restart_grace 0s, SiteOffline and ChargerDisconnected fire).
        assert back_after > 4, f"chargers back after {back_after:.1f} s: too fast to test"
        time.sleep(3)  # two more evaluations
        fired = _prometheus_query(
            stack, 'max_over_time(ALERTS{alertname=~"SiteOffline|ChargerDisconnected"}[10m])'
        )
        assert not fired, fired
        assert not [a for a in _alertmanager_alerts(stack) if a["alertname"] != "Watchdog"]

"""Rendering ``/metrics`` for a large fleet, against prometheus_client's labelled children.

    python -m bench.scrape [--chargers 10000] [--changed 0.1]

Builds a fleet state of N chargers with two connectors each through the real OCPP session
(Boot, StatusNotification, MeterValues), then times three renders:
- cold: every charger changed since the last scrape (the first scrape after a restart);
- steady: a fraction of chargers sent new MeterValues since the last scrape (the usual case);
- baseline: the same samples held in prometheus_client Gauges with labelled children,
  rendered by ``generate_latest``.
Targets (issue 2): at most 250 ms per scrape and at least 8x faster than the baseline.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable, Mapping

from prometheus_client import CollectorRegistry, Gauge, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from exporter.metrics import iter_exposition
from exporter.selfmetrics import ExporterMetrics
from exporter.session import Session
from exporter.state import FleetState

TIMESTAMP = "2026-11-25T12:00:00Z"


def _call(message_id: str, action: str, payload: Mapping[str, object]) -> str:
    return json.dumps([2, message_id, action, payload])


def _meter_values(connector: int, soc: int, power: float, energy_wh: float) -> str:
    sampled = [
        {"value": str(soc), "measurand": "SoC", "unit": "Percent"},
        {"value": f"{power:.0f}", "measurand": "Power.Active.Import", "unit": "W"},
        {"value": f"{energy_wh:.1f}", "measurand": "Energy.Active.Import.Register", "unit": "Wh"},
    ]
    payload = {
        "connectorId": connector,
        "transactionId": connector,
        "meterValue": [{"timestamp": TIMESTAMP, "sampledValue": sampled}],
    }
    return _call("m", "MeterValues", payload)


def build_fleet(chargers: int) -> tuple[FleetState, list[Session]]:
    metrics = ExporterMetrics(CollectorRegistry())
    state = FleetState(None, metrics)
    sessions = []
    for i in range(chargers):
        cp_id = f"CP-{i:05d}"
        assert state.admit(cp_id)
        state.connected(cp_id, "1.6")
        session = Session(cp_id, "1.6", state, metrics)
        boot = {"chargePointVendor": "Bench", "chargePointModel": f"M{i % 7}"}
        session.handle(_call("b", "BootNotification", boot))
        for connector, status in ((1, "Charging"), (2, "Available")):
            status_payload = {
                "connectorId": connector,
                "errorCode": "NoError",
                "status": status,
                "timestamp": TIMESTAMP,
            }
            session.handle(_call("s", "StatusNotification", status_payload))
            session.handle(_meter_values(connector, 40, 50_000.0, 1000.0 * i))
        sessions.append(session)
    return state, sessions


def baseline_registry(state: FleetState) -> CollectorRegistry:
    """The same samples as ``state`` renders, held the usual prometheus_client way."""
    registry = CollectorRegistry()
    gauges: dict[str, Gauge] = {}
    text = b"".join(iter_exposition(state)).decode()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            gauge = gauges.get(sample.name)
            if gauge is None:
                gauge = Gauge(
                    sample.name,
                    family.documentation or sample.name,
                    list(sample.labels),
                    registry=registry,
                )
                gauges[sample.name] = gauge
            gauge.labels(**sample.labels).set(sample.value)
    return registry


def timed(render: Callable[[], object], repeat: int, before: Callable[[], object]) -> float:
    """Median seconds of ``render`` over ``repeat`` runs, calling ``before`` untimed each time."""
    times = []
    for _ in range(repeat):
        before()
        start = time.perf_counter()
        render()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chargers", type=int, default=10_000)
    parser.add_argument(
        "--changed",
        type=float,
        default=0.1,
        help="fraction of chargers with new MeterValues between steady scrapes",
    )
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    print(f"building a fleet of {args.chargers} chargers x 2 connectors...", flush=True)
    state, sessions = build_fleet(args.chargers)

    def render() -> bytes:
        return b"".join(iter_exposition(state))

    samples = sum(1 for line in render().splitlines() if not line.startswith(b"#"))
    print(f"{samples} samples per scrape")

    tick = iter(range(1, 1 << 30))

    def change(fraction: float) -> None:
        step = next(tick)
        for session in sessions[: int(len(sessions) * fraction)]:
            session.handle(_meter_values(1, 40 + step % 50, 50_000.0 + step, 2000.0 * step))

    cold = timed(render, args.repeat, lambda: change(1.0))
    steady = timed(render, args.repeat, lambda: change(args.changed))
    registry = baseline_registry(state)
    baseline = timed(lambda: generate_latest(registry), args.repeat, lambda: None)

    print(f"cold scrape (all chargers changed): {cold * 1000:7.1f} ms (target <= 250 ms)")
    print(f"steady scrape ({args.changed:.0%} changed):     {steady * 1000:7.1f} ms")
    print(f"prometheus_client labelled children: {baseline * 1000:6.1f} ms")
    print(f"baseline / cold   = {baseline / cold:.1f}x (target >= 8x)")
    print(f"baseline / steady = {baseline / steady:.1f}x")


if __name__ == "__main__":
    main()

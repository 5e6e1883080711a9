"""The operator's CSMS as the collector's proxy mode sees it: each upstream's answer times.

Read from the ``ocpp_upstream_*`` series of exporter/proxy/upstream_metrics.py, summed over
collector instances (a charger may be relayed by any of them). Without proxy mode there is no
``ocpp_upstream_info`` at all, and :func:`upstreams` returns an empty list: the page then says
the collector runs standalone. Shapes only; ``console/web/charts.py`` serves them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from chargekeeper.config.fleet import Fleet
from console.prometheus import PrometheusQueries, Sample

DURATION = "ocpp_upstream_call_duration_seconds"
ERRORS = "ocpp_upstream_call_errors_total"
TIMEOUT = "Timeout"  # a call left unanswered: counted as an error, never as an answer time
# The table's window, and the chart's: 24 h at 5-minute steps (288 points per upstream),
# each the p95 over the 5 minutes before it.
WINDOW = "1h"
CHART_SPAN = timedelta(hours=24)
CHART_STEP = 300


@dataclass(frozen=True)
class ActionTimes:
    """One OCPP action's calls through an upstream in the last hour."""

    action: str
    calls: float  # answered (CALLRESULT or CALLERROR) plus left unanswered
    p50: float | None  # seconds; None: no answer in the window
    p95: float | None
    errors: float  # CALLERRORs plus timeouts

    @property
    def error_ratio(self) -> float | None:
        return self.errors / self.calls if self.calls else None


@dataclass(frozen=True)
class Upstream:
    """An upstream (named as the collector names it) and what it served in the last hour."""

    name: str
    site: str  # names from the fleet file; "" when it serves several
    client: str
    connected: int  # chargers with an upstream leg open now
    actions: list[ActionTimes]

    @property
    def error_ratio(self) -> float | None:
        calls = sum(a.calls for a in self.actions)
        return sum(a.errors for a in self.actions) / calls if calls else None


def _number(value: float) -> float | None:
    # histogram_quantile gives NaN where a window holds no observation.
    return None if math.isnan(value) else value


def _by(samples: Sequence[Sample], *labels: str) -> dict[tuple[str, ...], float]:
    return {tuple(s.labels.get(label, "") for label in labels): s.value for s in samples}


def _quantile(q: float, by: str, window: str) -> str:
    return f"histogram_quantile({q}, sum by ({by}, le) (rate({DURATION}_bucket[{window}])))"


def upstreams(prometheus: PrometheusQueries, fleet: Fleet, now: datetime) -> list[Upstream]:
    """Every upstream the collectors know, with its connected chargers and, per action, the
    last hour's calls, p50 and p95 answer times and errors; [] without proxy mode."""
    info = prometheus.instant("max by (upstream, site, client) (ocpp_upstream_info)", at=now)
    if not info:
        return []
    connected = _by(
        prometheus.instant("sum by (upstream) (ocpp_charge_point_upstream_connected)", at=now),
        "upstream",
    )
    per_action = "upstream, action"
    p50 = _by(prometheus.instant(_quantile(0.5, per_action, WINDOW), at=now), "upstream", "action")
    p95 = _by(prometheus.instant(_quantile(0.95, per_action, WINDOW), at=now), "upstream", "action")
    answered = _by(
        prometheus.instant(f"sum by ({per_action}) (increase({DURATION}_count[{WINDOW}]))", at=now),
        "upstream",
        "action",
    )
    errors: dict[tuple[str, ...], float] = {}
    timeouts: dict[tuple[str, ...], float] = {}
    for sample in prometheus.instant(
        f"sum by ({per_action}, error_code) (increase({ERRORS}[{WINDOW}]))", at=now
    ):
        key = (sample.labels.get("upstream", ""), sample.labels.get("action", ""))
        errors[key] = errors.get(key, 0.0) + sample.value
        if sample.labels.get("error_code") == TIMEOUT:
            timeouts[key] = timeouts.get(key, 0.0) + sample.value
    sites = {site.id: site.name or site.id for site in fleet.sites}
    clients = {client.id: client.name or client.id for client in fleet.clients}
    result = []
    for sample in info:
        name = sample.labels.get("upstream", "")
        keys = sorted({k for k in (*answered, *errors) if k[0] == name})
        actions = [
            ActionTimes(
                action=key[1],
                calls=answered.get(key, 0.0) + timeouts.get(key, 0.0),
                p50=_number(p50.get(key, math.nan)),
                p95=_number(p95.get(key, math.nan)),
                errors=errors.get(key, 0.0),
            )
            for key in keys
        ]
        site, client = sample.labels.get("site", ""), sample.labels.get("client", "")
        result.append(
            Upstream(
                name=name,
                site=sites.get(site, site),
                client=clients.get(client, client),
                connected=int(connected.get((name,), 0)),
                actions=[a for a in actions if a.calls],
            )
        )
    return sorted(result, key=lambda u: u.name)


def p95_chart(prometheus: PrometheusQueries, now: datetime) -> dict[str, object]:
    """Each upstream's p95 answer time (all actions) over the last 24 h, in milliseconds;
    null where it answered nothing, so the line breaks rather than inventing a value."""
    end = now
    start = end - CHART_SPAN
    series = prometheus.range(_quantile(0.95, "upstream", "5m"), start, end, CHART_STEP)
    return {
        "start": start.timestamp(),
        "end": end.timestamp(),
        "timezone": "UTC",
        "p95_ms": {
            s.labels.get("upstream", ""): [
                [t, None if math.isnan(v) else round(v * 1000, 1)] for t, v in s.points
            ]
            for s in series
        },
    }


def duration_text(seconds: float | None) -> str:
    """An answer time as a technician reads it: milliseconds below a second, else seconds."""
    if seconds is None:
        return "-"
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"

"""The data behind the console's few pictures, read from Prometheus: a charger's status timeline
with its power and SoC, and each site's availability for the month.

Shapes only, no HTML: ``console/web/charts.py`` serves them as JSON that ``static/charts.js``
draws with Chart.js (Debian's ``libjs-chart.js``, served from this origin: the pages work offline
and under the console's same-origin content policy).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from chargekeeper.config.fleet import Fleet, Site
from console.prometheus import PrometheusQueries, Series

# The periods a charger's history can show, with the step that keeps each around 1,000 points.
HISTORY_RANGES: Mapping[str, tuple[timedelta, int]] = {
    "24h": (timedelta(hours=24), 60),
    "7d": (timedelta(days=7), 600),
}
DISCONNECTED = "Disconnected"
NO_DATA = "NoData"


def promql_string(value: str) -> str:
    """``value`` as a PromQL string literal: charger ids come from chargers, so they are quoted
    the way PromQL parses them (JSON's escapes are a subset), never pasted in."""
    return json.dumps(value)


@dataclass(frozen=True)
class Segment:
    """One stretch of a connector's timeline: its state from ``start`` to ``end`` (unix s)."""

    connector_id: str
    state: str
    start: float
    end: float


def _steps(start: datetime, end: datetime, step: int) -> list[float]:
    first = start.timestamp()
    count = int((end.timestamp() - first) // step) + 1
    return [first + i * step for i in range(count)]


def _at(points: Sequence[tuple[float, float]]) -> dict[float, float]:
    return {round(t, 3): v for t, v in points}


def status_timeline(
    statuses: Sequence[Series], connected: Sequence[Series], steps: Sequence[float], step: int
) -> list[Segment]:
    """Per connector, consecutive evaluation steps with the same state merged into segments.

    ``statuses`` is ``chargekeeper_connector:status`` over the range (one series per connector
    and status, present while that status is current and the charger connected); ``connected``
    the charger's connection. A step with neither is a monitoring gap (``NoData``), a step
    where the charger was disconnected is ``Disconnected`` on every connector.
    """
    link = _at(connected[0].points) if connected else {}
    by_connector: dict[str, dict[float, str]] = {}
    for series in statuses:
        states = by_connector.setdefault(series.labels.get("connector_id", ""), {})
        for t, _ in series.points:
            states[round(t, 3)] = series.labels.get("status", "")
    segments: list[Segment] = []
    for connector_id in sorted(by_connector, key=lambda c: (len(c), c)):
        states = by_connector[connector_id]
        for t in steps:
            key = round(t, 3)
            state = states.get(key) or (DISCONNECTED if link.get(key) == 0 else NO_DATA)
            last = segments[-1] if segments else None
            if last and last.connector_id == connector_id and last.state == state:
                segments[-1] = Segment(connector_id, state, last.start, t + step)
            else:
                segments.append(Segment(connector_id, state, t, t + step))
    return segments


def _line(series: Sequence[Series], scale: float = 1.0) -> dict[str, list[list[float]]]:
    return {
        s.labels.get("connector_id", ""): [[t, round(v * scale, 3)] for t, v in s.points]
        for s in series
    }


def charger_history(
    prometheus: PrometheusQueries,
    charge_point_id: str,
    period: str,
    now: datetime,
    timezone: str = "UTC",
) -> dict[str, object]:
    """A charger's last 24 h or 7 d: status segments, power (kW) and SoC (%) per connector;
    ``timezone`` (its site's) is the one the page shows times in, so the axis speaks it too."""
    span, step = HISTORY_RANGES[period]
    end = now
    start = end - span
    selector = f"charge_point_id={promql_string(charge_point_id)}"
    statuses = prometheus.range(f"chargekeeper_connector:status{{{selector}}}", start, end, step)
    connected = prometheus.range(
        f"max(ocpp_charge_point_connected{{{selector}}})", start, end, step
    )
    power = prometheus.range(
        f"max by (connector_id) (ocpp_connector_power_watts{{{selector}}})", start, end, step
    )
    soc = prometheus.range(
        f"max by (connector_id) (ocpp_connector_soc_ratio{{{selector}}})", start, end, step
    )
    steps = _steps(start, end, step)
    timeline = status_timeline(statuses, connected, steps, step)
    return {
        "charge_point_id": charge_point_id,
        "period": period,
        "timezone": timezone,
        "start": start.timestamp(),
        "end": end.timestamp(),
        "timeline": [
            {"connector": s.connector_id, "state": s.state, "start": s.start, "end": s.end}
            for s in timeline
        ],
        "power_kw": _line(power, 1 / 1000),
        "soc_percent": _line(soc, 100),
    }


@dataclass(frozen=True)
class SiteAvailability:
    """A site's availability this month (site time), overall and per day; None: no data."""

    site_id: str
    name: str
    client: str
    month: str
    ratio: float | None
    days: list[tuple[str, float | None]]


def month_start(now: datetime, zone: ZoneInfo) -> datetime:
    local = now.astimezone(zone)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _window(seconds: float) -> str:
    # Prometheus ranges take whole milliseconds; an empty one is refused.
    return f"{max(int(seconds * 1000), 1000)}ms"


def _ratio_by_site(sites: Sequence[str], window: str) -> str:
    selector = f"site=~{promql_string('|'.join(re.escape(s) for s in sites))}"
    return (
        f"sum by (site) (sum_over_time(chargekeeper_site:available:sum5m{{{selector}}}[{window}]))"
        f" / sum by (site) (sum_over_time(chargekeeper_site:available:count5m{{{selector}}}"
        f"[{window}]))"
    )


def site_availability(
    prometheus: PrometheusQueries, fleet: Fleet, now: datetime
) -> list[SiteAvailability]:
    """Month-to-date availability per site (its month, in its time zone), overall and per day.

    Read from the 5-minute tiles of rules/availability.yml, the ones the SLA dashboards use.
    Three queries per time zone, whatever the number of sites: the month so far, the full days
    (a range query stepping a day at a time), and today so far.
    """
    clients = {client.id: client.name for client in fleet.clients}
    by_zone: dict[str, list[Site]] = {}
    for site in fleet.sites:
        by_zone.setdefault(site.timezone, []).append(site)
    results = []
    for timezone, sites in by_zone.items():
        ids = [site.id for site in sites]
        start = month_start(now, ZoneInfo(timezone))
        month = {
            s.labels.get("site", ""): s.value
            for s in prometheus.instant(
                _ratio_by_site(ids, _window((now - start).total_seconds())), at=now
            )
        }
        days: dict[str, dict[float, float]] = {}
        full_days = int((now - start) // timedelta(days=1))
        if full_days:
            first_end = start + timedelta(days=1)
            last_end = start + timedelta(days=full_days)
            for series in prometheus.range(_ratio_by_site(ids, "1d"), first_end, last_end, 86400):
                days[series.labels.get("site", "")] = _at(series.points)
        today_start = start + timedelta(days=full_days)
        today = {
            s.labels.get("site", ""): s.value
            for s in prometheus.instant(
                _ratio_by_site(ids, _window((now - today_start).total_seconds())), at=now
            )
        }
        for site in sites:
            values: list[tuple[str, float | None]] = []
            for n in range(full_days):
                day = start + timedelta(days=n)
                end = round((day + timedelta(days=1)).timestamp(), 3)
                values.append((day.strftime("%d"), days.get(site.id, {}).get(end)))
            values.append((today_start.strftime("%d"), today.get(site.id)))
            results.append(
                SiteAvailability(
                    site_id=site.id,
                    name=site.name or site.id,
                    client=clients.get(site.client) or site.client,
                    month=start.strftime("%Y-%m"),
                    ratio=month.get(site.id),
                    days=values,
                )
            )
    return sorted(results, key=lambda r: (r.client, r.name))

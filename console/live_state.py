"""What Prometheus knows about each charger now: identity from the last boot, connection,
connectors' statuses and the alerts firing, read from the collector's metrics (ARCHITECTURE
4.2) in seven instant queries, for the whole fleet or one charger.

Several collectors may serve series of the same charger (a charger moves between instances
behind a load balancer), so every read keeps one answer per charger or connector: connected
if any instance holds its socket, the latest timestamps.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from console.prometheus import PrometheusQueries, Sample

# Labels of ALERTS that are Prometheus's own, not the alert's.
_ALERT_META = frozenset({"__name__", "alertstate"})


@dataclass(frozen=True)
class ConnectorLive:
    connector_id: str
    status: str
    since: datetime | None


@dataclass(frozen=True)
class FiringAlert:
    """An alert Prometheus has firing, with its labels (alertname, severity, family, ...) and
    when its condition became active (ALERTS_FOR_STATE), if Prometheus says."""

    labels: dict[str, str]
    active_since: datetime | None

    @property
    def alertname(self) -> str:
        return self.labels.get("alertname", "")


@dataclass
class ChargerLive:
    info: dict[str, str] = field(default_factory=dict)
    connected: bool | None = None  # None: the collector serves no such series
    connection_changed: datetime | None = None
    connectors: dict[str, ConnectorLive] = field(default_factory=dict)
    alerts: list[FiringAlert] = field(default_factory=list)


def _time(value: float) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if value > 0 else None


def _cp(sample: Sample) -> str:
    return sample.labels.get("charge_point_id", "")


def read_live(prometheus: PrometheusQueries, only: str | None = None) -> dict[str, ChargerLive]:
    """Every charger Prometheus has series for (or only the charger ``only``), by charge point
    id. Raises :class:`console.prometheus.PrometheusUnavailable` at the first query that fails."""
    chargers: dict[str, ChargerLive] = {}
    # json.dumps quotes as PromQL does (a Go string literal): a charger id cannot break out.
    cp = '{charge_point_id!=""}' if only is None else f"{{charge_point_id={json.dumps(only)}}}"

    def of(sample: Sample) -> ChargerLive:
        return chargers.setdefault(_cp(sample), ChargerLive())

    for sample in prometheus.instant(f"ocpp_charge_point_info{cp}"):
        of(sample).info = {k: v for k, v in sample.labels.items() if k != "__name__"}
    for sample in prometheus.instant(f"max by (charge_point_id) (ocpp_charge_point_connected{cp})"):
        of(sample).connected = sample.value >= 1
    for sample in prometheus.instant(
        f"max by (charge_point_id) (ocpp_charge_point_connection_changed_timestamp_seconds{cp})"
    ):
        of(sample).connection_changed = _time(sample.value)
    _read_connectors(prometheus, cp, of)
    _read_alerts(prometheus, cp, chargers)
    chargers.pop("", None)
    return chargers


def _read_connectors(
    prometheus: PrometheusQueries, cp: str, of: Callable[[Sample], ChargerLive]
) -> None:
    since: dict[tuple[str, str], datetime | None] = {}
    for sample in prometheus.instant(
        "max by (charge_point_id, connector_id) "
        f"(ocpp_connector_status_since_timestamp_seconds{cp})"
    ):
        since[(_cp(sample), sample.labels.get("connector_id", ""))] = _time(sample.value)
    # One status per connector is 1; the others are absent or 0.
    for sample in prometheus.instant(f"ocpp_connector_status{cp} == 1"):
        connector_id = sample.labels.get("connector_id", "")
        of(sample).connectors[connector_id] = ConnectorLive(
            connector_id,
            sample.labels.get("status", ""),
            since.get((_cp(sample), connector_id)),
        )


def _read_alerts(prometheus: PrometheusQueries, cp: str, chargers: dict[str, ChargerLive]) -> None:
    # ALERTS_FOR_STATE (value: when the alert became active) has the alert's labels without
    # alertstate; only firing alerts are wanted, so it is joined to ALERTS{alertstate="firing"}.
    active: dict[frozenset[tuple[str, str]], datetime | None] = {}
    for sample in prometheus.instant(f"ALERTS_FOR_STATE{cp}"):
        active[_alert_key(sample.labels)] = _time(sample.value)
    for sample in prometheus.instant(f'ALERTS{{alertstate="firing",{cp[1:-1]}}}'):
        labels = {k: v for k, v in sample.labels.items() if k not in _ALERT_META}
        firing = FiringAlert(labels, active.get(_alert_key(labels)))
        chargers.setdefault(_cp(sample), ChargerLive()).alerts.append(firing)


def _alert_key(labels: dict[str, str]) -> frozenset[tuple[str, str]]:
    return frozenset((k, v) for k, v in labels.items() if k not in _ALERT_META)

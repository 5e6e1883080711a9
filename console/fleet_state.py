"""Each charger as the Chargers pages show it: the fleet file's identity, what Prometheus
knows now (:mod:`console.live_state`) and the store's firing alerts, merged; and the list's
search and filters.

The store holds only the alerts Alertmanager forwarded, Prometheus every alert firing: an alert
found only in Prometheus is shown too, without a link (nobody received it yet). When Prometheus
cannot be asked, the view is the store's alone and says why.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, sessionmaker

from chargekeeper.config.fleet import Fleet
from chargekeeper.store import Alert
from chargekeeper.untrusted import MAX_CODE, MAX_VENDOR, clean
from console.live_state import ChargerLive, ConnectorLive, FiringAlert, read_live
from console.prometheus import PrometheusQueries, PrometheusUnavailable

# Worst first: a charger's headline state is the first that applies.
STATES = ("disconnected", "faulted", "alerting", "ok", "unknown")
# How a store alert and a Prometheus alert are recognised as the same one (the store's labels
# may carry external labels Prometheus's ALERTS lack).
_SAME_ALERT = ("alertname", "severity", "connector_id", "error_code", "vendor_error_code")
# A live page must not hang on a Prometheus that does not answer.
PROMETHEUS_TIMEOUT_SECONDS = 3.0


@dataclass(frozen=True)
class AlertView:
    alertname: str
    severity: str
    family: str
    connector_id: str
    since: datetime | None
    alert_id: int | None  # the store's alert; None: only Prometheus has it firing


@dataclass(frozen=True)
class ChargerView:
    id: str
    in_fleet: bool
    site: str
    site_name: str
    client: str
    client_name: str
    group: str
    vendor: str
    model: str
    firmware: str
    ocpp_version: str
    connected: bool | None  # None: unknown (no live data for it)
    connection_since: datetime | None
    connectors: tuple[ConnectorLive, ...]
    alerts: tuple[AlertView, ...]

    @property
    def states(self) -> frozenset[str]:
        """Every state filter this charger matches."""
        states = set()
        families = {alert.family for alert in self.alerts}
        if self.connected is False or (self.connected is None and "disconnection" in families):
            states.add("disconnected")
        if any(c.status == "Faulted" for c in self.connectors) or "error" in families:
            states.add("faulted")
        if self.alerts:
            states.add("alerting")
        if not states:
            states.add("ok" if self.connected else "unknown")
        return frozenset(states)

    @property
    def state(self) -> str:
        """The headline state: the worst that applies."""
        states = self.states
        return next(state for state in STATES if state in states)


@dataclass(frozen=True)
class FleetView:
    chargers: list[ChargerView]
    live: bool  # Prometheus answered: connections and connectors are known
    problem: str  # why live state is missing ("" when live)

    def charger(self, charge_point_id: str) -> ChargerView | None:
        return next((c for c in self.chargers if c.id == charge_point_id), None)


@dataclass(frozen=True)
class ChargerFilter:
    """The list's GET parameters; empty means any."""

    q: str = ""
    site: str = ""
    client: str = ""
    group: str = ""
    vendor: str = ""
    status: str = ""

    def matches(self, view: ChargerView) -> bool:
        if self.site and view.site != self.site:
            return False
        if self.client and view.client != self.client:
            return False
        if self.group and view.group != self.group:
            return False
        if self.vendor and view.vendor.casefold() != self.vendor.casefold():
            return False
        if self.status and self.status not in view.states:
            return False
        return not self.q or self.q.casefold() in _searchable(view)

    def apply(self, views: Iterable[ChargerView]) -> list[ChargerView]:
        return [view for view in views if self.matches(view)]

    @property
    def active(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))


def _searchable(view: ChargerView) -> str:
    texts = (view.id, view.site, view.site_name, view.client, view.client_name, view.group)
    return " ".join((*texts, view.vendor, view.model, view.firmware)).casefold()


def facet_options(views: Iterable[ChargerView]) -> dict[str, list[tuple[str, str]]]:
    """Each select filter's choices as (value, label), from the chargers themselves."""
    options: dict[str, dict[str, str]] = {"site": {}, "client": {}, "group": {}, "vendor": {}}
    for view in views:
        options["site"][view.site] = view.site_name
        options["client"][view.client] = view.client_name
        options["group"][view.group] = view.group
        options["vendor"][view.vendor] = view.vendor
    return {
        name: sorted(
            ((v, label) for v, label in values.items() if v), key=lambda o: o[1].casefold()
        )
        for name, values in options.items()
    }


def fleet_view(
    fleet: Fleet,
    sessions: sessionmaker[Session],
    prometheus_url: str | None,
    only: str | None = None,
) -> FleetView:
    """Every charger of the fleet, plus any Prometheus or the store knows that the fleet file
    lacks, with live state when Prometheus answers; just the charger ``only`` if given."""
    live: dict[str, ChargerLive] = {}
    problem = ""
    if prometheus_url is None:
        problem = "console.yaml has no prometheus_url"
    else:
        try:
            live = read_live(PrometheusQueries(prometheus_url, PROMETHEUS_TIMEOUT_SECONDS), only)
        except PrometheusUnavailable as exc:
            problem = str(exc)
    with sessions() as session:
        firing = _store_firing(session, only)
        labelled = _latest_alert_labels(session, only)
    known = [c.id for c in fleet.chargers if only is None or c.id == only]
    # One charger's record also stands for a charger known only from its past alerts.
    past = sorted(labelled) if only is not None else []
    ids = dict.fromkeys(known + sorted(live) + sorted(firing) + past).keys()
    views = [_view(fleet, cp, live.get(cp), firing.get(cp, []), labelled.get(cp, {})) for cp in ids]
    return FleetView(views, not problem, problem)


def _store_firing(session: Session, only: str | None) -> dict[str, list[Alert]]:
    by_charger: dict[str, list[Alert]] = {}
    query = (
        select(Alert).where(Alert.status == "firing", _charger_is(only)).order_by(Alert.starts_at)
    )
    for alert in session.scalars(query):
        by_charger.setdefault(alert.charge_point_id, []).append(alert)
    return by_charger


def _latest_alert_labels(session: Session, only: str | None) -> dict[str, dict[str, str]]:
    """Per charger, the vendor/model/firmware labels of its latest alerts (rules join them
    from ocpp_charge_point_info): the identity of the last boot Prometheus saw, kept after the
    charger's series are gone. One latest alert per alert name bounds the rows read."""
    latest = (
        select(func.max(Alert.id))
        .where(_charger_is(only))
        .group_by(Alert.charge_point_id, Alert.alertname)
    )
    found: dict[str, dict[str, str]] = {}
    rows = session.execute(
        select(Alert.charge_point_id, Alert.labels)
        .where(Alert.id.in_(latest))
        .order_by(Alert.id.desc())
    )
    for charge_point_id, labels in rows:
        known = found.setdefault(charge_point_id, {})
        for name in ("vendor", "model", "firmware_version"):
            if labels.get(name) and name not in known:
                known[name] = str(labels[name])
    return found


def _charger_is(only: str | None) -> ColumnElement[bool]:
    return Alert.charge_point_id != "" if only is None else Alert.charge_point_id == only


def _view(
    fleet: Fleet,
    charge_point_id: str,
    live: ChargerLive | None,
    stored: list[Alert],
    labelled: dict[str, str],
) -> ChargerView:
    known = fleet.charger(charge_point_id)
    info = live.info if live else {}
    site_id = known.site if known else info.get("site") or (stored[0].site if stored else "")
    site = fleet.site(site_id)
    client_id = site.client if site else info.get("client", "")
    client = next((c for c in fleet.clients if c.id == client_id), None)

    def identity(label: str, declared: str = "", limit: int = MAX_VENDOR) -> str:
        # The last boot (live, else as the latest alerts saw it), then the fleet file; what a
        # charger said at boot is untrusted, made one bounded printable line.
        return clean(info.get(label) or labelled.get(label) or declared, limit) or ""

    return ChargerView(
        id=charge_point_id,
        in_fleet=known is not None,
        site=site_id,
        site_name=(site.name or site.id) if site else site_id,
        client=client_id,
        client_name=(client.name or client.id) if client else client_id,
        group=known.group if known else info.get("group", ""),
        vendor=identity("vendor", known.vendor if known else ""),
        model=identity("model", known.model if known else ""),
        firmware=identity("firmware_version", limit=MAX_CODE),
        ocpp_version=info.get("ocpp_version", ""),
        # No series (or no answer): unknown, not "disconnected" (the collector may be down).
        connected=live.connected if live else None,
        connection_since=live.connection_changed if live else None,
        connectors=tuple(
            sorted(live.connectors.values(), key=lambda c: _number(c.connector_id)) if live else ()
        ),
        alerts=_alerts(stored, live.alerts if live else []),
    )


def _number(text: str) -> tuple[int, str]:
    return (int(text), "") if text.isdigit() else (1 << 30, text)


def _alerts(stored: list[Alert], firing: list[FiringAlert]) -> tuple[AlertView, ...]:
    """The store's firing alerts, then those only Prometheus has."""
    views = [
        AlertView(
            a.alertname,
            a.severity,
            a.family,
            str(a.labels.get("connector_id", "")),
            a.starts_at,
            a.id,
        )
        for a in stored
    ]
    seen = {_same(a.labels) for a in stored}
    for alert in firing:
        if _same(alert.labels) in seen:
            continue
        labels = alert.labels
        views.append(
            AlertView(
                alert.alertname,
                labels.get("severity", ""),
                labels.get("family", ""),
                labels.get("connector_id", ""),
                alert.active_since,
                None,
            )
        )
    return tuple(views)


def _same(labels: Mapping[str, object]) -> tuple[str, ...]:
    return tuple(str(labels.get(name, "")) for name in _SAME_ALERT)

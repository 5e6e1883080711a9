"""The fleet state as Prometheus text exposition (format 0.0.4), rendered at scrape time.

prometheus_client's labelled children would rebuild every sample of 10,000 chargers on each
scrape. Here each charger keeps its rendered lines per metric family and re-renders only the
families its dirty bits mark (exporter.records; exporter.state sets them on every change), so a
scrape of an unchanged fleet is little more than joining cached bytes. Output is yielded in
chunks so the HTTP server can give the OCPP event loop a turn between them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

from exporter import records
from exporter.records import ChargerState, ConnectorState
from exporter.state import FleetState

# Label values are capped: a charger-supplied string must not make series unbounded in size.
MAX_LABEL_VALUE = 128


def escape(value: str) -> str:
    """A label value as the text format wants it: capped, with \\, " and newline escaped."""
    if len(value) > MAX_LABEL_VALUE:
        value = value[:MAX_LABEL_VALUE]
    if "\\" in value or '"' in value or "\n" in value:
        value = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return value


def number(value: float) -> str:
    """A sample value as Prometheus parses it (Go float syntax; integers without '.0')."""
    if type(value) is not float:
        return str(value)
    if value.is_integer():
        return str(int(value)) if -1e15 < value < 1e15 else repr(value)
    if math.isfinite(value):
        return repr(value)
    if value != value:
        return "NaN"
    return "+Inf" if value > 0 else "-Inf"


class _Cache:
    """A charger's rendered exposition: its label sets and one bytes fragment per family."""

    __slots__ = ("charger_labels", "connector_items", "connectors_seen", "fragments")

    def __init__(self, charger: ChargerState) -> None:
        self.charger_labels = f'charge_point_id="{escape(charger.charge_point_id)}"'
        self.connectors_seen: dict[int, ConnectorState] | None = None
        self.connector_items: list[tuple[str, ConnectorState]] = []
        self.fragments: list[bytes] = [b""] * len(FAMILIES)

    def connectors(self, charger: ChargerState) -> list[tuple[str, ConnectorState]]:
        """(label set, connector) pairs; rebuilt only when the charger gains a connector
        (exporter.state replaces the connectors dict then)."""
        if self.connectors_seen is not charger.connectors:
            self.connectors_seen = charger.connectors
            self.connector_items = [
                (f'{self.charger_labels},connector_id="{connector_id}"', connector)
                for connector_id, connector in charger.connectors.items()
            ]
        return self.connector_items


Render = Callable[[ChargerState, _Cache], str]


def _info(charger: ChargerState, cache: _Cache) -> str:
    ref = charger.ref
    return (
        f'ocpp_charge_point_info{{{cache.charger_labels},site="{escape(ref.site)}",'
        f'client="{escape(ref.client)}",group="{escape(charger.group)}",'
        f'vendor="{escape(charger.vendor)}",model="{escape(charger.model)}",'
        f'firmware_version="{escape(charger.firmware_version)}",'
        f'ocpp_version="{escape(charger.ocpp_version)}"}} 1\n'
    )


def _charger_value(name: str, read: Callable[[ChargerState], float | None]) -> Render:
    def render(charger: ChargerState, cache: _Cache) -> str:
        value = read(charger)
        if value is None:
            return ""
        return f"{name}{{{cache.charger_labels}}} {number(value)}\n"

    return render


def _connector_value(name: str, read: Callable[[ConnectorState], float | None]) -> Render:
    def render(charger: ChargerState, cache: _Cache) -> str:
        lines = []
        for labels, connector in cache.connectors(charger):
            value = read(connector)
            if value is not None:
                lines.append(f"{name}{{{labels}}} {number(value)}\n")
        return "".join(lines)

    return render


def _status(charger: ChargerState, cache: _Cache) -> str:
    return "".join(
        f'ocpp_connector_status{{{labels},status="{escape(connector.status)}"}} 1\n'
        for labels, connector in cache.connectors(charger)
        if connector.status
    )


def _errors(charger: ChargerState, cache: _Cache) -> str:
    lines = []
    for labels, connector in cache.connectors(charger):
        # Two origins (2.0.1 component instances) may report the same error: one series.
        for code, vendor_id, vendor_code in dict.fromkeys(connector.errors.values()):
            lines.append(
                f'ocpp_connector_error{{{labels},error_code="{escape(code)}",'
                f'vendor_id="{escape(vendor_id)}",vendor_error_code="{escape(vendor_code)}"}} 1\n'
            )
    return "".join(lines)


def _since(connector: ConnectorState) -> float | None:
    return connector.status_since if connector.status else None


def _soc_changed(connector: ConnectorState) -> float | None:
    return connector.soc_changed if connector.soc is not None else None


# (dirty bit, metric name, type, help naming the OCPP field, renderer), in exposition order.
FAMILIES: tuple[tuple[int, str, str, str, Render], ...] = (
    (
        records.INFO,
        "ocpp_charge_point_info",
        "gauge",
        "Charge point identity: site/client/group from the fleet file, vendor/model/firmware "
        "from BootNotification (1.6 chargePointVendor/chargePointModel/firmwareVersion, 2.0.1 "
        "chargingStation.vendorName/model/firmwareVersion), OCPP version from the subprotocol.",
        _info,
    ),
    (
        records.CONNECTED,
        "ocpp_charge_point_connected",
        "gauge",
        "1 while the charge point's OCPP websocket is open, 0 otherwise.",
        _charger_value("ocpp_charge_point_connected", lambda c: 1 if c.connected else 0),
    ),
    (
        records.LAST_MESSAGE,
        "ocpp_charge_point_last_message_timestamp_seconds",
        "gauge",
        "When the last OCPP frame (any message type) arrived from the charge point.",
        _charger_value(
            "ocpp_charge_point_last_message_timestamp_seconds", lambda c: c.last_message
        ),
    ),
    (
        records.CONNECTION_CHANGED,
        "ocpp_charge_point_connection_changed_timestamp_seconds",
        "gauge",
        "When this collector last saw the charge point connect or disconnect (its start time "
        "for a charge point never seen).",
        _charger_value(
            "ocpp_charge_point_connection_changed_timestamp_seconds",
            lambda c: c.connection_changed,
        ),
    ),
    (
        records.CONNECTS,
        "ocpp_charge_point_connects_total",
        "counter",
        "OCPP websocket connections accepted from the charge point.",
        _charger_value("ocpp_charge_point_connects_total", lambda c: c.connects),
    ),
    (
        records.BOOTS,
        "ocpp_charge_point_boots_total",
        "counter",
        "BootNotification requests received from the charge point.",
        _charger_value("ocpp_charge_point_boots_total", lambda c: c.boots),
    ),
    (
        records.STATUS,
        "ocpp_connector_status",
        "gauge",
        "1 for the connector's current status: StatusNotification status (1.6) or "
        "connectorStatus (2.0.1), the TransactionEvent chargingState while a 2.0.1 "
        "transaction runs.",
        _status,
    ),
    (
        records.STATUS_SINCE,
        "ocpp_connector_status_since_timestamp_seconds",
        "gauge",
        "When the current status began: StatusNotification timestamp, never earlier than the "
        "current connection nor later than its arrival.",
        _connector_value("ocpp_connector_status_since_timestamp_seconds", _since),
    ),
    (
        records.ERROR,
        "ocpp_connector_error",
        "gauge",
        "1 while an error is active: StatusNotification errorCode/vendorId/vendorErrorCode "
        "(1.6, a Faulted status counts even with NoError) or NotifyEvent "
        "component.variable/techCode (2.0.1).",
        _errors,
    ),
    (
        records.SOC,
        "ocpp_connector_soc_ratio",
        "gauge",
        "Last state of charge: MeterValues sampledValue with measurand SoC, as a 0-1 ratio.",
        _connector_value("ocpp_connector_soc_ratio", lambda c: c.soc),
    ),
    (
        records.SOC_CHANGED,
        "ocpp_connector_soc_last_change_timestamp_seconds",
        "gauge",
        "When the SoC sampledValue last changed (its meterValue timestamp).",
        _connector_value("ocpp_connector_soc_last_change_timestamp_seconds", _soc_changed),
    ),
    (
        records.POWER,
        "ocpp_connector_power_watts",
        "gauge",
        "Last MeterValues sampledValue with measurand Power.Active.Import, in watts.",
        _connector_value("ocpp_connector_power_watts", lambda c: c.power),
    ),
    (
        records.ENERGY,
        "ocpp_connector_energy_joules_total",
        "counter",
        "Last MeterValues sampledValue with measurand Energy.Active.Import.Register "
        "(or StartTransaction meterStart/StopTransaction meterStop), converted to joules.",
        _connector_value("ocpp_connector_energy_joules_total", lambda c: c.energy),
    ),
    (
        records.TRANSACTION,
        "ocpp_connector_transaction_active",
        "gauge",
        "1 during a transaction (StartTransaction to StopTransaction, TransactionEvent "
        "Started to Ended).",
        _connector_value(
            "ocpp_connector_transaction_active",
            lambda c: 0 if c.transaction_id is None else 1,
        ),
    ),
)
_HEADERS = tuple(
    f"# HELP {name} {help_text}\n# TYPE {name} {kind}\n".encode()
    for _, name, kind, help_text, _ in FAMILIES
)


def iter_exposition(state: FleetState, chunk_chargers: int = 500) -> Iterator[bytes]:
    """The fleet-state metrics in text format 0.0.4, about ``chunk_chargers`` chargers a chunk."""
    state.housekeeping()  # due stale-connector sweeps and forgotten chargers, before rendering
    chargers = list(state.chargers.values())  # chargers may connect between two chunks
    for charger in chargers:
        if charger.render_cache is None:
            charger.render_cache = _Cache(charger)
    for index, (bit, _, _, _, render) in enumerate(FAMILIES):
        parts = [_HEADERS[index]]
        append = parts.append
        for start in range(0, len(chargers), chunk_chargers):
            for charger in chargers[start : start + chunk_chargers]:
                fragments = charger.render_cache.fragments
                if charger.dirty & bit:
                    charger.dirty &= ~bit
                    text = render(charger, charger.render_cache)
                    fragments[index] = text.encode("utf-8", "replace")
                append(fragments[index])
            yield b"".join(parts)
            parts = []
            append = parts.append
        if parts:  # a fleet without chargers still gets its HELP and TYPE lines
            yield b"".join(parts)

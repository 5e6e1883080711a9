"""What the collector tells its history sink (InfluxDB): one event per observed change.

The fleet state emits these from the OCPP loop; a sink must accept them without blocking
(buffer, batch and write elsewhere). Each event carries the charger's site and client so that
history can be grouped the way availability is reported, long after the fleet file changed.
Every string an event carries from a charger went through the one sanitiser
(``chargekeeper.untrusted.clean``) when the fleet state took it in, and every value is finite.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class ChargerRef:
    charge_point_id: str
    site: str
    client: str


@dataclass(frozen=True, slots=True)
class ConnectionChanged:
    charger: ChargerRef
    time: float  # Unix seconds, when the collector observed it
    connected: bool
    reason: str  # bounded vocabulary: "connected", "closed", "timeout", "replaced", "error"
    ocpp_version: str


@dataclass(frozen=True, slots=True)
class StatusChanged:
    charger: ChargerRef
    time: float  # Unix seconds: the charger's timestamp when plausible, else arrival time
    connector_id: int
    status: str
    error_code: str
    vendor_id: str
    vendor_error_code: str
    info: str  # charger-supplied free text: a field value, never a tag


@dataclass(frozen=True, slots=True)
class MeterSample:
    charger: ChargerRef
    time: float
    connector_id: int
    measurand: str  # OCPP measurand name, e.g. "Power.Active.Import"
    phase: str  # "" when the charger sent none
    value: float  # converted to base units: W, J (not Wh), ratio (not %), A, V, Hz, °C
    unit: str  # the base unit of ``value``


Event = ConnectionChanged | StatusChanged | MeterSample


class EventSink(Protocol):
    def emit(self, event: Event) -> None:
        """Accept one event. Must return at once: it is called from the OCPP event loop."""
        ...


class NullSink:
    """The sink used when no InfluxDB is configured."""

    def emit(self, event: Event) -> None:
        return None

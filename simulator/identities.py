"""Who the simulated chargers claim to be: vendor, model, firmware and the faults they report.

The values follow the shape of what real chargers send in BootNotification and in a Faulted
StatusNotification (Alfen's decimal display codes, ABB Terra AC's hex codes, Zaptec Go's decimal
bitmask, ChargeX MREC codes on DC chargers), so the collector, the translator and the alert rules
see realistic input. They are this project's own sample data, not copies of captured frames.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from simulator.rng import SeededRng


class Supply(Enum):
    """How energy flows: only DC chargers learn the vehicle's SoC (ISO 15118, CHAdeMO)."""

    AC = "AC"
    DC = "DC"


@dataclass(frozen=True, slots=True)
class VendorFault:
    """One fault as the charger reports it: OCPP error code plus the manufacturer's own code."""

    error_code: str  # OCPP 1.6 ChargePointErrorCode
    vendor_error_code: str
    info: str


@dataclass(frozen=True, slots=True)
class Identity:
    """A charger model: what BootNotification says and how the hardware behaves."""

    vendor: str
    model: str
    firmware: str
    serial_prefix: str
    supply: Supply
    max_power_w: float
    connectors: int
    vendor_id: str | None  # StatusNotification vendorId; some vendors leave it out
    faults: tuple[VendorFault, ...]
    phases: int = 3  # AC only

    def serial(self, index: int) -> str:
        return f"{self.serial_prefix}{index:06d}"


ALFEN_NG920 = Identity(
    vendor="Alfen BV",
    model="NG920-61023",
    firmware="6.4.0-4210",
    serial_prefix="ace01",
    supply=Supply.AC,
    max_power_w=22_000.0,
    connectors=2,
    vendor_id=None,  # Alfen puts the code in vendorErrorCode without a vendorId
    faults=(
        VendorFault("OtherError", "210", "Load balancing link lost, safe current 14A"),
        VendorFault("GroundFailure", "101", "DC residual current detected"),
        VendorFault("HighTemperature", "401", "Internal temperature high"),
    ),
)
ABB_TERRA_AC = Identity(
    vendor="ABB",
    model="CDT_TACW22::NET_WIFI",
    firmware="1.8.21",
    serial_prefix="TACW22-",
    supply=Supply.AC,
    max_power_w=22_000.0,
    connectors=1,
    vendor_id="ABB",
    faults=(
        VendorFault("OtherError", "0x0400", "relay state mismatch"),
        VendorFault("GroundFailure", "0x0002", "residual current"),
        VendorFault("OverVoltage", "0x0008", "supply over-voltage"),
    ),
)
ZAPTEC_GO = Identity(
    vendor="Zaptec",
    model="Zaptec Go OCPP",
    firmware="2.3.0.3",
    serial_prefix="ZAP",
    supply=Supply.AC,
    max_power_w=11_000.0,
    connectors=1,
    vendor_id="zaptec",
    faults=(
        # Zaptec reports a decimal bitmask: 4096 is bit 12 (6 mA DC RCD), 4098 adds bit 1.
        VendorFault("GroundFailure", "4096", "RCD 6mA DC tripped"),
        VendorFault("HighTemperature", "4098", "RCD 6mA DC tripped, high temperature"),
        VendorFault("OverCurrentFailure", "32", "EV over current"),
    ),
)
WALLBOX_PULSAR = Identity(
    vendor="Wall Box Chargers",
    model="PLP1-0-2-4-9-002",
    firmware="6.2.14",
    serial_prefix="WB",
    supply=Supply.AC,
    max_power_w=7_400.0,
    connectors=1,
    vendor_id="Wallbox",
    phases=1,
    faults=(VendorFault("OtherError", "2", "Wallbox internal error"),),
)
ALPITRONIC_HYC = Identity(
    vendor="alpitronic GmbH",
    model="HYC300",
    firmware="2.5.1",
    serial_prefix="HYC300-",
    supply=Supply.DC,
    max_power_w=150_000.0,
    connectors=2,
    vendor_id="https://chargex.inl.gov",  # DC vendors increasingly map to ChargeX MREC codes
    faults=(
        VendorFault("OtherError", "CX011", "DC insulation pre-test failed"),
        VendorFault("HighTemperature", "CX019", "Cable over-temperature, session stopped"),
        VendorFault("OtherError", "CX017", "Contactor failure"),
    ),
)
HELIOX_FLEX = Identity(
    vendor="Heliox",
    model="FLEX 50kW",
    firmware="1.4.2",
    serial_prefix="6207",
    supply=Supply.DC,
    max_power_w=50_000.0,
    connectors=1,
    vendor_id="https://chargex.inl.gov",
    faults=(
        VendorFault("OtherError", "CX008", "Emergency stop pressed"),
        VendorFault("PowerSwitchFailure", "CX017", "Contactor welded"),
    ),
)

AC_IDENTITIES: tuple[Identity, ...] = (ALFEN_NG920, ABB_TERRA_AC, ZAPTEC_GO, WALLBOX_PULSAR)
DC_IDENTITIES: tuple[Identity, ...] = (ALPITRONIC_HYC, HELIOX_FLEX)
ALL_IDENTITIES: tuple[Identity, ...] = AC_IDENTITIES + DC_IDENTITIES
# Faults the vendor-fault scenario rotates through first: one of each code style (decimal, hex,
# bitmask, ChargeX) so a small fleet already exercises every decoder downstream.
FAULT_SHOWCASE: tuple[Identity, ...] = (ALFEN_NG920, ABB_TERRA_AC, ZAPTEC_GO, ALPITRONIC_HYC)


def pick_identity(rng: SeededRng, pool: tuple[Identity, ...]) -> Identity:
    return pool[rng.randrange(len(pool))]

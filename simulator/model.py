"""Version-neutral charger state that both OCPP dialects render into frames."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from simulator.physics import ChargingSession

JsonObject = dict[str, Any]
# An OCPP CALL the charger sends: (action, payload).
Call = tuple[str, JsonObject]


class ConnectorStatus(Enum):
    """OCPP 1.6 connector statuses; the 2.0.1 dialect folds them into its five."""

    AVAILABLE = "Available"
    PREPARING = "Preparing"
    CHARGING = "Charging"
    SUSPENDED_EV = "SuspendedEV"
    FINISHING = "Finishing"
    FAULTED = "Faulted"
    UNAVAILABLE = "Unavailable"


class StopReason(Enum):
    """Why a transaction ended; the names are common to OCPP 1.6 and 2.0.1."""

    EV_DISCONNECTED = "EVDisconnected"
    REMOTE = "Remote"
    REBOOT = "Reboot"
    OTHER = "Other"


class BootReason(Enum):
    """OCPP 2.0.1 BootReasonEnumType values the simulator uses (1.6 sends no reason)."""

    POWER_UP = "PowerUp"
    REMOTE_RESET = "RemoteReset"
    WATCHDOG = "Watchdog"


@dataclass(frozen=True, slots=True)
class ActiveFault:
    """A fault as reported in StatusNotification (1.6) or NotifyEvent (2.0.1)."""

    error_code: str
    vendor_id: str | None
    vendor_error_code: str | None
    info: str | None


@dataclass(slots=True)
class Connector:
    """One connector (1.6) or EVSE (2.0.1, with a single connector) of a charger."""

    id: int
    register_wh: float
    status: ConnectorStatus = ConnectorStatus.AVAILABLE
    session: ChargingSession | None = None
    transaction_id: int | str | None = None
    transaction_seq: int = 0
    fault: ActiveFault | None = None
    remote_start_tag: str | None = None
    remote_stop: bool = False
    plug_in_requested: bool = False
    events_sent: int = 0  # 2.0.1 NotifyEvent eventIds
    id_tag: str = ""
    # Fault injection: applied to the running session at the next meter interval.
    soc_stalled: bool = False
    power_zero: bool = False

    @property
    def in_transaction(self) -> bool:
        return self.session is not None

    @property
    def free(self) -> bool:
        """Can take a new session (no vehicle, no fault)."""
        return (
            self.session is None
            and self.fault is None
            and self.remote_start_tag is None
            and not self.plug_in_requested
        )

"""The fleet state's records: one charger, one connector, and the dirty bits marking changes.

Built for 10,000 chargers in one process: ``__slots__`` records, and a dirty bit per metric
family so the renderer (exporter.metrics) re-renders only the parts of a charger that changed
since the last scrape. exporter.state decides what the values mean and sets the bits.
"""

from __future__ import annotations

from typing import Any

from exporter.events import ChargerRef

# One dirty bit per metric family of exporter.metrics, in the order they are rendered.
INFO = 1 << 0
CONNECTED = 1 << 1
LAST_MESSAGE = 1 << 2
CONNECTION_CHANGED = 1 << 3
CONNECTS = 1 << 4
BOOTS = 1 << 5
STATUS = 1 << 6
STATUS_SINCE = 1 << 7
ERROR = 1 << 8
SOC = 1 << 9
SOC_CHANGED = 1 << 10
POWER = 1 << 11
ENERGY = 1 << 12
TRANSACTION = 1 << 13
ALL = (1 << 14) - 1
CONNECTOR_FAMILIES = (
    STATUS | STATUS_SINCE | ERROR | SOC | SOC_CHANGED | POWER | ENERGY | TRANSACTION
)

# An active connector error: (error_code, vendor_id, vendor_error_code).
ConnectorError = tuple[str, str, str]
# A meter reading in base units: (measurand, phase, value, unit).
Reading = tuple[str, str, float, str]
TransactionId = str | int


class ConnectorState:
    """One connector (1.6) or EVSE (2.0.1); connector 0 is the charger as a whole."""

    __slots__ = (
        "charging_state",
        "connector_id",
        "energy",
        "energy_epoch",
        "errors",
        "power",
        "reported",
        "reported_status",
        "soc",
        "soc_changed",
        "status",
        "status_since",
        "transaction_id",
    )

    def __init__(self, connector_id: int) -> None:
        self.connector_id = connector_id
        self.status = ""  # what ocpp_connector_status shows; "" until the charger reports one
        self.reported_status = ""  # the last StatusNotification status
        self.charging_state = ""  # 2.0.1 TransactionEvent chargingState
        self.status_since = 0.0
        # Active errors by origin: 1.6 keeps one (the last StatusNotification), 2.0.1 one per
        # NotifyEvent component/variable.
        self.errors: dict[Any, ConnectorError] = {}
        self.soc: float | None = None
        self.soc_changed = 0.0
        self.power: float | None = None
        self.energy: float | None = None
        self.energy_epoch = -1
        self.transaction_id: TransactionId | None = None
        # The charger's sweep generation when it last reported this connector (exporter.state
        # drops connectors a charger stops reporting after a reconnect or boot).
        self.reported = 0


class ChargerState:
    """One charge point: identity (fleet file, BootNotification), connection and connectors."""

    __slots__ = (
        "boots",
        "connection_changed",
        "connection_started",
        "connectors",
        "connects",
        "dirty",
        "epoch",
        "firmware_version",
        "group",
        "known",
        "last_message",
        "limited",
        "model",
        "ocpp_version",
        "open_connections",
        "ref",
        "render_cache",
        "status_reported",
        "sweep",
        "sweep_deadline",
        "sweep_forced",
        "transactions",
        "vendor",
        "vendor_codes",
    )

    def __init__(
        self, ref: ChargerRef, group: str, vendor: str, model: str, now: float, known: bool
    ) -> None:
        self.ref = ref
        self.known = known  # listed in the fleet file: never forgotten, its id may be a label
        self.group = group
        self.vendor = vendor
        self.model = model
        self.firmware_version = ""
        self.ocpp_version = ""
        self.open_connections = 0
        self.connection_started = 0.0
        self.connection_changed = now
        self.last_message: float | None = None
        self.connects = 0
        self.boots = 0
        # Bumped by every connect and boot: the energy register may restart after either.
        self.epoch = 0
        self.connectors: dict[int, ConnectorState] = {}
        self.transactions: dict[TransactionId, int] = {}
        self.dirty = ALL
        self.render_cache: Any = None  # owned by exporter.metrics
        # Per-charger budgets (exporter.limits): the vendor-code label pairs it added, and the
        # budgets it has exceeded (a set of names, for one log line per budget).
        self.vendor_codes: set[tuple[str, str]] | None = None
        self.limited: frozenset[str] = frozenset()
        # Stale-connector sweep (exporter.state): a generation bumped at each reconnect, boot or
        # reconciliation; connectors not reported in the current one are dropped at the
        # deadline (0: none pending), unless it is a reconnect sweep (not forced) and the
        # charger has reported no status since.
        self.sweep = 0
        self.sweep_deadline = 0.0
        self.sweep_forced = False
        self.status_reported = False

    @property
    def charge_point_id(self) -> str:
        return self.ref.charge_point_id

    @property
    def connected(self) -> bool:
        return self.open_connections > 0

"""The fleet's live state (one module over 400 lines: FleetState's methods are per-frame paths).

Every charger's identity, connection and connectors, kept in memory. Handlers
(exporter.handlers16/handlers201) report what chargers said; this module decides what it means
for the metrics (status-since, active errors, energy register...) and tells the event sink about
every change. It is also the collector's intake: every charger string it keeps goes through the
one sanitiser, every reading through a plausibility check, every new series through the
charger's budget (exporter.limits), whichever handler or fast path reported it. Connectors a
charger stops reporting after a reconnect or boot expire, and chargers outside the fleet file
are forgotten once long gone (see "Stale connectors" and "Cardinality" in exporter/README).

It is built for 10,000 chargers in one process: the records (exporter.records) have
``__slots__`` and a dirty bit per metric family, so the renderer (exporter.metrics) re-renders
only the parts of a charger that changed since the last scrape. FleetState stays one class
because each report goes straight from a handler to its method: split, a frame would pay one
more call.

Everything here runs on the OCPP event loop; nothing blocks and nothing raises for charger input.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import math
import time
from collections.abc import Callable, Iterable
from typing import Any

from chargekeeper.config.fleet import Fleet, UnknownChargers
from chargekeeper.untrusted import MAX_CODE, MAX_INFO, MAX_VENDOR
from exporter import limits
from exporter.events import (
    ChargerRef,
    ConnectionChanged,
    EventSink,
    MeterSample,
    NullSink,
    StatusChanged,
)
from exporter.limits import Budgets, name, text
from exporter.records import (
    BOOTS,
    CONNECTED,
    CONNECTION_CHANGED,
    CONNECTOR_FAMILIES,
    CONNECTS,
    ENERGY,
    ERROR,
    INFO,
    LAST_MESSAGE,
    POWER,
    SOC,
    SOC_CHANGED,
    STATUS,
    STATUS_SINCE,
    TRANSACTION,
    ChargerState,
    ConnectorError,
    ConnectorState,
    Reading,
    TransactionId,
)
from exporter.selfmetrics import ExporterMetrics

log = logging.getLogger("exporter.state")

UNKNOWN = "unknown"

# Active errors kept per connector: 2.0.1 errors are keyed by charger-supplied component and
# variable names, which must not grow series without bound. Real chargers report a few.
MAX_ERRORS_PER_CONNECTOR = 32

# Stale connectors. Once its boot is accepted a charger reports every connector's status (OCPP
# 1.6 and 2.0.1 both ask it to): what it has not reported within STALE_AFTER_BOOT, it does not
# have. After a mere reconnect nothing obliges it, so connectors are dropped only if it
# re-reported some statuses within STALE_AFTER_RECONNECT and not these.
STALE_AFTER_BOOT = 120.0
STALE_AFTER_RECONNECT = 600.0
# Chargers outside the fleet file that have no connection are forgotten after FORGET_AFTER,
# and the least recently seen first beyond MAX_FORGETTABLE of them: ids are free to invent.
FORGET_AFTER = 7 * 86400.0
MAX_FORGETTABLE = 10_000

# A charger timestamp further ahead of our clock than this is a wrong clock, not a reading.
MAX_CLOCK_AHEAD = 300.0

# Phases whose values add up to a total when a charger reports no unphased value (OCPP
# "L1-N" is the phase-to-neutral reading a single-phase charger sends as its only value).
_SUMMED_PHASES = frozenset({"L1", "L2", "L3", "L1-N", "L2-N", "L3-N"})
_POWER_MEASURAND = "Power.Active.Import"
_ENERGY_MEASURAND = "Energy.Active.Import.Register"
_SOC_MEASURAND = "SoC"


class FleetState:
    """Every charger the collector knows: from the fleet file and from connections.

    Counts ``connections_total``/``disconnections_total`` (in :meth:`connected` and
    :meth:`disconnected`) and ``vendor_error_reports_total``; emits an event to ``sink`` for
    every connection change, status or error change and meter reading.
    """

    def __init__(
        self,
        fleet: Fleet | None,
        metrics: ExporterMetrics,
        sink: EventSink = NullSink(),  # noqa: B008 - stateless and never mutated
        clock: Callable[[], float] = time.time,
        *,
        heartbeat_interval: int = 300,
        stale_after_boot: float = STALE_AFTER_BOOT,
        stale_after_reconnect: float = STALE_AFTER_RECONNECT,
        forget_after: float = FORGET_AFTER,
        max_forgettable: int = MAX_FORGETTABLE,
    ) -> None:
        self.fleet = fleet
        self.metrics = metrics
        self.clock = clock
        self.heartbeat_interval = heartbeat_interval
        self.stale_after_boot = stale_after_boot
        self.stale_after_reconnect = stale_after_reconnect
        self.forget_after = forget_after
        self.max_forgettable = max_forgettable
        self._budgets = Budgets(metrics, clock)
        # Stale-connector sweeps as (deadline, tie-breaker, charger), earliest first: a scrape
        # looks at the due ones only. An entry whose sweep was restarted or cancelled is skipped.
        self._sweeps: list[tuple[float, int, ChargerState]] = []
        self._sweep_order = itertools.count()
        # Chargers outside the fleet file without a connection: id -> when they went, oldest
        # first.
        self._offline: dict[str, float] = {}
        # Building events costs time on every meter reading: skip it when nobody listens.
        self._emit: Callable[[Any], None] | None = None if isinstance(sink, NullSink) else sink.emit
        self.chargers: dict[str, ChargerState] = {}
        self._next_transaction_id = 1
        if fleet is not None:
            now = clock()
            clients = {site.id: site.client for site in fleet.sites}
            for entry in fleet.chargers:
                ref = ChargerRef(entry.id, entry.site, clients.get(entry.site, UNKNOWN))
                self.chargers[entry.id] = ChargerState(
                    ref, entry.group, entry.vendor, entry.model, now, True
                )

    # -- connections (called by the websocket server) --------------------------------------

    def admit(self, charge_point_id: str) -> bool:
        """Whether a charger may connect: known to the fleet, or unknown chargers accepted."""
        if self.fleet is None or charge_point_id in self.chargers:
            return True
        return self.fleet.unknown_chargers == UnknownChargers.ACCEPT

    def charger(self, charge_point_id: str) -> ChargerState:
        """The charger's record, created (site, client and group "unknown") if not in the fleet."""
        charger = self.chargers.get(charge_point_id)
        if charger is None:
            # The server admits only ids of a safe pattern; the label is made safe regardless.
            ref = ChargerRef(text(charge_point_id, MAX_CODE) or UNKNOWN, UNKNOWN, UNKNOWN)
            charger = ChargerState(ref, UNKNOWN, "", "", self.clock(), False)
            self.chargers[charge_point_id] = charger
        return charger

    def connected(self, charge_point_id: str, ocpp_version: str) -> None:
        now = self.clock()
        self._offline.pop(charge_point_id, None)
        charger = self.charger(charge_point_id)
        charger.open_connections += 1
        charger.connects += 1
        charger.epoch += 1
        charger.connection_started = now
        charger.connection_changed = now
        if charger.ocpp_version != ocpp_version:
            charger.ocpp_version = ocpp_version
            charger.dirty |= INFO
        charger.dirty |= CONNECTED | CONNECTION_CHANGED | CONNECTS
        self._start_sweep(charger, now + self.stale_after_reconnect, forced=False)
        self.metrics.connections.labels(ocpp_version).inc()
        if self._emit is not None:
            self._emit(ConnectionChanged(charger.ref, now, True, "connected", ocpp_version))

    def disconnected(self, charge_point_id: str, reason: str) -> None:
        """One connection ended. With a replaced connection the charger stays connected."""
        charger = self.chargers.get(charge_point_id)
        if charger is None or charger.open_connections == 0:
            return
        now = self.clock()
        charger.open_connections -= 1
        charger.connection_changed = now
        charger.dirty |= CONNECTED | CONNECTION_CHANGED
        if not charger.connected:
            # What a charger did not say before it went says nothing: no sweep while offline.
            charger.sweep_deadline = 0.0
            if not charger.known:
                self._offline[charge_point_id] = now
                self._forget_beyond_budget()
        self.metrics.disconnections.labels(reason).inc()
        if self._emit is not None:
            event = ConnectionChanged(
                charger.ref, now, charger.connected, reason, charger.ocpp_version
            )
            self._emit(event)

    # -- what chargers report (called by the handlers) -------------------------------------

    def frame_received(self, charger: ChargerState) -> None:
        now = charger.last_message = self.clock()
        charger.dirty |= LAST_MESSAGE
        if charger.sweep_deadline and now >= charger.sweep_deadline:
            self._end_sweep(charger)

    def booted(self, charger: ChargerState, vendor: str, model: str, firmware: str) -> None:
        """A BootNotification. A boot that omits vendor or model (both required) keeps the
        ones already known, e.g. from the fleet file."""
        vendor = text(vendor, MAX_VENDOR) or charger.vendor
        model = text(model, MAX_CODE) or charger.model
        firmware = text(firmware, MAX_CODE)
        charger.boots += 1
        charger.epoch += 1
        charger.dirty |= BOOTS
        self._start_sweep(charger, self.clock() + self.stale_after_boot, forced=True)
        if (vendor, model, firmware) != (charger.vendor, charger.model, charger.firmware_version):
            charger.vendor, charger.model, charger.firmware_version = vendor, model, firmware
            charger.dirty |= INFO

    def reconcile(self, charger: ChargerState, within: float) -> None:
        """The charger was asked to report every connector (e.g. TriggerMessage
        StatusNotification accepted): those it has not reported ``within`` seconds expire."""
        self._start_sweep(charger, self.clock() + within, forced=True)

    def connector(self, charger: ChargerState, connector_id: int) -> ConnectorState | None:
        """The connector a report is about; None (the report is dropped) for a new one beyond
        the charger's connector budget."""
        connector = charger.connectors.get(connector_id)
        if connector is None:
            if len(charger.connectors) >= limits.MAX_CONNECTORS:
                self._budgets.exceeded(charger, limits.CONNECTORS, limits.MAX_CONNECTORS)
                return None
            connector = ConnectorState(connector_id)
            charger.connectors = dict(
                sorted({**charger.connectors, connector_id: connector}.items())
            )
            charger.dirty |= CONNECTOR_FAMILIES  # a new connector appears in each of them
        connector.reported = charger.sweep
        return connector

    def status_notification(
        self,
        charger: ChargerState,
        connector_id: int,
        status: str,
        error_code: str,
        vendor_id: str,
        vendor_error_code: str,
        info: str,
        charger_time: float | None,
    ) -> None:
        """OCPP 1.6 StatusNotification: the connector's status and its one current error.

        1.6 has no explicit clear: each notification replaces the previous error. A Faulted
        status with NoError is still a fault (a known firmware bug); a vendor code beside
        NoError in a healthy status is not (ABB "0x0000", Grizzl-E "0").
        """
        connector = self.connector(charger, connector_id)
        if connector is None:
            return
        charger.status_reported = True
        status = name(status)
        error_code = name(error_code)
        vendor_id = text(vendor_id, MAX_VENDOR)
        vendor_error_code = text(vendor_error_code, MAX_CODE)
        info = text(info, MAX_INFO)
        if vendor_error_code:
            self.vendor_error_reported(charger, vendor_id, vendor_error_code)
        faulty = error_code != "NoError" or status == "Faulted"
        errors = {None: (error_code, vendor_id, vendor_error_code)} if faulty else {}
        changed = self._set_reported_status(charger, connector, status, charger_time)
        if errors != connector.errors:
            connector.errors = errors
            charger.dirty |= ERROR
            changed = True
        if status == "Available" and connector.transaction_id is not None:
            # The charger is idle: a transaction whose stop we never saw has ended.
            self._end_transaction(charger, connector)
        if changed and self._emit is not None:
            event = StatusChanged(
                charger.ref,
                self._event_time(charger_time),
                connector_id,
                connector.status,
                error_code,
                vendor_id,
                vendor_error_code,
                info,
            )
            self._emit(event)

    def connector_status(
        self, charger: ChargerState, connector_id: int, status: str, charger_time: float | None
    ) -> None:
        """OCPP 2.0.1 StatusNotification: an EVSE's connector status (errors: NotifyEvent)."""
        connector = self.connector(charger, connector_id)
        if connector is None:
            return
        charger.status_reported = True
        status = name(status)
        if status == "Available" and connector.transaction_id is not None:
            # Nothing is plugged in: a transaction whose Ended event we never saw is over.
            self._end_transaction(charger, connector)
        if self._set_reported_status(charger, connector, status, charger_time):
            self._emit_status(charger, connector, charger_time, ("", "", ""), "")

    def charging_state(
        self,
        charger: ChargerState,
        connector_id: int,
        charging_state: str,
        charger_time: float | None,
    ) -> None:
        """OCPP 2.0.1 TransactionEvent chargingState (Charging, SuspendedEV...) in a transaction."""
        connector = self.connector(charger, connector_id)
        if connector is None:
            return
        connector.charging_state = name(charging_state)
        if self._refresh_status(charger, connector, charger_time):
            self._emit_status(charger, connector, charger_time, ("", "", ""), "")

    def event_error(
        self,
        charger: ChargerState,
        connector_id: int,
        origin: Any,
        error: ConnectorError | None,
        info: str,
        charger_time: float | None,
    ) -> None:
        """OCPP 2.0.1 NotifyEvent: raise (``error``) or clear (None) the error of one origin."""
        connector = self.connector(charger, connector_id)
        if connector is None:
            return
        charger.status_reported = True
        if error is not None:
            code, vendor_id, vendor_code = error
            error = (text(code, MAX_CODE), text(vendor_id, MAX_VENDOR), text(vendor_code, MAX_CODE))
            if error[2]:
                self.vendor_error_reported(charger, error[1], error[2])
        current = connector.errors.get(origin)
        if current == error:
            return
        if error is None:
            del connector.errors[origin]
        elif current is None and len(connector.errors) >= MAX_ERRORS_PER_CONNECTOR:
            return
        elif current is None and self._error_count(charger) >= limits.MAX_ERRORS:
            self._budgets.exceeded(charger, limits.ERRORS, limits.MAX_ERRORS)
            return
        else:
            connector.errors = {**connector.errors, origin: error}
        charger.dirty |= ERROR
        reported = error or current or ("", "", "")
        self._emit_status(charger, connector, charger_time, reported, text(info, MAX_INFO))

    def vendor_error_reported(self, charger: ChargerState, vendor_id: str, code: str) -> None:
        """Counts a vendorErrorCode (already sanitised); a charger adds at most
        MAX_VENDOR_CODES label pairs, beyond which its reports count as "other"."""
        metrics = self.metrics
        pair = (charger.vendor or vendor_id or UNKNOWN, code)
        codes = charger.vendor_codes
        if codes is None:
            codes = charger.vendor_codes = set()
        if pair not in codes:
            if len(codes) >= limits.MAX_VENDOR_CODES:
                self._budgets.exceeded(charger, limits.VENDOR_CODES, limits.MAX_VENDOR_CODES)
                metrics.vendor_error_reports.labels("other", "other").inc()
                return
            codes.add(pair)
        vendor = metrics.vendor_label(pair[0])
        metrics.vendor_error_reports.labels(vendor, metrics.vendor_code_label(code)).inc()

    def meter_values(
        self,
        charger: ChargerState,
        connector_id: int,
        charger_time: float | None,
        readings: Iterable[Reading],
    ) -> None:
        """One sampled set of readings (base units) taken at the same time on one connector.

        A reading that is not finite, or a power, energy register or SoC outside any plausible
        range (exporter.limits), is refused: counted, logged, neither shown nor written."""
        connector = self.connector(charger, connector_id)
        if connector is None:
            return
        emit = self._emit
        event_time = self._event_time(charger_time) if emit is not None else 0.0
        power = power_phases = energy = energy_phases = soc = None
        for measurand, phase, value, unit in readings:
            # Chained comparisons are False for NaN: one test refuses NaN, Inf and absurd.
            if measurand == _POWER_MEASURAND:
                if not limits.MIN_POWER_WATTS <= value <= limits.MAX_POWER_WATTS:
                    self._budgets.refused(charger, limits.POWER, measurand, value)
                    continue
                if not phase:
                    power = value
                elif phase in _SUMMED_PHASES:
                    power_phases = (power_phases or 0.0) + value
            elif measurand == _ENERGY_MEASURAND:
                if not 0.0 <= value <= limits.MAX_ENERGY_JOULES:
                    self._budgets.refused(charger, limits.ENERGY, measurand, value)
                    continue
                if not phase:
                    energy = value
                elif phase in _SUMMED_PHASES:
                    energy_phases = (energy_phases or 0.0) + value
            elif measurand == _SOC_MEASURAND:
                if not 0.0 <= value <= 1.0:
                    self._budgets.refused(charger, limits.SOC, measurand, value)
                    continue
                soc = value
            elif not math.isfinite(value):
                self._budgets.refused(charger, limits.OTHER, measurand, value)
                continue
            if emit is not None:
                sample = MeterSample(
                    charger.ref,
                    event_time,
                    connector_id,
                    name(measurand),
                    name(phase),
                    value,
                    name(unit),
                )
                emit(sample)
        power = power if power is not None else power_phases
        energy = energy if energy is not None else energy_phases
        if power is not None and power != connector.power:
            connector.power = power
            charger.dirty |= POWER
        if energy is not None:
            self._energy_register(charger, connector, energy)
        if soc is not None and soc != connector.soc:
            connector.soc = soc
            connector.soc_changed = self._since(charger, charger_time)
            charger.dirty |= SOC | SOC_CHANGED

    def _energy_register(
        self, charger: ChargerState, connector: ConnectorState, value: float
    ) -> None:
        # A counter must not go backwards: an older reading replayed from a charger's queue
        # would look like a meter reset. Lower values are believed only after a (re)connect or
        # boot, when the charger may really have restarted its register.
        current = connector.energy
        if (
            current is None
            or value > current
            or (value < current and connector.energy_epoch != charger.epoch)
        ):
            connector.energy = value
            charger.dirty |= ENERGY
        connector.energy_epoch = charger.epoch

    def start_transaction(
        self, charger: ChargerState, connector_id: int, transaction_id: TransactionId | None
    ) -> int:
        """A transaction began on a connector; returns the id assigned (1.6) or 0."""
        assigned = 0
        if transaction_id is None:
            assigned = transaction_id = self._next_transaction_id
            self._next_transaction_id += 1
        connector = self.connector(charger, connector_id)
        if connector is None or connector.transaction_id == transaction_id:
            return assigned
        if connector.transaction_id is not None:
            charger.transactions.pop(connector.transaction_id, None)
        connector.transaction_id = transaction_id
        charger.transactions[transaction_id] = connector_id
        charger.dirty |= TRANSACTION
        return assigned

    def transaction_connector(
        self, charger: ChargerState, transaction_id: TransactionId
    ) -> int | None:
        return charger.transactions.get(transaction_id)

    def stop_transaction(self, charger: ChargerState, transaction_id: TransactionId) -> int | None:
        """A transaction ended; returns its connector id, None for a transaction never seen
        (a stop before its start, or a start before this collector's restart)."""
        connector_id = charger.transactions.get(transaction_id)
        if connector_id is None:
            return None
        self._end_transaction(charger, charger.connectors[connector_id])
        return connector_id

    # -- housekeeping (at scrape time, exporter.metrics) -----------------------------------

    def housekeeping(self) -> None:
        """End the stale-connector sweeps that are due and forget chargers long gone.

        Runs on every scrape: a sweep also ends on the charger's next frame, but a charger
        may send nothing for a heartbeat interval. Costs the due sweeps only."""
        now = self.clock()
        sweeps = self._sweeps
        while sweeps and sweeps[0][0] <= now:
            deadline, _, charger = heapq.heappop(sweeps)
            if charger.sweep_deadline == deadline:
                self._end_sweep(charger)
        cutoff = now - self.forget_after
        while self._offline:
            charge_point_id, since = next(iter(self._offline.items()))
            if since > cutoff:
                break
            self._forget(charge_point_id)

    def _start_sweep(self, charger: ChargerState, deadline: float, *, forced: bool) -> None:
        charger.sweep += 1
        charger.sweep_deadline = deadline
        charger.sweep_forced = forced
        charger.status_reported = False
        heapq.heappush(self._sweeps, (deadline, next(self._sweep_order), charger))

    def _end_sweep(self, charger: ChargerState) -> None:
        """Drop the connectors the charger has not reported since the sweep began, if it was
        asked to report them all (boot, reconciliation) or re-reported some after a reconnect."""
        charger.sweep_deadline = 0.0
        if not (charger.sweep_forced or charger.status_reported):
            return  # it said nothing about its connectors: nothing is known
        sweep = charger.sweep
        stale = [c for c in charger.connectors.values() if c.reported != sweep]
        if not stale:
            return
        charger.connectors = {
            c.connector_id: c for c in charger.connectors.values() if c.reported == sweep
        }
        charger.dirty |= CONNECTOR_FAMILIES
        self.metrics.stale_connectors_expired.inc(len(stale))
        log.info(
            "charger %s: connectors %s expired, not reported since its last reconnect or boot",
            charger.ref.charge_point_id,
            ", ".join(str(c.connector_id) for c in stale),
        )
        for connector in stale:
            if connector.transaction_id is not None:
                charger.transactions.pop(connector.transaction_id, None)
            if connector.status or connector.errors:
                # History sees the end of what was shown: no status, no error.
                connector.status = ""
                self._emit_status(charger, connector, None, ("", "", ""), "expired: not reported")

    def _forget_beyond_budget(self) -> None:
        while len(self._offline) > self.max_forgettable:
            self._forget(next(iter(self._offline)))

    def _forget(self, charge_point_id: str) -> None:
        """A charger outside the fleet file, without a connection, is forgotten: its series
        end (it would be recreated, as new, if it came back)."""
        del self._offline[charge_point_id]
        charger = self.chargers.get(charge_point_id)
        if charger is not None and not charger.connected and not charger.known:
            del self.chargers[charge_point_id]
            self._budgets.forgotten()

    @staticmethod
    def _error_count(charger: ChargerState) -> int:
        return sum(len(connector.errors) for connector in charger.connectors.values())

    # -- internals ------------------------------------------------------------------------

    def _end_transaction(self, charger: ChargerState, connector: ConnectorState) -> None:
        if connector.transaction_id is not None:
            charger.transactions.pop(connector.transaction_id, None)
        connector.transaction_id = None
        connector.charging_state = ""
        charger.dirty |= TRANSACTION
        self._refresh_status(charger, connector, None)

    def _set_reported_status(
        self,
        charger: ChargerState,
        connector: ConnectorState,
        status: str,
        charger_time: float | None,
    ) -> bool:
        connector.reported_status = status
        return self._refresh_status(charger, connector, charger_time)

    def _refresh_status(
        self, charger: ChargerState, connector: ConnectorState, charger_time: float | None
    ) -> bool:
        """Recompute the shown status; True (and a new status-since) when it changed.

        OCPP 2.0.1 reports "Occupied" for a connector in use and the finer state (Charging,
        SuspendedEV...) in TransactionEvent; the finer state is shown while a transaction runs,
        so alerts such as "Charging but no power" read the same for both versions.
        """
        shown = connector.reported_status
        fine = connector.charging_state
        if (
            fine
            and fine != "Idle"
            and connector.transaction_id is not None
            and shown in ("", "Occupied")
        ):
            shown = fine
        if shown == connector.status:
            return False
        connector.status = shown
        connector.status_since = self._since(charger, charger_time)
        charger.dirty |= STATUS | STATUS_SINCE
        return True

    def _since(self, charger: ChargerState, charger_time: float | None) -> float:
        """When something began: the charger's time, but never before the current connection
        (a status queued before a reconnect must not look long-running) nor in the future."""
        now = self.clock()
        if charger_time is None or charger_time > now:
            return now
        return max(charger_time, charger.connection_started)

    def _event_time(self, charger_time: float | None) -> float:
        """Time of an event for history: the charger's, unless its clock is clearly wrong."""
        now = self.clock()
        if charger_time is None or charger_time > now + MAX_CLOCK_AHEAD:
            return now
        return charger_time

    def _emit_status(
        self,
        charger: ChargerState,
        connector: ConnectorState,
        charger_time: float | None,
        error: ConnectorError,
        info: str,
    ) -> None:
        if self._emit is not None:
            event = StatusChanged(
                charger.ref,
                self._event_time(charger_time),
                connector.connector_id,
                connector.status,
                *error,
                info,
            )
            self._emit(event)

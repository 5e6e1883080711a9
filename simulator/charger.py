"""One simulated charge point: its OCPP conversation, and the public API that drives it.

Each charger runs as a single asyncio task. That task is the only reader of its websocket: it
waits for frames until the next thing it has to do (a heartbeat, a meter sample, a scenario
step) and answers the central system's CALLs in between. Fault-injection methods called from
other tasks send their frames directly and wait for the reply that the charger task routes to
them. There are no per-charger threads and no frames kept in memory between sends.

``SimulatedCharger`` is that conversation: boot, heartbeats, simulated time, the scenario
script and what the central system asks for. How it connects and comes back is
``simulator.connection``; what its connectors report as sessions run is ``simulator.sessions``.

Why not ``ocpp.ChargePoint``: it validates every frame with ``jsonschema`` and keeps a routing
table, a lock and a queue per instance, which costs both the CPU needed to drive 10,000 chargers
from one process and several KB per charger. The simulator writes plain OCPP-J frames and the
tests check every one of them against the ``ocpp`` package's schemas instead.
"""

from __future__ import annotations

import asyncio
import time
import zlib
from collections.abc import Awaitable, Callable

from simulator import sessions
from simulator.connection import ChargerConnection, Restart
from simulator.dialects import Dialect, Followup, Reply
from simulator.identities import Identity
from simulator.link import LinkSilent
from simulator.model import (
    ActiveFault,
    BootReason,
    Connector,
    ConnectorStatus,
    JsonObject,
    StopReason,
)
from simulator.rng import SeededRng
from simulator.shared import ChargerOptions, ChargerState

DEFAULT_HEARTBEAT_S = 300
DEFAULT_METER_INTERVAL_S = 60
# How long (simulated) a charger waits before retrying a BootNotification that was not accepted
# and came without an interval.
BOOT_RETRY_S = 30.0

Scenario = Callable[["SimulatedCharger"], Awaitable[None]]


def _format_timestamp(epoch: float) -> str:
    millis = int(epoch * 1000) % 1000
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch)) + f".{millis:03d}Z"


class SimulatedCharger(ChargerConnection):
    """A charge point speaking OCPP to a central system, with fault injection."""

    __slots__ = (
        "_followups",
        "_sent_at_sim",
        "_sim_now",
        "connectors",
        "heartbeat_interval",
        "identity",
        "meter_interval",
        "rng",
        "scenario",
        "scenario_state",
    )

    def __init__(
        self,
        charge_point_id: str,
        identity: Identity,
        scenario: Scenario,
        options: ChargerOptions,
        seed: int,
    ) -> None:
        super().__init__(charge_point_id, options)
        self.identity = identity
        self.scenario = scenario
        self.rng = SeededRng(seed, charge_point_id)
        self.connectors = [
            Connector(id=n, register_wh=round(self.rng.uniform(100_000.0, 4_000_000.0)))
            for n in range(1, identity.connectors + 1)
        ]
        self.heartbeat_interval = DEFAULT_HEARTBEAT_S
        self.meter_interval = DEFAULT_METER_INTERVAL_S
        self.scenario_state = 0  # free for the scenario script: survives reconnects
        self._followups: list[Followup] | None = None
        self._sim_now = 0.0
        self._sent_at_sim = 0.0

    @property
    def serial_number(self) -> str:
        return self.identity.serial(zlib.crc32(self.charge_point_id.encode()) % 1_000_000)

    def _answer(self, action: str, payload: JsonObject) -> Reply:
        return self._options.dialect.answer(self, action, payload)

    async def _converse(self) -> None:
        loop = asyncio.get_running_loop()
        self._sim_now = (loop.time() - self._options.start_time) * self._options.time_scale
        self._sent_at_sim = self._sim_now
        try:
            await self._boot()
            await self.report_statuses()
            await self.scenario(self)
            while True:  # the scenario ended: stay connected and keep heartbeating
                await self.sleep(3600.0)
        finally:
            self._followups = None  # what the central system asked for ends with the connection

    async def _boot(self) -> None:
        dialect = self._options.dialect
        while True:
            result = await self.call(
                *dialect.boot(self.identity, self.serial_number, self._boot_reason)
            )
            accepted, interval = dialect.accepted_interval(result)
            if interval is not None:
                self.heartbeat_interval = interval
            if accepted:
                self.boots += 1
                self._options.stats.boots += 1
                self._boot_reason = BootReason.POWER_UP
                self._set_state(ChargerState.BOOTED)
                return
            if result is None:
                failure = self._link.failure if self._link is not None else "not sent"
                self._fail(f"BootNotification {failure}")
            else:
                self._fail(
                    f"BootNotification not accepted (status {str(result.get('status'))[:20]})"
                )
            await self.sleep(float(interval or BOOT_RETRY_S), heartbeats=False)

    # ----- OCPP-J ---------------------------------------------------------------------------

    async def call(self, action: str, payload: JsonObject) -> JsonObject | None:
        """Send a CALL; the CALLRESULT payload, or None after a CALLERROR or a timeout.

        From the charger's own task this reads frames (answering the central system) while it
        waits; from any other task it waits for the charger task to route the reply.
        """
        link = self._link
        if link is None:
            return None
        result = await link.call(action, payload, reading=asyncio.current_task() is self._task)
        self._sent_at_sim = self._sim_now
        return result

    # ----- what a dialect may call back (ChargerControl) --------------------------------------

    def _has_followups(self) -> bool:
        return bool(self._followups)

    def schedule(self, followup: Followup) -> None:
        if self._followups is None:
            self._followups = []
        self._followups.append(followup)

    def find_transaction(self, transaction_id: object) -> Connector | None:
        if transaction_id is None or isinstance(transaction_id, bool):
            return None
        for connector in self.connectors:
            if connector.session is not None and connector.transaction_id == transaction_id:
                return connector
        return None

    async def _run_followups(self) -> None:
        while self._followups:
            followup = self._followups.pop(0)
            if followup.kind == "reboot":
                raise Restart(offline_s=10.0, abrupt=False, boot_reason=BootReason.REMOTE_RESET)
            if followup.kind == "trigger":
                await self._send_triggered(followup.message, followup.connector_id)
            elif followup.kind == "step" and followup.connector_id is not None:
                await self.step(self.connectors[followup.connector_id - 1], 0.0)

    async def _send_triggered(self, message: str, connector_id: int | None) -> None:
        dialect = self._options.dialect
        targets = self.connectors if not connector_id else [self.connectors[connector_id - 1]]
        if message == "Heartbeat":
            await self.call(*dialect.heartbeat())
        elif message == "BootNotification":
            await self.call(*dialect.boot(self.identity, self.serial_number, BootReason.POWER_UP))
        elif message == "StatusNotification":
            if connector_id == 0:
                for call in dialect.status_whole_charger(self.timestamp()):
                    await self.call(*call)
            for connector in targets:
                for call in dialect.status(connector, self.timestamp()):
                    await self.call(*call)
        elif message == "MeterValues":
            for connector in targets:
                sample = sessions.reading(self, connector, 0.0)
                await self.call(*dialect.meter_values(connector, sample, self.timestamp()))

    # ----- building blocks for scenarios ------------------------------------------------------

    def timestamp(self) -> str:
        return _format_timestamp(self._options.wall_clock())

    @property
    def dialect(self) -> Dialect:
        return self._options.dialect

    @property
    def simulated_time(self) -> float:
        """Seconds of simulated time since the fleet started, as this charger last saw it."""
        return self._sim_now

    async def sleep(self, simulated_seconds: float, heartbeats: bool = True) -> None:
        """Let simulated time pass while answering the central system and heartbeating."""
        link = self._link
        if link is None:
            raise LinkSilent
        options = self._options
        target = self._sim_now + simulated_seconds
        while True:
            await self._run_followups()
            until = target
            heartbeat_due = self._sent_at_sim + self.heartbeat_interval
            if heartbeats and heartbeat_due < target:
                until = heartbeat_due
            await link.pump(
                options.start_time + until / options.time_scale, interrupt=self._has_followups
            )
            if self._followups:
                continue
            self._sim_now = max(self._sim_now, until)
            if until >= target:
                return
            await self.call(*self.dialect.heartbeat())

    async def sleep_until(self, simulated_time: float) -> None:
        await self.sleep(max(0.0, simulated_time - self._sim_now))

    async def report_statuses(self) -> None:
        """Report every connector's current status (after a boot)."""
        await sessions.report_statuses(self)

    async def set_status(self, connector: Connector, status: ConnectorStatus) -> None:
        """Change a connector's status and report it when the protocol version can tell."""
        await sessions.set_status(self, connector, status)

    async def start_session(self, connector: Connector, remote_tag: str | None = None) -> None:
        """A vehicle plugs in and a transaction starts."""
        await sessions.start_session(self, connector, remote_tag)

    async def end_session(self, connector: Connector, reason: StopReason) -> None:
        """The transaction ends and the vehicle leaves."""
        await sessions.end_session(self, connector, reason)

    async def step(self, connector: Connector, seconds: float, plug_in_chance: float = 0.0) -> None:
        """Advance one connector by ``seconds`` of simulated time and report what happened."""
        await sessions.step(self, connector, seconds, plug_in_chance)

    # ----- connector faults (callable from any task; link faults: ChargerConnection) ----------

    def connector(self, connector_id: int) -> Connector:
        if not 1 <= connector_id <= len(self.connectors):
            raise ValueError(
                f"{self.charge_point_id} has connectors 1..{len(self.connectors)}, "
                f"not {connector_id}"
            )
        return self.connectors[connector_id - 1]

    async def fault(
        self,
        connector_id: int,
        error_code: str,
        vendor_id: str | None = None,
        vendor_error_code: str | None = None,
        info: str | None = None,
    ) -> None:
        """Report a Faulted connector with the given OCPP and manufacturer codes."""
        connector = self.connector(connector_id)
        connector.fault = ActiveFault(error_code, vendor_id, vendor_error_code, info)
        await self.set_status(connector, ConnectorStatus.FAULTED)

    async def clear_fault(self, connector_id: int) -> None:
        """End a fault: Available again (1.6 NoError status; 2.0.1 cleared NotifyEvent)."""
        connector = self.connector(connector_id)
        cleared = connector.fault
        if cleared is None:
            return
        connector.fault = None
        connector.status = (
            ConnectorStatus.CHARGING if connector.session is not None else ConnectorStatus.AVAILABLE
        )
        for call in self.dialect.status(connector, self.timestamp(), cleared=cleared):
            await self.call(*call)

    def stall_soc(self, connector_id: int = 1, stalled: bool = True) -> None:
        """The vehicle keeps reporting the same SoC from the next meter sample on."""
        self.connector(connector_id).soc_stalled = stalled

    def zero_power(self, connector_id: int = 1, zero: bool = True) -> None:
        """Status stays Charging but no power flows from the next meter sample on."""
        self.connector(connector_id).power_zero = zero

    def plug_in(self, connector_id: int = 1) -> None:
        """A vehicle arrives: a session starts at the charger's next meter interval."""
        connector = self.connector(connector_id)
        if connector.session is None:
            connector.plug_in_requested = True

"""One simulated charge point: its websocket connection, its OCPP conversation and its sessions.

Each charger runs as a single asyncio task. That task is the only reader of its websocket: it
waits for frames until the next thing it has to do (a heartbeat, a meter sample, a scenario
step) and answers the central system's CALLs in between. Fault-injection methods called from
other tasks send their frames directly and wait for the reply that the charger task routes to
them. There are no per-charger threads and no frames kept in memory between sends.

Why not ``ocpp.ChargePoint``: it validates every frame with ``jsonschema`` and keeps a routing
table, a lock and a queue per instance, which costs both the CPU needed to drive 10,000 chargers
from one process and several KB per charger. The simulator writes plain OCPP-J frames and the
tests check every one of them against the ``ocpp`` package's schemas instead.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import ssl
import time
import zlib
from collections.abc import Awaitable, Callable
from urllib.parse import quote

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
from websockets.typing import Subprotocol

from simulator.dialects import Dialect, Followup, Reply
from simulator.identities import Identity
from simulator.link import LinkSilent, OcppLink
from simulator.model import (
    ActiveFault,
    BootReason,
    Connector,
    ConnectorStatus,
    JsonObject,
    StopReason,
)
from simulator.physics import ChargingSession, Sample, idle_sample
from simulator.rng import SeededRng
from simulator.shared import ChargerOptions, ChargerState

log = logging.getLogger(__name__)

# Incoming frames are small in OCPP; a 64 KiB cap keeps a hostile peer from costing memory.
MAX_FRAME_BYTES = 64 * 1024
# Frames waiting to be read per connection before websockets stops reading from the socket.
MAX_QUEUED_FRAMES = 4
DEFAULT_HEARTBEAT_S = 300
DEFAULT_METER_INTERVAL_S = 60
# How long (simulated) a charger waits before retrying a BootNotification that was not accepted
# and came without an interval.
BOOT_RETRY_S = 30.0
# Reconnection after an unexpected close: random delay up to this many simulated seconds, which
# is what spreads a real fleet's reconnect storm over a few seconds.
RECONNECT_JITTER_S = 5.0
MAX_BACKOFF_S = 120.0


class Restart(Exception):
    """Leave the current connection and come back (raised inside the charger task).

    ``abrupt`` drops the TCP connection without a websocket close (a power cut or a network
    fault); otherwise the charger closes cleanly with code 1000.
    """

    def __init__(self, offline_s: float, abrupt: bool, boot_reason: BootReason) -> None:
        super().__init__(f"restart after {offline_s}s")
        self.offline_s = offline_s
        self.abrupt = abrupt
        self.boot_reason = boot_reason


Scenario = Callable[["SimulatedCharger"], Awaitable[None]]


def _format_timestamp(epoch: float) -> str:
    millis = int(epoch * 1000) % 1000
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch)) + f".{millis:03d}Z"


class SimulatedCharger:
    """A charge point speaking OCPP to a central system, with fault injection."""

    __slots__ = (
        "_boot_reason",
        "_followups",
        "_link",
        "_online",
        "_options",
        "_sent_at_sim",
        "_sim_now",
        "_stopping",
        "_task",
        "boots",
        "charge_point_id",
        "connectors",
        "heartbeat_interval",
        "identity",
        "last_failure",
        "meter_interval",
        "rng",
        "scenario",
        "scenario_state",
        "state",
    )

    def __init__(
        self,
        charge_point_id: str,
        identity: Identity,
        scenario: Scenario,
        options: ChargerOptions,
        seed: int,
    ) -> None:
        self.charge_point_id = charge_point_id
        self.identity = identity
        self.scenario = scenario
        self._options = options
        self.rng = SeededRng(seed, charge_point_id)
        self.connectors = [
            Connector(id=n, register_wh=round(self.rng.uniform(100_000.0, 4_000_000.0)))
            for n in range(1, identity.connectors + 1)
        ]
        self.heartbeat_interval = DEFAULT_HEARTBEAT_S
        self.meter_interval = DEFAULT_METER_INTERVAL_S
        self.state = ChargerState.IDLE
        options.stats.added(ChargerState.IDLE)
        self.boots = 0
        self.last_failure: str | None = None
        self.scenario_state = 0  # free for the scenario script: survives reconnects
        self._link: OcppLink | None = None
        self._followups: list[Followup] | None = None
        self._online = asyncio.Event()
        self._online.set()
        self._stopping = False
        self._sim_now = 0.0
        self._sent_at_sim = 0.0
        self._boot_reason = BootReason.POWER_UP
        self._task: asyncio.Task[None] | None = None

    # ----- life cycle -------------------------------------------------------------------------

    def start(self) -> asyncio.Task[None]:
        self._task = asyncio.get_running_loop().create_task(
            self._run(), name=f"charger {self.charge_point_id}"
        )
        return self._task

    async def stop(self) -> None:
        """Close the connection cleanly and end the charger's task."""
        self._stopping = True
        self._online.set()
        link = self._link
        if link is not None:
            if link.silent:
                link.abort()
            else:
                await link.ws.close()
        task = self._task
        if task is not None and not task.done():
            task.cancel()
            await asyncio.wait([task])  # lets our own cancellation through, unlike `await task`

    def _stop_requested(self) -> bool:
        # A method, not an attribute test, so mypy does not narrow it across awaits.
        return self._stopping

    def _set_state(self, new: ChargerState) -> None:
        if new is not self.state:
            self._options.stats.moved(self.state, new)
            self.state = new

    def _fail(self, reason: str) -> None:
        self.last_failure = reason
        self._options.stats.failed(reason)

    async def _run(self) -> None:
        failures = 0
        try:
            while not self._stop_requested():
                await self._online.wait()
                if self._stop_requested():
                    break
                link = await self._open()
                if link is None:
                    failures += 1
                    await self._pause(self._backoff(failures))
                    continue
                failures = 0
                offline_s = self.rng_jitter()
                try:
                    await self._converse()
                except Restart as restart:
                    offline_s = restart.offline_s
                    self._boot_reason = restart.boot_reason
                    if not restart.abrupt:
                        await link.ws.close()
                except LinkSilent:
                    # Keep the socket open and unread until reconnect() or stop().
                    await self._online.wait()
                    offline_s = 0.0
                except ConnectionClosed:
                    self._boot_reason = BootReason.POWER_UP
                except Exception as exc:
                    # A defect in a scenario or a reply must cost one connection, not the charger.
                    log.exception("%s: conversation failed, reconnecting", self.charge_point_id)
                    self._fail(f"internal error: {type(exc).__name__}")
                finally:
                    # Also ends a silent link for good; a no-op on a closed connection.
                    link.abort()
                    self._link = None
                    self._followups = None
                if self._stop_requested():
                    break
                self._set_state(
                    ChargerState.OFFLINE if not self._online.is_set() else ChargerState.CONNECTING
                )
                await self._pause(offline_s)
        finally:
            self._set_state(ChargerState.STOPPED)

    def rng_jitter(self) -> float:
        """Delay (simulated s) before reconnecting after an unexpected close."""
        # Its own stream, so that network events do not shift the session RNG's sequence.
        return RECONNECT_JITTER_S * SeededRng(self.boots, self.charge_point_id).random()

    def _backoff(self, failures: int) -> float:
        """Exponential backoff with jitter after failed connection attempts."""
        jitter = SeededRng(failures, self.charge_point_id).uniform(0.5, 1.0)
        return min(MAX_BACKOFF_S, 2.0 ** min(failures, 8)) * jitter

    @property
    def serial_number(self) -> str:
        return self.identity.serial(zlib.crc32(self.charge_point_id.encode()) % 1_000_000)

    async def _pause(self, simulated_seconds: float) -> None:
        if simulated_seconds > 0:
            await asyncio.sleep(self._options.wall_delay(simulated_seconds))

    async def _open(self) -> OcppLink | None:
        options = self._options
        self._set_state(ChargerState.CONNECTING)
        url = f"{options.url.rstrip('/')}/{quote(self.charge_point_id, safe='')}"
        headers: list[tuple[str, str]] = []
        password = options.password_of(self.charge_point_id)
        if password is not None:
            # Security profiles 1 and 2: Basic auth with the charge point id as the user name.
            token = base64.b64encode(f"{self.charge_point_id}:{password}".encode()).decode()
            headers.append(("Authorization", f"Basic {token}"))
        slots = options.connect_slots
        try:
            if slots is not None:
                await slots.acquire()
            try:
                ws = await connect(
                    url,
                    subprotocols=[Subprotocol(options.dialect.subprotocol)],
                    additional_headers=headers,
                    ssl=options.ssl_context,
                    open_timeout=options.open_timeout,
                    ping_interval=None,  # the central system pings; websockets answers for us
                    close_timeout=2.0,
                    compression=None,  # permessage-deflate costs ~100 KB per connection
                    max_size=MAX_FRAME_BYTES,
                    max_queue=MAX_QUEUED_FRAMES,
                    proxy=None,
                    user_agent_header="chargekeeper-simulator",
                )
            finally:
                if slots is not None:
                    slots.release()
        except InvalidStatus as exc:
            self._fail(f"HTTP {exc.response.status_code} from the central system")
            return None
        except InvalidHandshake as exc:
            self._fail(f"websocket handshake refused: {type(exc).__name__}")
            return None
        except ssl.SSLError as exc:
            self._fail(f"TLS: {exc.reason or exc.__class__.__name__}")
            return None
        except TimeoutError:
            self._fail("connect timed out")
            return None
        except ConnectionRefusedError:
            self._fail("connection refused")
            return None
        except OSError as exc:
            self._fail(f"network error: {exc.strerror or type(exc).__name__}")
            return None
        if ws.subprotocol != options.dialect.subprotocol:
            self._fail(f"central system did not accept subprotocol {options.dialect.subprotocol}")
            await ws.close()
            return None
        options.stats.connects += 1
        self._link = OcppLink(ws, self.charge_point_id, options, self._answer)
        self._set_state(ChargerState.CONNECTED)
        return self._link

    def _answer(self, action: str, payload: JsonObject) -> Reply:
        return self._options.dialect.answer(self, action, payload)

    async def _converse(self) -> None:
        loop = asyncio.get_running_loop()
        self._sim_now = (loop.time() - self._options.start_time) * self._options.time_scale
        self._sent_at_sim = self._sim_now
        await self._boot()
        await self.report_statuses()
        await self.scenario(self)
        while True:  # the scenario ended: stay connected and keep heartbeating
            await self.sleep(3600.0)

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
                sample = self._reading(connector, 0.0)
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
        now = self.timestamp()
        for call in self.dialect.status_whole_charger(now):
            await self.call(*call)
        for connector in self.connectors:
            for call in self.dialect.status(connector, now):
                await self.call(*call)

    async def set_status(self, connector: Connector, status: ConnectorStatus) -> None:
        """Change a connector's status and report it when the protocol version can tell."""
        old = connector.status
        connector.status = status
        if not self.dialect.reports(old, status):
            return
        for call in self.dialect.status(connector, self.timestamp()):
            await self.call(*call)

    def _reading(self, connector: Connector, seconds: float) -> Sample:
        session = connector.session
        if session is None:
            return idle_sample(connector.register_wh, self.identity, self.rng)
        session.stalled_soc = connector.soc_stalled
        session.zero_power = (
            connector.power_zero or connector.status is ConnectorStatus.SUSPENDED_EV
        )
        sample = session.advance(seconds, connector.register_wh, self.rng)
        connector.register_wh = sample.energy_wh
        return sample

    async def start_session(self, connector: Connector, remote_tag: str | None = None) -> None:
        """A vehicle plugs in and a transaction starts."""
        connector.session = ChargingSession.plug_in(self.rng, self.identity)
        connector.id_tag = remote_tag or f"{self.rng.next_u64() & 0xFFFFFFFF:08X}"
        connector.remote_start_tag = None
        connector.plug_in_requested = False
        connector.transaction_seq = 0
        connector.transaction_id = self.rng.hex_id() if self.dialect.version == "2.0.1" else None
        await self.set_status(connector, ConnectorStatus.PREPARING)
        if self.dialect.version == "2.0.1":
            connector.status = ConnectorStatus.CHARGING
        sample = self._reading(connector, 0.0)
        result = await self.call(
            *self.dialect.transaction_started(
                connector, connector.id_tag, sample, self.timestamp(), remote_tag is not None
            )
        )
        connector.transaction_id = self.dialect.transaction_id_from(result, connector)  # type: ignore[assignment]
        await self.set_status(connector, ConnectorStatus.CHARGING)

    async def end_session(self, connector: Connector, reason: StopReason) -> None:
        """The transaction ends and the vehicle leaves."""
        sample = self._reading(connector, 0.0)
        if connector.fault is None:
            await self.set_status(connector, ConnectorStatus.FINISHING)
        call = self.dialect.transaction_ended(
            connector, connector.id_tag, sample, self.timestamp(), reason
        )
        if call is not None:
            await self.call(*call)
        connector.session = None
        connector.transaction_id = None
        connector.remote_stop = False
        if connector.fault is None:
            await self.set_status(connector, ConnectorStatus.AVAILABLE)

    async def step(self, connector: Connector, seconds: float, plug_in_chance: float = 0.0) -> None:
        """Advance one connector by ``seconds`` of simulated time and report what happened."""
        session = connector.session
        if connector.fault is not None:
            if session is not None:
                await self.end_session(connector, StopReason.OTHER)
            return
        if session is None:
            tag = connector.remote_start_tag
            if (
                tag is not None
                or connector.plug_in_requested
                or (plug_in_chance > 0 and self.rng.chance(plug_in_chance))
            ):
                await self.start_session(connector, tag)
            return
        if connector.remote_stop:
            await self.end_session(connector, StopReason.REMOTE)
            return
        if connector.status is ConnectorStatus.SUSPENDED_EV:
            await self.end_session(connector, StopReason.EV_DISCONNECTED)  # driver comes back
            return
        if seconds <= 0:
            return
        sample = self._reading(connector, seconds)
        if session.finished:
            await self.set_status(connector, ConnectorStatus.SUSPENDED_EV)
            sample = self._reading(connector, 0.0)
        await self.call(*self.dialect.transaction_updated(connector, sample, self.timestamp()))

    # ----- fault injection (callable from any task) -------------------------------------------

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

    async def disconnect(self) -> None:
        """Close the websocket cleanly (code 1000) and stay offline until reconnect()."""
        self._online.clear()
        self._set_state(ChargerState.OFFLINE)
        link = self._link
        if link is not None and not link.silent:
            await link.ws.close()

    def lose_link(self) -> None:
        """Lose the link silently: stop reading (no pongs) and stop sending, keep the socket."""
        self._online.clear()
        link = self._link
        if link is not None:
            link.go_silent()
            self._set_state(ChargerState.SILENT)

    def drop(self) -> None:
        """Drop the TCP connection without a close frame; the charger reconnects by itself."""
        link = self._link
        if link is not None:
            if self.state is not ChargerState.SILENT:
                self._set_state(ChargerState.CONNECTING)
            link.abort()

    def reconnect(self) -> None:
        """Come back after disconnect() or lose_link(), or reconnect now when connected."""
        self._online.set()
        link = self._link
        if link is not None:
            self._set_state(ChargerState.CONNECTING)
            link.abort()

    def reboot(self) -> None:
        """Power-cycle: the connection drops and the charger boots again."""
        self._boot_reason = BootReason.POWER_UP
        self.drop()

    async def go_silent_for(self, simulated_seconds: float) -> None:
        """Scenario step: lose the link silently for a while, then drop it and reconnect."""
        link = self._link
        if link is None:
            return
        link.go_silent()
        self._set_state(ChargerState.SILENT)
        await self._pause(simulated_seconds)
        raise Restart(offline_s=0.0, abrupt=True, boot_reason=BootReason.POWER_UP)

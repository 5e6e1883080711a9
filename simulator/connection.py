"""A simulated charge point's connection life cycle: connect, converse, come back, break the link.

``ChargerConnection`` is the part of a charger that knows about websockets (with
``simulator.link``, which speaks OCPP-J over an open one). Its task opens the connection (Basic
auth, TLS, the handshake limits), hands the open link to ``_converse``, and decides from how the
conversation ended when to come back and with which boot reason: after a few seconds of jitter
following an unexpected close, after exponential backoff following failed attempts, and not at
all while ``disconnect()`` or ``lose_link()`` keeps the charger away. Those link faults, which
tests and scenarios inject, are moves in this life cycle, so they are here too.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import ssl
from abc import ABC, abstractmethod
from urllib.parse import quote

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
from websockets.typing import Subprotocol

from simulator.dialects import Reply
from simulator.link import LinkSilent, OcppLink
from simulator.model import BootReason, JsonObject
from simulator.rng import SeededRng
from simulator.shared import ChargerOptions, ChargerState

# Everything a charger logs goes to one logger, whichever module of it speaks.
log = logging.getLogger("simulator.charger")

# Incoming frames are small in OCPP; a 64 KiB cap keeps a hostile peer from costing memory.
MAX_FRAME_BYTES = 64 * 1024
# Frames waiting to be read per connection before websockets stops reading from the socket.
MAX_QUEUED_FRAMES = 4
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


class ChargerConnection(ABC):
    """One charge point's connection to the central system, opened again until it is stopped.

    A subclass holds the conversation: ``_converse`` runs over each open link and ``_answer``
    replies to the central system's CALLs on it.
    """

    __slots__ = (
        "_boot_reason",
        "_link",
        "_online",
        "_options",
        "_stopping",
        "_task",
        "boots",
        "charge_point_id",
        "last_failure",
        "state",
    )

    def __init__(self, charge_point_id: str, options: ChargerOptions) -> None:
        self.charge_point_id = charge_point_id
        self._options = options
        self.state = ChargerState.IDLE
        options.stats.added(ChargerState.IDLE)
        self.boots = 0
        self.last_failure: str | None = None
        self._link: OcppLink | None = None
        self._online = asyncio.Event()
        self._online.set()
        self._stopping = False
        self._boot_reason = BootReason.POWER_UP
        self._task: asyncio.Task[None] | None = None

    @abstractmethod
    async def _converse(self) -> None:
        """Talk over the open link until it ends (by an exception; returning ends it too)."""

    @abstractmethod
    def _answer(self, action: str, payload: JsonObject) -> Reply:
        """The reply to a CALL from the central system."""

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

    # ----- link faults (callable from any task) -----------------------------------------------

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

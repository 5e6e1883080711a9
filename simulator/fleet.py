"""A fleet of simulated chargers in one process: the API the tests, demo and benchmarks use.

    fleet = SimulatedFleet("ws://127.0.0.1:9000", count=100, protocol="2.0.1",
                           scenario="mixed", seed=7, time_scale=60)
    await fleet.start()
    await fleet.wait_ready(timeout=30)
    await fleet.chargers[3].fault(1, "GroundFailure", "ABB", "0x0002")
    await fleet.stop()

Connections open on a ramp (``ramp_per_second``) and at most ``connect_concurrency`` handshakes
run at once, so 10,000 chargers neither exhaust the process's sockets nor flood the central
system's accept queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import resource
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from simulator.charger import SimulatedCharger
from simulator.dialects import dialect_for
from simulator.rng import SeededRng
from simulator.scenarios import SCENARIO_NAMES, resolve
from simulator.shared import ChargerOptions, ChargerState, FleetStats, FrameObserver

log = logging.getLogger(__name__)

PROTOCOLS = ("1.6", "2.0.1")
# OCPP 2.0.1 limits the charging station identity to 48 characters; both versions put it in
# the URL path and in the Basic-auth user name, so keep to characters that need no escaping
# and cannot be confused with the user:password separator.
MAX_ID_LENGTH = 48
_ID_PREFIX = re.compile(r"[A-Za-z0-9._-]*")
# Leave room for the event loop's own descriptors, log files and the like.
RESERVED_FDS = 64
STOP_CONCURRENCY = 500


class FleetConfigError(ValueError):
    """A fleet parameter is invalid; the message says which and how to fix it."""


def raise_open_file_limit() -> int:
    """Raise RLIMIT_NOFILE's soft limit to the hard limit; return the resulting soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, 1_048_576)
    if target > soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError) as exc:
            log.warning("could not raise the open-file limit from %d to %d: %s", soft, target, exc)
    return soft


@dataclass(frozen=True, slots=True)
class FleetSummary:
    """Where the fleet stands: what the CLI prints at the end."""

    chargers: int
    connected: int
    booted: int
    connects: int
    boots: int
    call_errors: int
    call_timeouts: int
    failures: dict[str, int]

    def lines(self) -> list[str]:
        lines = [
            f"chargers {self.chargers}: connected {self.connected}, booted {self.booted}",
            f"connections opened {self.connects}, boots accepted {self.boots}, "
            f"CALLERRORs received {self.call_errors}, calls unanswered {self.call_timeouts}",
        ]
        if self.failures:
            lines.append("failures:")
            for reason, count in sorted(self.failures.items(), key=lambda item: -item[1]):
                lines.append(f"  {count:>7}  {reason}")
        return lines


def charge_point_id(prefix: str, index: int, count: int) -> str:
    """The id of charger ``index`` (0-based): prefix plus a zero-padded 1-based number."""
    width = max(4, len(str(count)))
    return f"{prefix}{index + 1:0{width}d}"


class SimulatedFleet:
    """``count`` simulated chargers talking to one central system."""

    def __init__(
        self,
        url: str,
        count: int,
        protocol: str = "1.6",
        scenario: str = "normal",
        seed: int = 0,
        id_prefix: str = "SIM",
        *,
        time_scale: float = 1.0,
        password: str | Mapping[str, str] | None = None,
        ssl_context: ssl.SSLContext | None = None,
        connect_concurrency: int = 200,
        ramp_per_second: float = 1000.0,
        call_timeout: float = 30.0,
        open_timeout: float = 10.0,
        frame_observer: FrameObserver | None = None,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        _check(url, count, protocol, scenario, id_prefix, time_scale)
        if connect_concurrency < 1 or ramp_per_second <= 0:
            raise FleetConfigError("connect_concurrency must be >= 1 and ramp_per_second > 0")
        self.url = url
        self.protocol = protocol
        self.scenario = scenario
        self.seed = seed
        self.stats = FleetStats()
        self._ramp_per_second = ramp_per_second
        self._connect_concurrency = connect_concurrency
        self._options = ChargerOptions(
            url=url,
            dialect=dialect_for(protocol),
            stats=self.stats,
            time_scale=time_scale,
            call_timeout=call_timeout,
            open_timeout=open_timeout,
            password=password,
            ssl_context=ssl_context,
            frame_observer=frame_observer,
            wall_clock=wall_clock,
        )
        self.chargers: list[SimulatedCharger] = []
        for index in range(count):
            cp_id = charge_point_id(id_prefix, index, count)
            setup = SeededRng(seed, f"{cp_id}/setup")
            spec = resolve(scenario, index, setup)
            self.chargers.append(
                SimulatedCharger(
                    cp_id, spec.pick_identity(index, setup), spec.script, self._options, seed
                )
            )
        self._launcher: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start every charger (on the ramp); returns at once, see wait_ready()."""
        if self._launcher is not None:
            raise RuntimeError("fleet already started")
        limit = raise_open_file_limit()
        if len(self.chargers) + RESERVED_FDS > limit:
            log.warning(
                "open-file limit %d is too low for %d chargers: raise the hard limit (ulimit -Hn)",
                limit,
                len(self.chargers),
            )
        loop = asyncio.get_running_loop()
        self._options.start_time = loop.time()
        self._options.connect_slots = asyncio.Semaphore(self._connect_concurrency)
        self._launcher = loop.create_task(self._launch(), name="fleet launcher")

    async def _launch(self) -> None:
        loop = asyncio.get_running_loop()
        began = loop.time()
        for index, charger in enumerate(self.chargers):
            due = began + index / self._ramp_per_second
            if due > loop.time():
                await asyncio.sleep(due - loop.time())
            charger.start()  # the charger keeps the reference to its task

    def summary(self) -> FleetSummary:
        stats = self.stats
        booted = stats.count(ChargerState.BOOTED)
        return FleetSummary(
            chargers=len(self.chargers),
            connected=booted + stats.count(ChargerState.CONNECTED),
            booted=booted,
            connects=stats.connects,
            boots=stats.boots,
            call_errors=stats.call_errors,
            call_timeouts=stats.call_timeouts,
            failures=dict(stats.failures),
        )

    async def wait_ready(self, within: float = 60.0, poll: float = 0.05) -> None:
        """Wait until every charger is connected and its BootNotification accepted."""
        await self._wait(
            lambda: self.stats.count(ChargerState.BOOTED) == len(self.chargers), within, poll
        )

    async def wait_connected(self, within: float = 60.0, poll: float = 0.05) -> None:
        """Wait until every charger has an open websocket (booted or not)."""
        await self._wait(lambda: self.summary().connected == len(self.chargers), within, poll)

    async def _wait(self, done: Callable[[], bool], within: float, poll: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while not done():
            if loop.time() >= deadline:
                summary = "; ".join(self.summary().lines())
                raise TimeoutError(f"fleet not ready after {within}s: {summary}")
            await asyncio.sleep(poll)

    def reconnect_storm(self) -> None:
        """Drop every charger's connection at once; they reconnect after a few seconds' jitter."""
        for charger in self.chargers:
            charger.drop()

    async def stop(self) -> None:
        """Close every connection cleanly and end all tasks."""
        if self._launcher is not None:
            self._launcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._launcher
        slots = asyncio.Semaphore(STOP_CONCURRENCY)

        async def stop_one(charger: SimulatedCharger) -> None:
            async with slots:
                await charger.stop()

        await asyncio.gather(*(stop_one(charger) for charger in self.chargers))


def _check(
    url: str, count: int, protocol: str, scenario: str, id_prefix: str, scale: float
) -> None:
    if not url.startswith(("ws://", "wss://")):
        raise FleetConfigError(f"URL {url!r} must start with ws:// or wss://")
    if count < 1:
        raise FleetConfigError(f"the number of chargers must be at least 1, got {count}")
    if protocol not in PROTOCOLS:
        raise FleetConfigError(f"protocol {protocol!r} is not one of {', '.join(PROTOCOLS)}")
    if scenario not in SCENARIO_NAMES:
        raise FleetConfigError(
            f"scenario {scenario!r} is unknown; choose one of {', '.join(SCENARIO_NAMES)}"
        )
    if not _ID_PREFIX.fullmatch(id_prefix):
        raise FleetConfigError(
            f"id prefix {id_prefix!r} may only contain letters, digits, '.', '_' and '-'"
        )
    longest = len(charge_point_id(id_prefix, count - 1, count))
    if longest > MAX_ID_LENGTH:
        raise FleetConfigError(
            f"charger ids would be {longest} characters long; OCPP allows {MAX_ID_LENGTH}: "
            "use a shorter id prefix"
        )
    if not scale > 0:
        raise FleetConfigError(f"time scale must be greater than 0, got {scale}")

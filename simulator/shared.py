"""What every charger of a fleet shares: one settings object and one set of counters."""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum

from simulator.dialects import Dialect

# Distinct failure reasons kept for the summary; more are counted as "other".
MAX_FAILURE_REASONS = 32


class ChargerState(Enum):
    """Where a charger is in its connection life cycle."""

    IDLE = "idle"  # not started yet
    CONNECTING = "connecting"
    CONNECTED = "connected"  # websocket open, BootNotification not accepted yet
    BOOTED = "booted"
    SILENT = "silent"  # link lost without a close: nothing read, nothing sent
    OFFLINE = "offline"  # closed on purpose, waiting to come back
    STOPPED = "stopped"


@dataclass(slots=True)
class FleetStats:
    """Counters shared by all chargers of a fleet; read by the CLI and the tests."""

    states: dict[ChargerState, int] = field(default_factory=dict)
    connects: int = 0
    boots: int = 0
    call_errors: int = 0
    call_timeouts: int = 0
    failures: dict[str, int] = field(default_factory=dict)

    def added(self, state: ChargerState) -> None:
        self.states[state] = self.states.get(state, 0) + 1

    def count(self, state: ChargerState) -> int:
        return self.states.get(state, 0)

    def moved(self, old: ChargerState, new: ChargerState) -> None:
        self.states[old] = self.states.get(old, 0) - 1
        self.states[new] = self.states.get(new, 0) + 1

    def failed(self, reason: str) -> None:
        if reason not in self.failures and len(self.failures) >= MAX_FAILURE_REASONS:
            reason = "other"
        self.failures[reason] = self.failures.get(reason, 0) + 1


FrameObserver = Callable[[str, str, str], None]
"""Called with (charge_point_id, "sent" | "received", frame text) for every frame."""


@dataclass(slots=True)
class ChargerOptions:
    """Settings shared by every charger of one fleet (one object, not one per charger)."""

    url: str
    dialect: Dialect
    stats: FleetStats
    time_scale: float = 1.0
    call_timeout: float = 30.0  # wall seconds to wait for a CALLRESULT
    open_timeout: float = 10.0
    password: str | Mapping[str, str] | None = None  # one for all, or per charger id
    ssl_context: ssl.SSLContext | None = None
    connect_slots: asyncio.Semaphore | None = None
    frame_observer: FrameObserver | None = None
    wall_clock: Callable[[], float] = time.time
    start_time: float = 0.0  # loop.time() when the fleet started: the origin of simulated time

    def wall_delay(self, simulated_seconds: float) -> float:
        return simulated_seconds / self.time_scale

    def password_of(self, charge_point_id: str) -> str | None:
        if self.password is None or isinstance(self.password, str):
            return self.password
        return self.password.get(charge_point_id)

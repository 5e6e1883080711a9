"""Keep CPython's cyclic garbage collector from stalling the OCPP event loop.

With 10,000 chargers connected the collector holds about a million objects that CPython's
cyclic GC tracks (about 100 per charger: the websockets connection, its asyncio tasks, futures
and timers, the charger's state). CPython runs a full collection whenever the objects promoted
into its oldest generation reach a quarter of that generation. Every frame a charger sends
leaves a few futures alive long enough to be promoted, so at that size a full collection ran
every ten seconds or so and held the loop for 200-500 ms each time (measured with
``gc.callbacks`` during ``bench.fleet_scale``); whichever scrape or Heartbeat met it waited.

:class:`GcSchedule` takes the oldest generation out of CPython's hands:

- Every second it collects the young generations (about a second of survivors, a few
  milliseconds) and freezes what is left (``gc.freeze``: a constant-time move into the permanent
  generation, which automatic collections skip). No automatic collection then scans more than
  about a second's worth of objects.
- Frozen objects freed by reference counting still go at once; only frozen objects that later
  become unreachable cycles wait, and nearly all of those are the remains of closed websockets.
  So the schedule runs a full collection (unfreeze, collect, freeze) once a quarter as many
  connections have closed as were open after the previous one (CPython's own 25 % rule, counted
  in connections because counting frozen objects walks all of them) or after
  :data:`FULL_INTERVAL` at the latest, for any other garbage, and :data:`MIN_SPACING` at the
  soonest. It waits for a moment when no scrape is being served, at most :data:`MAX_DEFERRAL`
  seconds. A steady fleet thus pauses once per interval, a reconnect storm once more (at
  10,000 chargers: 200,000 unreachable objects, 20 per closed connection, in 370 ms).

Every collection's pause is observed in ``chargekeeper_exporter_gc_pause_seconds``.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Callable

from exporter.selfmetrics import ExporterMetrics

log = logging.getLogger(__name__)

TICK = 1.0
FULL_INTERVAL = 600.0
# A full collection once this fraction of the connections open after the last one have closed.
CLOSED_FRACTION = 0.25
MIN_CLOSED = 100
# During a reconnect storm connections close in waves; one pause per wave would add up.
MIN_SPACING = 30.0
MAX_DEFERRAL = 60.0


class GcSchedule:
    """Freezes survivors every ``tick`` seconds and runs the full collections itself.

    ``open_connections`` and ``closed_connections`` (a running total) measure the garbage held
    back; ``busy`` says a full collection should wait (a scrape is being served). Owns the
    process's GC while :meth:`run` runs; :meth:`close` hands it back.
    """

    def __init__(
        self,
        metrics: ExporterMetrics,
        open_connections: Callable[[], int],
        closed_connections: Callable[[], int],
        busy: Callable[[], bool] = lambda: False,
        *,
        tick: float = TICK,
        full_interval: float = FULL_INTERVAL,
        min_spacing: float = MIN_SPACING,
        max_deferral: float = MAX_DEFERRAL,
    ) -> None:
        self.metrics = metrics
        self.open_connections = open_connections
        self.closed_connections = closed_connections
        self.busy = busy
        self.tick_seconds = tick
        self.full_interval = full_interval
        self.min_spacing = min_spacing
        self.max_deferral = max_deferral
        self._last_full = time.monotonic()
        self._closed_at_last_full = closed_connections()
        self._closed_allowance = MIN_CLOSED
        self._due_since: float | None = None
        self._pause_started = 0.0
        self._pauses = [metrics.gc_pause.labels(str(generation)) for generation in range(3)]
        gc.callbacks.append(self._observe)

    def full_collection_due(self) -> bool:
        since = time.monotonic() - self._last_full
        closed = self.closed_connections() - self._closed_at_last_full
        return since >= self.full_interval or (
            since >= self.min_spacing and closed >= self._closed_allowance
        )

    def tick(self) -> None:
        """Collect the young generations, freeze the survivors, run a full collection if due."""
        gc.collect(1)
        gc.freeze()
        if not self.full_collection_due():
            return
        now = time.monotonic()
        if self._due_since is None:
            self._due_since = now
        if self.busy() and now - self._due_since < self.max_deferral:
            return
        self.collect_all()

    def collect_all(self) -> None:
        """One full collection over every object, frozen or not; then freeze the live ones."""
        started = time.perf_counter()
        gc.unfreeze()
        found = gc.collect()
        gc.freeze()
        log.debug(
            "full garbage collection: %d unreachable objects, %d connections closed since the"
            " last one, %.0f ms",
            found,
            self.closed_connections() - self._closed_at_last_full,
            (time.perf_counter() - started) * 1000,
        )
        self._last_full = time.monotonic()
        self._closed_at_last_full = self.closed_connections()
        self._closed_allowance = max(MIN_CLOSED, int(self.open_connections() * CLOSED_FRACTION))
        self._due_since = None
        self.metrics.gc_full_collections.inc()

    async def run(self) -> None:
        """Tick every ``tick`` seconds until cancelled."""
        while True:
            await asyncio.sleep(self.tick_seconds)
            self.tick()

    def close(self) -> None:
        """Stop observing and give the frozen objects back to CPython's own collections."""
        if self._observe in gc.callbacks:
            gc.callbacks.remove(self._observe)
        gc.unfreeze()

    def _observe(self, phase: str, info: dict[str, int]) -> None:
        # Collections never overlap (they hold the GIL), so one start time is enough.
        if phase == "start":
            self._pause_started = time.perf_counter()
        else:
            self._pauses[info["generation"]].observe(time.perf_counter() - self._pause_started)

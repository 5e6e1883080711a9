"""History sink: the collector's events written to InfluxDB as line protocol, in batches.

``InfluxWriter.emit`` is called from the OCPP event loop, so it only appends the event to a
bounded in-memory buffer. A worker thread turns events into points, joins them into batches and
writes them with ``influxdb-client``'s synchronous write API (InfluxDB 2.x and anything that
accepts ``/api/v2/write``, such as VictoriaMetrics) or, with ``api="v1"``, posts the same line
protocol to the InfluxDB 1.x ``/write`` endpoint, which ``influxdb-client`` cannot speak.

Why a thread and not the library's own batching or async client: the batching ``WriteApi`` has
an unbounded buffer with no drop accounting and builds line protocol on the caller's thread,
and the async client would run serialisation and HTTP handling on the OCPP loop itself. Here the
loop pays for one ``deque.append``; all serialisation and HTTP happen on the worker.

Buffer policy: at most ``max_buffer`` events wait (plus the one batch being written). When the
buffer is full the *oldest* event is dropped, as Telegraf does: after an outage the most recent
history, which dashboards show as "now", is what survives. Every dropped point is counted in
``chargekeeper_exporter_influxdb_points_dropped_total``.

Failures: a failed write is counted in ``influxdb_write_failures_total`` and retried with
exponential backoff (``retry_min`` doubling up to ``retry_max``) for as long as it takes;
meanwhile new events keep buffering. A batch the server refuses as data (HTTP 400, 413, 422:
a field type conflict, a point outside the retention period) cannot succeed on retry, so it is
logged and counted as dropped (InfluxDB 1.x writes the valid lines of such a batch, but its answer
does not say which). Nothing here ever raises into the caller.

The points' schema (measurements, tags, fields, escaping) is exporter.influx_schema's; the
HTTP side of a write, InfluxDB 2.x or 1.x, is exporter.influx_transport's.
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
import time
from collections import deque
from typing import Literal

from exporter.events import Event
from exporter.influx_schema import to_line
from exporter.influx_transport import (
    InfluxV1Transport,
    InfluxV2Transport,
    LineTransport,
    WriteRejected,
)
from exporter.selfmetrics import ExporterMetrics

log = logging.getLogger(__name__)

# The worker shares the GIL with the OCPP loop. Converting a whole batch in one go holds it for
# a full switch interval (5 ms) at a time; yielding every 50 points (1-2 ms of work) cut the
# loop's median lag while the worker catches up on a backlog from 5.3 ms to about 1 ms.
YIELD_EVERY = 50


class InfluxWriter:
    """An EventSink that buffers events and writes them to InfluxDB from a worker thread.

    ``api="v2"`` (default) uses influxdb-client against ``url`` with ``token``, ``org`` and
    ``bucket``; ``api="v1"`` writes to an InfluxDB 1.x ``/write`` endpoint (see
    :class:`InfluxV1Transport` for how bucket and token map). ``timeout`` bounds one HTTP
    attempt; ``stop_timeout`` bounds the final flush in :meth:`stop`.
    """

    def __init__(
        self,
        url: str,
        token: str,
        org: str,
        bucket: str,
        metrics: ExporterMetrics,
        *,
        batch_size: int = 5000,
        flush_interval: float = 1.0,
        max_buffer: int = 100_000,
        api: Literal["v2", "v1"] = "v2",
        timeout: float = 5.0,
        stop_timeout: float = 5.0,
        retry_min: float = 0.5,
        retry_max: float = 30.0,
    ) -> None:
        if batch_size < 1 or max_buffer < 1:
            raise ValueError(
                f"InfluxWriter needs batch_size >= 1 and max_buffer >= 1, "
                f"got batch_size={batch_size}, max_buffer={max_buffer}"
            )
        self._transport: LineTransport = (
            InfluxV1Transport(url, token, bucket, timeout)
            if api == "v1"
            else InfluxV2Transport(url, token, org, bucket, timeout)
        )
        self._metrics = metrics
        self._batch_size = batch_size
        self._flush_interval = flush_interval
        self._max_buffer = max_buffer
        self._stop_timeout = stop_timeout
        self._join_timeout = stop_timeout + timeout + 1.0
        self._retry_min = retry_min
        self._retry_max = retry_max
        # Appended by the OCPP loop, popped by the worker: deque's append/popleft are atomic.
        self._buffer: deque[Event] = deque()
        self._in_flight = 0
        self._wakeup = threading.Event()
        self._stopping = threading.Event()
        self._stop_deadline = math.inf
        self._closed = False
        self._thread: threading.Thread | None = None
        metrics.influxdb_buffer_points.set_function(self.pending)

    def pending(self) -> int:
        """Points waiting to be written: buffered plus the batch being written."""
        return len(self._buffer) + self._in_flight

    def emit(self, event: Event) -> None:
        """Buffer one event (drop the oldest when full). Never blocks, never raises."""
        if self._closed:
            self._metrics.influxdb_points_dropped.inc()
            return
        buffer = self._buffer
        if len(buffer) >= self._max_buffer:
            try:
                buffer.popleft()
            except IndexError:  # the worker emptied the buffer since len() was read
                pass
            else:
                self._metrics.influxdb_points_dropped.inc()
        buffer.append(event)
        if len(buffer) >= self._batch_size and not self._wakeup.is_set():
            self._wakeup.set()

    async def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("InfluxWriter.start() was called twice")
        self._thread = threading.Thread(target=self._run, name="influx-writer", daemon=True)
        self._thread.start()

    async def stop(self) -> None:
        """Stop accepting events and write what is buffered, giving up after ``stop_timeout``."""
        self._closed = True
        self._stop_deadline = time.monotonic() + self._stop_timeout
        self._stopping.set()
        self._wakeup.set()
        thread = self._thread
        if thread is None:  # never started: nothing will write what was buffered
            self._abandon([])
        else:
            await asyncio.to_thread(thread.join, self._join_timeout)
            if thread.is_alive():
                log.error(
                    "InfluxDB writer still blocked in a write after %.1fs", self._join_timeout
                )
                return
        self._transport.close()

    # --- worker thread ---------------------------------------------------------------------

    def _run(self) -> None:
        delay = self._retry_min
        failures = 0
        batch: list[str] = []
        while True:
            if not batch:
                if not self._buffer:
                    if self._stopping.is_set():
                        return
                    self._wakeup.wait(self._flush_interval)
                    self._wakeup.clear()
                batch = self._take_batch()
                if not batch:
                    continue
            if self._stopping.is_set() and time.monotonic() >= self._stop_deadline:
                self._abandon(batch)
                return
            try:
                self._transport.write("\n".join(batch))
            except WriteRejected as exc:
                log.error("InfluxDB rejected %d points, dropping them: %s", len(batch), exc)
                self._metrics.influxdb_points_dropped.inc(len(batch))
            except Exception as exc:  # WriteFailed, or anything unforeseen: never fatal
                self._metrics.influxdb_write_failures.inc()
                failures += 1
                if failures == 1:
                    log.warning("InfluxDB write failed, retrying with backoff: %s", exc)
                else:
                    log.debug("InfluxDB write attempt %d failed: %s", failures, exc)
                if self._stopping.is_set():  # final flush: keep backing off until the deadline
                    time.sleep(min(delay, max(0.0, self._stop_deadline - time.monotonic())))
                else:  # a stop() cuts the wait short and retries once at once
                    self._stopping.wait(delay)
                delay = min(delay * 2, self._retry_max)
                continue
            else:
                self._metrics.influxdb_points_written.inc(len(batch))
                if failures:
                    log.info("InfluxDB writes recovered after %d failed attempts", failures)
            failures = 0
            delay = self._retry_min
            batch = []
            self._in_flight = 0

    def _take_batch(self) -> list[str]:
        lines: list[str] = []
        buffer = self._buffer
        converted = 0
        while buffer and len(lines) < self._batch_size:
            line = self._convert(buffer.popleft())
            if line:
                lines.append(line)
                self._in_flight = len(lines)
            converted += 1
            if converted % YIELD_EVERY == 0:
                time.sleep(0)  # hand the GIL to the OCPP loop if it is waiting
        return lines

    def _convert(self, event: Event) -> str | None:
        try:
            line = to_line(event)
        except Exception:  # a malformed event must not stop the writer
            log.exception("Cannot write %r to InfluxDB", event)
            line = None
        if line is None:
            self._metrics.influxdb_points_dropped.inc()
        return line

    def _abandon(self, batch: list[str]) -> None:
        lost = len(batch) + len(self._buffer)
        self._buffer.clear()
        self._in_flight = 0
        if lost:
            self._metrics.influxdb_points_dropped.inc(lost)
            log.warning("InfluxDB writer stopped with %d points unwritten", lost)

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

Schema (copied to grafana/README for dashboards)
-------------------------------------------------
Timestamps have millisecond precision (``precision=ms``): a charger that flaps or changes status
twice within one second must leave two points, since points with the same measurement, tag set
and timestamp overwrite each other.

``ocpp_connection``  one point per websocket connect or disconnect seen by the collector
    tags    charge_point_id, site, client, ocpp_version ("1.6" | "2.0.1")
    fields  connected (integer 1/0 rather than boolean: InfluxQL can aggregate integers, e.g.
            last() per interval with fill(previous), then mean() for availability),
            reason (string: connected | closed | timeout | replaced | error)

``ocpp_status``  one point per connector status change
    tags    charge_point_id, site, client, connector_id ("0" is the charger as a whole;
            the EVSE id for OCPP 2.0.1), status, error_code
    fields  vendor_id, vendor_error_code, info (strings: charger-supplied free text is kept
            out of tags so that it cannot create series)

``ocpp_meter``  one point per sampled value
    tags    charge_point_id, site, client, connector_id, measurand (OCPP name, e.g.
            "Power.Active.Import"), phase (absent when the charger sent none)
    fields  value (float, in the base unit of MeterSample: W, J, ratio, A, V, Hz, °C),
            unit (string)

Encoding of charger-supplied strings: ``influxdb-client`` escapes tag values and string fields.
Line protocol cannot carry a line break in any value (VictoriaMetrics would even read the rest
of the value as a new point), so CR, LF and TAB are written as the two characters ``\\r``,
``\\n``, ``\\t`` in tags (the library's own rule) and in string fields (done here). A tag value
ending in a backslash gets a trailing space from the library. An empty tag value is omitted, as
line protocol requires. Tag values are cut to 128 characters and string fields to 1024: they
come from chargers and are untrusted.

Reading it back: InfluxDB 1.x (InfluxQL) sees exactly the measurements, tags and fields above.
VictoriaMetrics names each field ``<measurement>_<field>`` (``ocpp_meter_value``,
``ocpp_connection_connected``) with the tags as labels; it stores string fields as the value 0,
so ``reason``, ``vendor_id``, ``vendor_error_code``, ``info`` and ``unit`` are not readable there.
It also reads a backslash before an escaped space or comma in a tag differently from InfluxDB and
skips such a line (only that line): a charger id or status containing ``\\ `` or ``\\,`` has no
history there.
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Literal, Protocol

import httpx
from influxdb_client.client.influxdb_client import InfluxDBClient
from influxdb_client.client.write.point import Point
from influxdb_client.client.write_api import SYNCHRONOUS
from influxdb_client.domain.write_precision import WritePrecision
from influxdb_client.rest import ApiException

from exporter.events import ConnectionChanged, Event, StatusChanged
from exporter.selfmetrics import ExporterMetrics

log = logging.getLogger(__name__)

# influxdb-client declares its enums as plain str constants; this is the value write() expects.
PRECISION: WritePrecision = WritePrecision.MS  # type: ignore[assignment]
# Same cap as charger-supplied Prometheus label values; enough for any real id or code.
MAX_TAG_CHARS = 128
# OCPP bounds its free-text fields at 50 (1.6 info) to 500 (2.0.1 techInfo) characters.
MAX_TEXT_CHARS = 1024
# HTTP statuses that mean "this data will never be accepted": retrying the batch cannot help.
REJECTED_STATUSES = frozenset({400, 413, 422})

# The worker shares the GIL with the OCPP loop. Converting a whole batch in one go holds it for
# a full switch interval (5 ms) at a time; yielding every 50 points (1-2 ms of work) cut the
# loop's median lag while the worker catches up on a backlog from 5.3 ms to about 1 ms.
YIELD_EVERY = 50

_LINE_BREAKS = str.maketrans({"\n": "\\n", "\r": "\\r", "\t": "\\t"})


def _tag(value: str) -> str:
    return value[:MAX_TAG_CHARS]


def _text(value: str) -> str:
    return value[:MAX_TEXT_CHARS].translate(_LINE_BREAKS)


@dataclass(frozen=True, slots=True)
class Record:
    """One point of the schema above, before line-protocol encoding."""

    measurement: str
    tags: dict[str, str]
    fields: dict[str, str | int | float]
    time_ms: int


def _charger_tags(event: Event) -> dict[str, str]:
    charger = event.charger
    return {
        "charge_point_id": _tag(charger.charge_point_id),
        "site": _tag(charger.site),
        "client": _tag(charger.client),
    }


def to_record(event: Event) -> Record | None:
    """The point for one event, or None when the event holds nothing writable (a NaN reading)."""
    tags = _charger_tags(event)
    time_ms = round(event.time * 1000)
    if isinstance(event, ConnectionChanged):
        tags["ocpp_version"] = _tag(event.ocpp_version)
        fields: dict[str, str | int | float] = {
            "connected": int(event.connected),
            "reason": _text(event.reason),
        }
        return Record("ocpp_connection", tags, fields, time_ms)
    tags["connector_id"] = str(event.connector_id)
    if isinstance(event, StatusChanged):
        tags["status"] = _tag(event.status)
        tags["error_code"] = _tag(event.error_code)
        fields = {
            "vendor_id": _text(event.vendor_id),
            "vendor_error_code": _text(event.vendor_error_code),
            "info": _text(event.info),
        }
        return Record("ocpp_status", tags, fields, time_ms)
    value = float(event.value)  # always a float field: an int would conflict with earlier floats
    if not math.isfinite(value):
        return None
    tags["measurand"] = _tag(event.measurand)
    tags["phase"] = _tag(event.phase)
    fields = {"value": value, "unit": _text(event.unit)}
    return Record("ocpp_meter", tags, fields, time_ms)


def encode(record: Record) -> str:
    """One line of line protocol; escaping is influxdb-client's (its API is untyped)."""
    point = Point.from_dict(
        {
            "measurement": record.measurement,
            "tags": record.tags,
            "fields": record.fields,
            "time": record.time_ms,
        },
        write_precision=PRECISION,
    )
    return str(point.to_line_protocol())


def to_line(event: Event) -> str | None:
    record = to_record(event)
    return None if record is None else encode(record)


class WriteFailed(Exception):
    """A write that may succeed if retried: server down, timeout, 5xx, 429, auth, missing bucket."""


class WriteRejected(Exception):
    """The server refused the data itself (HTTP 400/413/422); retrying cannot help."""


def _raise_for_status(status: int, detail: str) -> None:
    if 200 <= status < 300:
        return
    message = f"HTTP {status}: {detail[:500]}"
    if status in REJECTED_STATUSES:
        raise WriteRejected(message)
    raise WriteFailed(message)


class LineTransport(Protocol):
    """Sends one batch of line protocol (millisecond timestamps). Runs on the worker thread."""

    def write(self, body: str) -> None:
        """Return when the server accepted the batch; raise WriteFailed or WriteRejected."""
        ...

    def close(self) -> None: ...


class InfluxV2Transport:
    """``/api/v2/write`` through influxdb-client's synchronous write API."""

    def __init__(self, url: str, token: str, org: str, bucket: str, timeout: float) -> None:
        self._org = org
        self._bucket = bucket
        # retries=False: each attempt is counted and backed off by the writer, not by urllib3.
        self._client = InfluxDBClient(
            url=url, token=token, org=org, timeout=round(timeout * 1000), retries=False
        )
        self._api = self._client.write_api(write_options=SYNCHRONOUS)

    def write(self, body: str) -> None:
        try:
            self._api.write(
                bucket=self._bucket, org=self._org, record=body, write_precision=PRECISION
            )
        except ApiException as exc:
            raw = exc.body
            detail = raw.decode(errors="replace") if isinstance(raw, bytes) else raw
            _raise_for_status(int(exc.status or 0), str(detail or exc.reason))
        except Exception as exc:  # urllib3 and socket errors: the server is unreachable
            raise WriteFailed(f"{type(exc).__name__}: {exc}") from exc

    def close(self) -> None:
        self._client.close()  # type: ignore[no-untyped-call]


class InfluxV1Transport:
    """InfluxDB 1.x ``/write``: the same line protocol, database and retention policy in the URL.

    Follows InfluxDB 1.8's own mapping for v2 clients: bucket is ``database`` or
    ``database/retention_policy`` and the token is ``username:password`` (empty: no auth).
    """

    def __init__(self, url: str, token: str, bucket: str, timeout: float) -> None:
        database, _, retention_policy = bucket.partition("/")
        self._params = {"db": database, "precision": "ms"}
        if retention_policy:
            self._params["rp"] = retention_policy
        username, _, password = token.partition(":")
        auth = httpx.BasicAuth(username, password) if token else None
        self._client = httpx.Client(base_url=url, auth=auth, timeout=timeout)

    def write(self, body: str) -> None:
        try:
            response = self._client.post("/write", params=self._params, content=body.encode())
        except httpx.HTTPError as exc:
            raise WriteFailed(f"{type(exc).__name__}: {exc}") from exc
        _raise_for_status(response.status_code, response.text)

    def close(self) -> None:
        self._client.close()


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

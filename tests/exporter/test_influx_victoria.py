"""InfluxWriter against a real VictoriaMetrics, which accepts the InfluxDB v2 write API.

Points are read back through VictoriaMetrics' export API, where a field becomes the metric
``<measurement>_<field>`` with the tags as labels (string fields are stored as 0).
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client import CollectorRegistry

from chargekeeper.net import free_port
from exporter.events import ChargerRef, ConnectionChanged, Event, MeterSample, StatusChanged
from exporter.influx import InfluxWriter
from exporter.selfmetrics import ExporterMetrics
from tests.support.procs import ServerProcess, require_binary, wait_for_http

pytestmark = pytest.mark.slow

WAIT_SECONDS = 15.0  # generous: the machine is shared; passing runs take well under a second

# Fast retries so that the failure-path tests take a fraction of a second per attempt.
FAST_RETRY: dict[str, Any] = {"retry_min": 0.05, "retry_max": 0.2, "flush_interval": 0.05}


def recent() -> float:
    """A minute ago: VictoriaMetrics' export API does not return points from the future."""
    return time.time() - 60


class Victoria:
    def __init__(self, tmp_path: Path, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.proc = ServerProcess(
            "victoria-metrics",
            [
                require_binary("victoria-metrics"),
                f"-httpListenAddr=127.0.0.1:{port}",
                f"-storageDataPath={tmp_path / 'vm-data'}",
            ],
            tmp_path,
        )
        wait_for_http(f"{self.url}/health", proc=self.proc)

    def export(self, match: str, samples: int) -> list[dict[str, Any]]:
        """The series matching ``match`` as {"metric": labels, "values": [...], ...}, once
        ``samples`` values are readable (new series become searchable a moment after a flush).
        """
        httpx.get(f"{self.url}/internal/force_flush", timeout=10).raise_for_status()
        deadline = time.monotonic() + 10
        while True:
            response = httpx.get(f"{self.url}/api/v1/export", params={"match[]": match})
            response.raise_for_status()
            series = [json.loads(line) for line in response.text.splitlines()]
            if sum(len(s["values"]) for s in series) >= samples or time.monotonic() > deadline:
                return series
            time.sleep(0.05)


@pytest.fixture
def victoria(tmp_path: Path) -> Iterator[Victoria]:
    server = Victoria(tmp_path, free_port())
    yield server
    server.proc.stop()


class Stats:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry

    def __getitem__(self, name: str) -> float:
        value = self.registry.get_sample_value(f"chargekeeper_exporter_influxdb_{name}")
        assert value is not None, name
        return value


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


@pytest.fixture
def metrics(registry: CollectorRegistry) -> ExporterMetrics:
    return ExporterMetrics(registry)


@pytest.fixture
def stats(registry: CollectorRegistry) -> Stats:
    return Stats(registry)


def make_writer(url: str, metrics: ExporterMetrics, **options: Any) -> InfluxWriter:
    return InfluxWriter(url, "token", "org", "history", metrics, **options)


@pytest.fixture
async def writers() -> AsyncIterator[list[InfluxWriter]]:
    """Writers a test started; stopped afterwards even when the test failed."""
    started: list[InfluxWriter] = []
    yield started
    for writer in started:
        await writer.stop()


async def eventually(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {WAIT_SECONDS}s waiting for {what}")
        await asyncio.sleep(0.02)


def samples(count: int, charger: ChargerRef, start: float) -> list[Event]:
    return [
        MeterSample(charger, start + i / 1000, 1, "Power.Active.Import", "", float(i), "W")
        for i in range(count)
    ]


async def test_round_trip_keeps_tags_and_values(
    victoria: Victoria, metrics: ExporterMetrics, stats: Stats, writers: list[InfluxWriter]
) -> None:
    now = recent()
    cp = ChargerRef("CP-1", "lyon", "acme")
    writer = make_writer(victoria.url, metrics, **FAST_RETRY)
    writers.append(writer)
    await writer.start()
    writer.emit(ConnectionChanged(cp, now, True, "connected", "1.6"))
    writer.emit(StatusChanged(cp, now + 1, 2, "Faulted", "GroundFailure", "ABB", "E42", "leak"))
    writer.emit(MeterSample(cp, now + 2, 2, "Current.Import", "L2", 16.5, "A"))
    writer.emit(MeterSample(cp, now + 3, 2, "SoC", "", 0.42, "ratio"))
    await eventually(lambda: stats["points_written_total"] == 4, "4 points written")
    assert stats["write_failures_total"] == 0
    assert stats["buffer_points"] == 0

    ms = round(now * 1000)
    base = {"charge_point_id": "CP-1", "site": "lyon", "client": "acme"}
    # 2 fields per connection point, 3 per status point, 2 per meter point; one export.
    exported = victoria.export('{__name__=~"ocpp_.*"}', 2 + 3 + 2 * 2)
    by_name: dict[str, list[dict[str, Any]]] = {}
    for series in exported:
        by_name.setdefault(series["metric"].pop("__name__"), []).append(series)
    assert sorted(by_name) == [
        "ocpp_connection_connected",
        "ocpp_connection_reason",  # string fields are stored as 0 by VictoriaMetrics
        "ocpp_meter_unit",
        "ocpp_meter_value",
        "ocpp_status_info",
        "ocpp_status_vendor_error_code",
        "ocpp_status_vendor_id",
    ]
    [connection] = by_name["ocpp_connection_connected"]
    assert connection["metric"] == {**base, "ocpp_version": "1.6"}
    assert (connection["values"], connection["timestamps"]) == ([1], [ms])
    [status] = by_name["ocpp_status_info"]
    assert status["metric"] == {
        **base,
        "connector_id": "2",
        "status": "Faulted",
        "error_code": "GroundFailure",
    }
    assert status["timestamps"] == [ms + 1000]
    meters = {s["metric"]["measurand"]: s for s in by_name["ocpp_meter_value"]}
    assert meters["Current.Import"]["metric"] == {
        **base,
        "connector_id": "2",
        "measurand": "Current.Import",
        "phase": "L2",
    }
    assert meters["Current.Import"]["values"] == [16.5]
    assert "phase" not in meters["SoC"]["metric"]
    assert (meters["SoC"]["values"], meters["SoC"]["timestamps"]) == ([0.42], [ms + 3000])


# A backslash right before a space or comma is escaped by influxdb-client as InfluxDB reads it,
# but VictoriaMetrics reads "\\" as an escaped backslash and then rejects the line; those values
# are covered by test_influx_influxd. Line breaks arrive as the two characters "\n".
HOSTILE_IDS = {
    "space": ("CP 1", "CP 1"),
    "comma": ("CP,1", "CP,1"),
    "equals": ("k=v", "k=v"),
    "quotes": ("say \"hi\" 'x'", "say \"hi\" 'x'"),
    "backslash": ("C:\\P", "C:\\P"),
    "newline": ("CP\n1", "CP\\n1"),
    "unicode": ("Ladesäule ⚡ 充电桩", "Ladesäule ⚡ 充电桩"),
}
# VictoriaMetrics skips the lines carrying these (see the exporter.influx_schema docstring); the
# other lines of the same batch must still arrive.
LOST_IN_VICTORIA = ["a\\,b", "a\\ b"]
# A value that would add a point for another charger if a line break reached the server.
INJECTED = f"x 1\nocpp_meter,charge_point_id=victim value=666 {round(recent() * 1000)}\n"
HOSTILE_IDS["injection"] = (INJECTED, INJECTED.replace("\n", "\\n"))


async def test_hostile_strings_round_trip_and_cannot_inject_points(
    victoria: Victoria, metrics: ExporterMetrics, stats: Stats, writers: list[InfluxWriter]
) -> None:
    now = recent()
    writer = make_writer(victoria.url, metrics, **FAST_RETRY)
    writers.append(writer)
    await writer.start()
    hostile_text = 'info with "quotes", \\backslash\\, = signs\nand a line\n'
    for raw in LOST_IN_VICTORIA:
        writer.emit(MeterSample(ChargerRef(raw, "lost", "c"), now, 1, "SoC", "", 0.5, "ratio"))
    for name, (raw, _) in HOSTILE_IDS.items():
        cp = ChargerRef(raw, f"site {name}", raw)
        writer.emit(StatusChanged(cp, now, 1, raw, raw, raw, raw, hostile_text))
        writer.emit(MeterSample(cp, now, 1, raw, raw, 7.0, raw))
    written = 2 * len(HOSTILE_IDS) + len(LOST_IN_VICTORIA)
    await eventually(lambda: stats["points_written_total"] == written, "all points written")

    meters = victoria.export('{__name__=~"ocpp_.*"}', 5 * len(HOSTILE_IDS))
    # Exactly the series written: two fields per status-less meter point, three per status.
    by_site: dict[str, list[dict[str, str]]] = {}
    for series in meters:
        by_site.setdefault(series["metric"].get("site", "<no site>"), []).append(series["metric"])
    assert "lost" not in by_site  # a known VictoriaMetrics parsing difference, documented
    assert sorted(by_site) == sorted(f"site {name}" for name in HOSTILE_IDS)
    for name, (_, stored) in HOSTILE_IDS.items():
        labels = by_site[f"site {name}"]
        names = sorted(label["__name__"] for label in labels)
        assert names == [
            "ocpp_meter_unit",
            "ocpp_meter_value",
            "ocpp_status_info",
            "ocpp_status_vendor_error_code",
            "ocpp_status_vendor_id",
        ], name
        for label in labels:
            assert label["charge_point_id"] == stored, name
            assert label["client"] == stored, name
        status = next(label for label in labels if label["__name__"] == "ocpp_status_info")
        assert (status["status"], status["error_code"]) == (stored, stored), name
        meter = next(label for label in labels if label["__name__"] == "ocpp_meter_value")
        assert (meter["measurand"], meter["phase"]) == (stored, stored), name
    assert all(series["metric"]["charge_point_id"] != "victim" for series in meters)


async def test_server_down_then_up_delivers_the_buffered_points(
    tmp_path: Path, metrics: ExporterMetrics, stats: Stats, writers: list[InfluxWriter]
) -> None:
    port = free_port()
    writer = make_writer(f"http://127.0.0.1:{port}", metrics, batch_size=50, **FAST_RETRY)
    writers.append(writer)
    await writer.start()
    events = samples(120, ChargerRef("CP-down", "s", "c"), recent())
    for event in events:
        writer.emit(event)  # does not raise while nothing listens
    await eventually(lambda: stats["write_failures_total"] >= 3, "three failed attempts")
    assert stats["points_written_total"] == 0
    assert stats["buffer_points"] == 120
    assert stats["points_dropped_total"] == 0

    server = Victoria(tmp_path, port)
    try:
        await eventually(lambda: stats["points_written_total"] == 120, "buffered points written")
        assert stats["buffer_points"] == 0
        [series] = server.export("ocpp_meter_value", 120)
        assert series["values"] == [float(i) for i in range(120)]
        # Retries back off: at most a handful of attempts per second, not a busy loop.
        assert stats["write_failures_total"] < 100
    finally:
        server.proc.stop()


async def test_full_buffer_drops_the_oldest_and_counts_them(
    victoria: Victoria, metrics: ExporterMetrics, stats: Stats, writers: list[InfluxWriter]
) -> None:
    writer = make_writer(victoria.url, metrics, max_buffer=100, batch_size=30, **FAST_RETRY)
    writers.append(writer)
    for event in samples(250, ChargerRef("CP-full", "s", "c"), recent()):
        writer.emit(event)  # not started yet: everything stays in the buffer
    assert stats["points_dropped_total"] == 150
    assert stats["buffer_points"] == 100

    await writer.start()
    await eventually(lambda: stats["points_written_total"] == 100, "the kept points written")
    [series] = victoria.export("ocpp_meter_value", 100)
    assert series["values"] == [float(i) for i in range(150, 250)]  # the newest 100 survive


async def test_unwritable_event_is_counted_and_the_rest_written(
    victoria: Victoria, metrics: ExporterMetrics, stats: Stats, writers: list[InfluxWriter]
) -> None:
    writer = make_writer(victoria.url, metrics, **FAST_RETRY)
    writers.append(writer)
    await writer.start()
    cp = ChargerRef("CP-nan", "s", "c")
    writer.emit(MeterSample(cp, recent(), 1, "Power.Active.Import", "", float("nan"), "W"))
    writer.emit(MeterSample(cp, recent(), 1, "Power.Active.Import", "", 11.0, "W"))
    await eventually(lambda: stats["points_written_total"] == 1, "the valid point written")
    assert stats["points_dropped_total"] == 1
    [series] = victoria.export("ocpp_meter_value", 1)
    assert series["values"] == [11]


class BlackHole:
    """A TCP server that accepts connections and reads requests but never answers."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.request_started = threading.Event()
        self._open: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        try:
            while True:
                conn, _ = self.listener.accept()
                self._open.append(conn)
                if conn.recv(65536):
                    self.request_started.set()
        except OSError:  # closed by close()
            return

    def close(self) -> None:
        self.listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        self.listener.close()
        for conn in self._open:
            conn.close()
        self._thread.join(5)


async def test_emit_never_waits_for_the_network(metrics: ExporterMetrics, stats: Stats) -> None:
    hole = BlackHole()
    try:
        writer = make_writer(
            f"http://127.0.0.1:{hole.port}",
            metrics,
            batch_size=10,
            max_buffer=200_000,
            timeout=1.0,
            stop_timeout=0.2,
            **FAST_RETRY,
        )
        await writer.start()
        cp = ChargerRef("CP-fast", "s", "c")
        for event in samples(10, cp, recent()):
            writer.emit(event)
        # The worker is now blocked inside an HTTP write that will never be answered...
        await asyncio.to_thread(hole.request_started.wait, 10)
        assert hole.request_started.is_set()
        # ...and 100k emits on the event loop still complete, all buffered behind it.
        event = samples(1, cp, recent())[0]
        for _ in range(100_000):
            writer.emit(event)
        assert stats["points_written_total"] == 0
        assert stats["buffer_points"] == 100_010

        # stop() is bounded although the server never answers: the write times out (1 s), the
        # stop deadline has passed, and what is left is counted as dropped.
        started = time.monotonic()
        await writer.stop()
        assert time.monotonic() - started < 5
        assert stats["points_dropped_total"] == 100_010
        assert stats["write_failures_total"] >= 1
        writer.emit(event)  # after stop: dropped and counted, no error
        assert stats["points_dropped_total"] == 100_011
    finally:
        hole.close()


async def test_stop_flushes_what_is_buffered(
    victoria: Victoria, metrics: ExporterMetrics, stats: Stats
) -> None:
    writer = make_writer(victoria.url, metrics, flush_interval=60.0, batch_size=1000)
    await writer.start()
    for event in samples(500, ChargerRef("CP-stop", "s", "c"), recent()):
        writer.emit(event)
    await writer.stop()  # the long flush interval has not elapsed: stop itself writes
    assert stats["points_written_total"] == 500
    [series] = victoria.export("ocpp_meter_value", 500)
    assert len(series["values"]) == 500

"""The metrics endpoint: real scrapes, promtool's lint, gzip, and the OCPP loop during a scrape."""

from __future__ import annotations

import asyncio
import gc
import gzip
import json
import time
from pathlib import Path

import httpx
import pytest
from prometheus_client import CollectorRegistry

from exporter.http import MetricsServer, accepts_gzip, fleet_exposition
from exporter.selfmetrics import ExporterMetrics
from exporter.session import Session
from exporter.state import FleetState
from tests.exporter.conftest import charger, make_fleet, running_exporter, sample_value
from tests.support.procs import require_binary

TRACES = Path("/work/shared/fixtures/ocpp-traces")


def trace_frames(name: str) -> list[str]:
    return [line for line in (TRACES / name).read_text().splitlines() if line.strip()]


async def test_metrics_pass_promtool_check_with_real_traffic() -> None:
    promtool = require_binary("promtool")
    async with running_exporter(make_fleet("GRIZZLE", "S201", "NEVER-SEEN")) as exporter:
        async with (
            charger(exporter.url("GRIZZLE"), "ocpp1.6") as grizzle,
            charger(exporter.url("S201"), "ocpp2.0.1") as s201,
        ):
            for ws, trace in (
                (grizzle, "ocpp16_grizzle_full_session.jsonl"),
                (s201, "ocpp201_statusnotification.jsonl"),
            ):
                for frame in trace_frames(trace):
                    if json.loads(frame)[0] == 2:
                        await ws.send(frame)
                        await asyncio.wait_for(ws.recv(), 5)
            text = await exporter.scrape()
        promtool_run = await asyncio.create_subprocess_exec(
            promtool,
            "check",
            "metrics",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        output, _ = await promtool_run.communicate(text.encode())
        # promtool prints nothing and exits 0 when it finds nothing to fix.
        assert promtool_run.returncode == 0 and output == b"", output.decode()
        assert sample_value(text, "ocpp_charge_point_connected", charge_point_id="NEVER-SEEN") == 0
        assert sample_value(text, "process_start_time_seconds") is not None
        assert (
            sample_value(
                text,
                "chargekeeper_exporter_messages_total",
                ocpp_version="1.6",
                action="BootNotification",
            )
            == 1
        )


def fleet_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("ocpp_")]


async def test_gzip_head_health_and_unknown_paths() -> None:
    async with running_exporter(make_fleet("CP-1")) as exporter:
        base = f"http://127.0.0.1:{exporter.http.port}"
        async with httpx.AsyncClient() as client:
            plain = await client.get(f"{base}/metrics", headers={"Accept-Encoding": "identity"})
            assert plain.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
            assert "content-encoding" not in plain.headers
            raw = await client.get(f"{base}/metrics", headers={"Accept-Encoding": "gzip"})
            assert raw.headers["content-encoding"] == "gzip"
            assert fleet_lines(raw.text) == fleet_lines(plain.text)  # httpx decoded the gzip
            head = await client.head(f"{base}/metrics")
            assert head.status_code == 200 and head.content == b""
            health = await client.get(f"{base}/healthz")
            assert health.status_code == 200 and health.text == "ok\n"
            assert (await client.get(f"{base}/nope")).status_code == 404
            post = await client.post(f"{base}/metrics")
            assert post.status_code == 405 and post.headers["allow"] == "GET, HEAD"
        assert "ocpp_charge_point_connected" in plain.text


async def test_gzip_body_is_a_real_gzip_stream() -> None:
    async with running_exporter(make_fleet("CP-1")) as exporter:
        reader, writer = await asyncio.open_connection("127.0.0.1", exporter.http.port)
        writer.write(b"GET /metrics HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n")
        raw = await reader.read()
        writer.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    assert b"Transfer-Encoding: chunked" in head
    unchunked = b""
    while True:
        size_line, _, body = body.partition(b"\r\n")
        size = int(size_line, 16)
        if size == 0:
            break
        unchunked, body = unchunked + body[:size], body[size + 2 :]
    assert b"ocpp_charge_point_connected" in gzip.decompress(unchunked)


async def test_http_1_0_scrapers_get_a_plain_body() -> None:
    async with running_exporter(make_fleet("CP-1")) as exporter:
        reader, writer = await asyncio.open_connection("127.0.0.1", exporter.http.port)
        writer.write(b"GET /metrics HTTP/1.0\r\n\r\n")
        raw = await reader.read()
        writer.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK") and b"chunked" not in head
    assert sample_value(body.decode(), "ocpp_charge_point_connected", charge_point_id="CP-1") == 0


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("gzip", True),
        ("deflate, gzip;q=0.5", True),
        ("gzip;q=0", False),
        ("identity", False),
        ("*", True),
    ],
)
def test_accepts_gzip(header: str, expected: bool) -> None:
    assert accepts_gzip(header) is expected


async def test_malformed_requests_are_answered_or_dropped() -> None:
    async with running_exporter() as exporter:
        reader, writer = await asyncio.open_connection("127.0.0.1", exporter.http.port)
        writer.write(b"garbage\r\n\r\n")
        assert (await reader.read()).startswith(b"HTTP/1.1 400 ")
        writer.close()
        reader, writer = await asyncio.open_connection("127.0.0.1", exporter.http.port)
        writer.write(b"GET /" + b"a" * 20_000 + b" HTTP/1.1\r\n\r\n")  # head over the limit
        assert await reader.read() == b""
        writer.close()
        assert (await exporter.scrape()).startswith("# HELP")


def populated_state(chargers: int) -> tuple[FleetState, CollectorRegistry]:
    """A fleet of ``chargers`` booted chargers with two charging connectors each."""
    registry = CollectorRegistry()
    metrics = ExporterMetrics(registry)
    ids = [f"CP-{i:05d}" for i in range(chargers)]
    state = FleetState(make_fleet(*ids), metrics)
    frames = [
        [2, "b", "BootNotification", {"chargePointVendor": "ABB", "chargePointModel": "Terra"}],
        *(
            [
                2,
                f"s{c}",
                "StatusNotification",
                {"connectorId": c, "errorCode": "NoError", "status": "Charging"},
            ]
            for c in (1, 2)
        ),
        *(
            [
                2,
                f"m{c}",
                "MeterValues",
                {
                    "connectorId": c,
                    "meterValue": [
                        {
                            "timestamp": "2026-01-01T00:00:00Z",
                            "sampledValue": [
                                {"measurand": "Power.Active.Import", "unit": "W", "value": "7000"},
                                {"measurand": "SoC", "unit": "Percent", "value": "55"},
                            ],
                        }
                    ],
                },
            ]
            for c in (1, 2)
        ),
    ]
    encoded = [json.dumps(frame) for frame in frames]
    for cp in ids:
        state.connected(cp, "1.6")
        session = Session(cp, "1.6", state, metrics)
        for frame in encoded:
            session.handle(frame)
    return state, registry


async def test_a_scrape_of_10000_chargers_does_not_stall_the_event_loop(tmp_path: Path) -> None:
    state, registry = populated_state(10_000)
    # This measures how the endpoint shares the loop. A full garbage collection over 10,000
    # chargers' objects (tens of ms, whenever it happens) is a process-wide pause that would
    # land in the measurement at random: the fleet built above is kept out of the collector's
    # view for the duration of the test.
    gc.collect()
    gc.freeze()
    server = MetricsServer("127.0.0.1", 0, fleet_exposition(state, registry))
    await server.start()
    lags: list[float] = []
    held: list[float] = []
    stop = asyncio.Event()

    async def ticker() -> None:
        # Stands in for OCPP traffic: how late does a 1 ms timer fire during the scrape (wall
        # time), and how much CPU did this thread spend elsewhere meanwhile (the time the loop
        # was held, which unlike wall time does not grow when other processes take the CPU)?
        while not stop.is_set():
            before, cpu_before = time.perf_counter(), time.thread_time()
            await asyncio.sleep(0.001)
            lags.append(time.perf_counter() - before - 0.001)
            held.append(time.thread_time() - cpu_before)

    curl = require_binary("curl")
    tick = asyncio.create_task(ticker())
    try:
        for encoding in ("identity", "gzip"):
            # The scraper is another process, as Prometheus is: its work is not the loop's.
            body = tmp_path / f"metrics.{encoding}"
            scrape = await asyncio.create_subprocess_exec(
                curl,
                "-sS",
                "-o",
                str(body),
                "-w",
                "%{http_code} %{time_total}",
                "-H",
                f"Accept-Encoding: {encoding}",
                f"http://127.0.0.1:{server.port}/metrics",
                stdout=asyncio.subprocess.PIPE,
            )
            out, _ = await scrape.communicate()
            status, seconds = out.decode().split()
            assert status == "200"
            print(f"scrape ({encoding}): {float(seconds) * 1000:.0f} ms")
    finally:
        stop.set()
        await tick
        await server.stop()
        gc.unfreeze()
    # Checked after the measurement: reading 16 MB here would be the test's own loop lag.
    for encoding in ("identity", "gzip"):
        raw = (tmp_path / f"metrics.{encoding}").read_bytes()
        text = (gzip.decompress(raw) if encoding == "gzip" else raw).decode()
        assert text.count("ocpp_charge_point_connected{") == 10_000
    print(
        f"event loop during scrapes: worst lag {max(lags) * 1000:.1f} ms (wall), "
        f"held at most {max(held) * 1000:.1f} ms (CPU), {len(lags)} ticks"
    )
    assert max(held) < 0.05

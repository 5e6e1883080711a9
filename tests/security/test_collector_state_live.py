"""Issue 15's probe against the collector replayed end to end: a charger nobody here wrote (the
``ocpp`` library's ChargePoint) over real websockets takes a charger's id, plants faults with
hostile text and a "1e308" kW reading, then the real charger reconnects and boots; a real
Prometheus scrapes the real /metrics endpoint throughout.

What must hold: Prometheus never stores a control or bidi character nor a non-finite power, and
the planted faults end once the real charger has booted and reported its own connectors.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from ocpp.v16 import ChargePoint, call

from tests.exporter.conftest import RunningExporter, charger, running_exporter
from tests.support.procs import ServerProcess, free_port, require_binary, wait_for_http

HOSTILE = "\x1b[31mE\x07\x00\u202egpj.exe"
NOW = datetime.now(UTC).isoformat()

PROMETHEUS_YML = """\
global: {{scrape_interval: 1s}}
scrape_configs:
  - job_name: collector
    static_configs: [{{targets: ["127.0.0.1:{port}"]}}]
"""


@asynccontextmanager
async def prometheus(folder: Path, metrics_port: int) -> AsyncIterator[str]:
    """A real Prometheus scraping the collector every second; its URL."""
    (folder / "prometheus.yml").write_text(PROMETHEUS_YML.format(port=metrics_port))
    port = free_port()
    process = ServerProcess(
        "prometheus",
        [
            require_binary("prometheus"),
            f"--config.file={folder / 'prometheus.yml'}",
            f"--storage.tsdb.path={folder / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        folder,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        await asyncio.to_thread(wait_for_http, f"{url}/-/ready", 30.0, process)
        yield url
    finally:
        process.stop()


async def query(url: str, promql: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{url}/api/v1/query", params={"query": promql}, timeout=5)
    response.raise_for_status()
    result: list[dict[str, Any]] = response.json()["data"]["result"]
    return result


async def until(check: Callable[[], Awaitable[Any]], within: float, what: str) -> Any:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if value := await check():
            return value
        await asyncio.sleep(0.2)
    raise AssertionError(f"{what} within {within} s")


@asynccontextmanager
async def library_charger(exporter: RunningExporter, charge_point_id: str) -> AsyncIterator[Any]:
    async with charger(exporter.url(charge_point_id), "ocpp1.6") as ws:
        station = ChargePoint(charge_point_id, ws)
        listening = asyncio.create_task(station.start())
        try:
            yield station
        finally:
            listening.cancel()


def status(connector: int, state: str, error: str = "NoError", code: str = "") -> Any:
    extra = {"vendor_error_code": code} if code else {}
    return call.StatusNotification(connector, error, state, timestamp=NOW, **extra)


async def test_planted_faults_and_hostile_values_through_a_real_prometheus(tmp_path: Path) -> None:
    async with running_exporter() as exporter, prometheus(tmp_path, exporter.http.port) as url:
        exporter.state.stale_after_boot = 1.0  # seconds, not minutes, for the test
        async with library_charger(exporter, "CP-1") as attacker:
            await attacker.call(call.BootNotification("Terra", HOSTILE[:20]))
            await attacker.call(status(3, "Faulted", "GroundFailure", HOSTILE[:50]))
            sample = {"value": "1e308", "measurand": "Power.Active.Import", "unit": "kW"}
            meter_value = [{"timestamp": NOW, "sampledValue": [sample]}]
            await attacker.call(call.MeterValues(3, meter_value))

        async def planted() -> list[dict[str, Any]]:
            return await query(url, 'ocpp_connector_error{charge_point_id="CP-1"}')

        (error,) = await until(planted, 20, "Prometheus never stored the planted fault")
        stored = await query(url, '{charge_point_id="CP-1"}')
        labels = [value for row in stored for value in row["metric"].values()]
        assert any("gpj.exe" in value for value in labels)
        for value in labels:
            assert not any(char in value for char in "\x1b\x07\x00\u202e"), repr(value)
        assert error["metric"]["connector_id"] == "3"
        assert not await query(url, "ocpp_connector_power_watts")
        refused = await query(url, "chargekeeper_exporter_readings_refused_total")
        assert [row["metric"]["measurand"] for row in refused] == ["power"]
        values = [float(row["value"][1]) for row in stored]
        assert all(math.isfinite(value) for value in values)

        async with library_charger(exporter, "CP-1") as real:
            await real.call(call.BootNotification("Terra AC", "ABB"))
            await real.call(status(0, "Available"))
            await real.call(status(1, "Available"))

            async def expired() -> bool:
                connectors = await query(url, 'ocpp_connector_status{charge_point_id="CP-1"}')
                shown = {row["metric"]["connector_id"] for row in connectors}
                return shown == {"0", "1"} and not await planted()

            await until(expired, 20, "the planted fault did not expire after the real boot")

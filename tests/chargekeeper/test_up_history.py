"""The demo's history store: the influxd child `up --demo` runs, written by the collector's
InfluxDB 1.x writer with the settings `up` gives it, read back by the exact report command the
banner prints."""

from __future__ import annotations

import asyncio
import csv
import shlex
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from prometheus_client import CollectorRegistry

from chargekeeper.processes import ChildProcess
from chargekeeper.up import demo_config
from chargekeeper.up.history import (
    collector_history,
    create_database,
    history_port,
    influxd_process,
    report_command,
)
from exporter.events import ChargerRef, ConnectionChanged, StatusChanged
from exporter.influx import InfluxWriter
from exporter.selfmetrics import ExporterMetrics
from tests.support.procs import require_binary

pytestmark = pytest.mark.slow

LYON = ChargerRef("LYON-0001", "lyon-part-dieu", "retailco")
PARIS = ZoneInfo("Europe/Paris")


def _fault_window() -> tuple[datetime, datetime]:
    """A ten-minute fault in the recent past, on whole minutes (the report counts minutes),
    inside one calendar month in Paris."""
    end = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=5)
    start = end - timedelta(minutes=10)
    if start.astimezone(PARIS).month != end.astimezone(PARIS).month:
        end, start = start, start - timedelta(minutes=10)
    return start, end


def _collector_writer(settings: dict[str, Any]) -> InfluxWriter:
    """The collector's writer as `up` configures it (token read from the file it wrote)."""
    return InfluxWriter(
        settings["url"],
        Path(settings["token_file"]).read_text().strip(),
        settings["org"],
        settings["bucket"],
        ExporterMetrics(CollectorRegistry()),
        api=settings["api"],
    )


async def test_report_availability_reads_what_the_collector_wrote(tmp_path: Path) -> None:
    require_binary("influxd")
    state = tmp_path / "state"
    port = history_port()
    influxd: ChildProcess = influxd_process(state, port)
    await influxd.start()
    try:
        url = f"http://127.0.0.1:{port}"
        await create_database(url)
        await create_database(url)  # a restart of `up` finds the database there: no error
        settings = collector_history(url, state)
        writer = _collector_writer(settings)
        start, end = _fault_window()
        since = (start - timedelta(minutes=20)).timestamp()
        await writer.start()
        writer.emit(ConnectionChanged(LYON, since, True, "connected", "1.6"))
        for connector in (0, 1, 2):
            writer.emit(StatusChanged(LYON, since, connector, "Available", "NoError", "", "", ""))
        writer.emit(
            StatusChanged(
                LYON, start.timestamp(), 1, "Faulted", "OtherError", "", "https://x", "CX011"
            )
        )
        writer.emit(StatusChanged(LYON, end.timestamp(), 1, "Available", "NoError", "", "", ""))
        await writer.stop()

        config = demo_config(state)
        month = start.astimezone(PARIS).strftime("%Y-%m")
        command = report_command(config, url, "retailco", month, tmp_path / "out")
        argv = shlex.split(command)
        assert argv[0] == "chargekeeper"
        argv[0] = str(Path(sys.executable).with_name("chargekeeper"))
        report = await asyncio.create_subprocess_exec(*argv, stderr=asyncio.subprocess.PIPE)
        _, stderr = await asyncio.wait_for(report.communicate(), 120)
    finally:
        await influxd.stop()
    assert report.returncode == 0, stderr.decode()
    ports = tmp_path / "out" / f"availability-retailco-{month}-ports.csv"
    with ports.open() as table:
        rows = {(r["charge_point_id"], r["connector_id"]): r for r in csv.DictReader(table)}
    assert int(rows[("LYON-0001", "1")]["minutes_faulted"]) == 10
    assert int(rows[("LYON-0001", "2")]["minutes_faulted"]) == 0


def test_the_report_command_quotes_paths(tmp_path: Path) -> None:
    odd = tmp_path / "my state" / "config"
    command = report_command(odd, "http://127.0.0.1:8086", "retailco", "2026-12", tmp_path)
    argv = shlex.split(command)
    assert argv[argv.index("--config") + 1] == str(odd)
    assert argv[argv.index("--influxdb-database") + 1] == "chargekeeper"

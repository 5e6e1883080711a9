"""Every InfluxQL query of every panel against a real influxd holding points written by the
collector's real InfluxWriter(api="v1"): each must run, and return data for a charger that has
a connection, status and meter history."""

from __future__ import annotations

import asyncio
import time

import pytest
from prometheus_client import CollectorRegistry

from exporter.events import ChargerRef, ConnectionChanged, MeterSample, StatusChanged
from exporter.influx import InfluxWriter
from exporter.selfmetrics import ExporterMetrics
from tests.exporter.test_influx_influxd import DATABASE, Influxd
from tests.grafana.panels import dashboards, interpolate, queries

pytestmark = pytest.mark.slow

CHARGER = ChargerRef("CP-7", "lyon-part-dieu", "acme")
# Grafana's own interpolation for the last two hours at one-minute resolution.
BUILTIN = {"timeFilter": "time > now() - 2h", "__interval": "1m"}
VALUES = {"client": "acme", "site": "lyon-part-dieu", "charger": "CP-7"}


async def _write_history(influxd_server: Influxd) -> None:
    writer = InfluxWriter(
        influxd_server.url,
        "",
        "",
        DATABASE,
        ExporterMetrics(CollectorRegistry()),
        api="v1",
        flush_interval=0.05,
    )
    await writer.start()
    start = time.time() - 3600
    writer.emit(ConnectionChanged(CHARGER, start, True, "connected", "1.6"))
    writer.emit(StatusChanged(CHARGER, start + 1, 1, "Available", "NoError", "", "", ""))
    writer.emit(
        StatusChanged(CHARGER, start + 60, 1, "Faulted", "GroundFailure", "ABB", "E42", "trip")
    )
    writer.emit(ConnectionChanged(CHARGER, start + 1800, False, "timeout", "1.6"))
    for minute in range(10):
        at = start + 120 + minute * 60
        writer.emit(MeterSample(CHARGER, at, 1, "SoC", "", 0.2 + minute / 100, "ratio"))
        writer.emit(MeterSample(CHARGER, at, 1, "Power.Active.Import", "", 7400.0, "W"))
    await writer.stop()


@pytest.fixture(scope="module")
def history(influxd_server: Influxd) -> Influxd:
    asyncio.run(_write_history(influxd_server))
    return influxd_server


def _cases() -> list[tuple[str, str]]:
    return [
        (str(query), interpolate(query.text, VALUES | BUILTIN))
        for board in dashboards().values()
        for query in queries(board, "influxdb")
    ]


@pytest.mark.parametrize(("name", "influxql"), _cases(), ids=[name for name, _ in _cases()])
def test_panel_query_returns_data(history: Influxd, name: str, influxql: str) -> None:
    series = history.query(influxql)  # raises on an InfluxQL error
    assert any(value is not None for one in series for row in one["values"] for value in row[1:]), (
        f"no data: {name}"
    )

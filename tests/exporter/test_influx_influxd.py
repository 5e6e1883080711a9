"""InfluxWriter with api="v1" against a real InfluxDB 1.x (Debian's influxd), read back in InfluxQL.

This is what the dashboards query: measurements, tags and fields exactly as documented in
exporter.influx_schema, including the string fields that VictoriaMetrics cannot store.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client import CollectorRegistry

from chargekeeper.net import free_port
from exporter.events import ChargerRef, ConnectionChanged, MeterSample, StatusChanged
from exporter.influx import InfluxWriter
from exporter.selfmetrics import ExporterMetrics
from tests.support.procs import ServerProcess, require_binary, wait_for_http

pytestmark = pytest.mark.slow

WAIT_SECONDS = 15.0  # generous: the machine is shared; passing runs take well under a second

DATABASE = "chargekeeper"
FAST: dict[str, Any] = {"retry_min": 0.05, "retry_max": 0.2, "flush_interval": 0.05}


ADMIN = ("admin", "s3cret pass:word")


class Influxd:
    """influxd on 127.0.0.1; with ``auth`` it requires the ADMIN user for everything."""

    def __init__(self, tmp_path: Path, *, auth: bool = False) -> None:
        http_port, rpc_port = free_port(), free_port()
        data = tmp_path / "influxd"
        config = tmp_path / "influxd.conf"
        config.write_text(
            f"""\
reporting-disabled = true
bind-address = "127.0.0.1:{rpc_port}"
[meta]
  dir = "{data / "meta"}"
[data]
  dir = "{data / "data"}"
  wal-dir = "{data / "wal"}"
  query-log-enabled = false
[monitor]
  store-enabled = false
[http]
  bind-address = "127.0.0.1:{http_port}"
  log-enabled = false
  auth-enabled = {str(auth).lower()}
"""
        )
        self.auth = httpx.BasicAuth(*ADMIN) if auth else None
        self.url = f"http://127.0.0.1:{http_port}"
        self.proc = ServerProcess(
            "influxd", [require_binary("influxd"), "-config", str(config)], tmp_path
        )
        wait_for_http(f"{self.url}/ping", proc=self.proc)
        if auth:  # the first user may be created without credentials
            user, password = ADMIN
            self.query(f"CREATE USER {user} WITH PASSWORD '{password}' WITH ALL PRIVILEGES")
        self.query(f"CREATE DATABASE {DATABASE}")

    def query(self, influxql: str) -> list[dict[str, Any]]:
        """The series of the first statement's result (empty when it matched nothing)."""
        response = httpx.post(
            f"{self.url}/query",
            data={"q": influxql, "db": DATABASE, "epoch": "ms"},
            auth=self.auth,
        )
        response.raise_for_status()
        [result] = response.json()["results"]
        assert "error" not in result, result
        series: list[dict[str, Any]] = result.get("series", [])
        return series

    def write_lines(self, body: str) -> None:
        response = httpx.post(
            f"{self.url}/write",
            params={"db": DATABASE, "precision": "ms"},
            content=body,
            auth=self.auth,
        )
        assert response.status_code == 204, response.text

    def rows(self, influxql: str) -> list[dict[str, Any]]:
        """Rows as column -> value dicts, across all series."""
        return [
            dict(zip(series["columns"], values, strict=True))
            for series in self.query(influxql)
            for values in series["values"]
        ]


@pytest.fixture
def influxd(tmp_path: Path) -> Iterator[Influxd]:
    server = Influxd(tmp_path)
    yield server
    server.proc.stop()


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


def counter(registry: CollectorRegistry, name: str) -> float:
    value = registry.get_sample_value(f"chargekeeper_exporter_influxdb_{name}")
    assert value is not None, name
    return value


async def eventually(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {WAIT_SECONDS}s waiting for {what}")
        await asyncio.sleep(0.02)


def v1_writer(influxd: Influxd, registry: CollectorRegistry, **options: Any) -> InfluxWriter:
    return InfluxWriter(
        influxd.url, "", "", DATABASE, ExporterMetrics(registry), api="v1", **options
    )


async def test_schema_as_influxql_sees_it(influxd: Influxd, registry: CollectorRegistry) -> None:
    now = time.time()
    ms = round(now * 1000)
    cp = ChargerRef("CP-1", "lyon", "acme")
    writer = v1_writer(influxd, registry, **FAST)
    await writer.start()
    writer.emit(ConnectionChanged(cp, now, True, "connected", "2.0.1"))
    writer.emit(ConnectionChanged(cp, now + 0.001, False, "timeout", "2.0.1"))  # same second
    writer.emit(StatusChanged(cp, now, 1, "Faulted", "OtherError", "ABB", "E42", "Ground fault"))
    writer.emit(MeterSample(cp, now, 1, "Power.Active.Import", "", 7400.0, "W"))
    await writer.stop()
    assert counter(registry, "points_written_total") == 4

    base = {"charge_point_id": "CP-1", "site": "lyon", "client": "acme"}
    assert influxd.rows('SELECT * FROM "ocpp_connection"') == [
        {"time": ms, **base, "ocpp_version": "2.0.1", "connected": 1, "reason": "connected"},
        {"time": ms + 1, **base, "ocpp_version": "2.0.1", "connected": 0, "reason": "timeout"},
    ]
    assert influxd.rows('SELECT * FROM "ocpp_status"') == [
        {
            "time": ms,
            **base,
            "connector_id": "1",
            "status": "Faulted",
            "error_code": "OtherError",
            "vendor_id": "ABB",
            "vendor_error_code": "E42",
            "info": "Ground fault",
        }
    ]
    assert influxd.rows('SELECT * FROM "ocpp_meter"') == [
        {
            "time": ms,
            **base,
            "connector_id": "1",
            "measurand": "Power.Active.Import",  # no phase tag: the charger sent none
            "unit": "W",
            "value": 7400,
        }
    ]
    # Field types as InfluxQL dashboards rely on them (mean(connected) is availability).
    fields = {s["name"]: s["values"] for s in influxd.query("SHOW FIELD KEYS")}
    assert sorted(fields["ocpp_connection"]) == [["connected", "integer"], ["reason", "string"]]
    assert sorted(fields["ocpp_meter"]) == [["unit", "string"], ["value", "float"]]
    tags = {s["name"]: sorted(v[0] for v in s["values"]) for s in influxd.query("SHOW TAG KEYS")}
    assert tags["ocpp_status"] == [
        "charge_point_id",
        "client",
        "connector_id",
        "error_code",
        "site",
        "status",
    ]


# What influxd reads back for each hostile string, in tags and in string fields. Line breaks
# and tabs become the two-character escapes; a trailing backslash becomes a space in a tag.
HOSTILE = [
    ("a b", "a b", "a b"),
    ("a,b", "a,b", "a,b"),
    ("a=b", "a=b", "a=b"),
    ('say "hi"', 'say "hi"', 'say "hi"'),
    ("C:\\P", "C:\\P", "C:\\P"),
    ("a\\,b", "a\\,b", "a\\,b"),
    ("a\\ b", "a\\ b", "a\\ b"),
    ("ends\\", "ends ", "ends\\"),
    ("line\nbreak\r\ttab", "line\\nbreak\\r\\ttab", "line\\nbreak\\r\\ttab"),
    ("Ladesäule ⚡ 充电桩", "Ladesäule ⚡ 充电桩", "Ladesäule ⚡ 充电桩"),
    ('x" 1\nocpp_connection,charge_point_id=victim connected=0i 1', None, None),
]


async def test_hostile_strings_round_trip(influxd: Influxd, registry: CollectorRegistry) -> None:
    now = time.time()
    writer = v1_writer(influxd, registry, **FAST)
    await writer.start()
    for index, (raw, _, _) in enumerate(HOSTILE):
        charger = ChargerRef(raw, f"s{index}", raw)
        writer.emit(StatusChanged(charger, now, 1, raw, raw, raw, raw, raw))
    await writer.stop()
    assert counter(registry, "points_written_total") == len(HOSTILE)
    assert counter(registry, "points_dropped_total") == 0

    rows = {row["site"]: row for row in influxd.rows('SELECT * FROM "ocpp_status"')}
    assert sorted(rows) == sorted(f"s{index}" for index in range(len(HOSTILE)))
    for index, (raw, in_tag, in_field) in enumerate(HOSTILE):
        row = rows[f"s{index}"]
        if in_tag is None or in_field is None:  # the injection attempt: one point, no victim
            in_tag = raw.replace("\n", "\\n")
            in_field = in_tag
        for tag in ("charge_point_id", "client", "status", "error_code"):
            assert row[tag] == in_tag, (raw, tag)
        for field in ("vendor_id", "vendor_error_code", "info"):
            assert row[field] == in_field, (raw, field)
    assert influxd.rows('SELECT * FROM "ocpp_connection"') == []


async def test_rejected_batch_is_dropped_and_later_batches_still_written(
    influxd: Influxd, registry: CollectorRegistry
) -> None:
    # A float "connected" from an older schema: InfluxDB refuses the integer field (HTTP 400,
    # field type conflict). Retrying cannot help, so that batch is dropped and counted.
    now = time.time()
    influxd.write_lines(f"ocpp_connection,charge_point_id=old connected=1 {round(now * 1000) - 1}")
    writer = v1_writer(influxd, registry, **FAST)
    await writer.start()
    cp = ChargerRef("CP-9", "s", "c")
    writer.emit(ConnectionChanged(cp, now, True, "connected", "1.6"))
    await eventually(lambda: counter(registry, "points_dropped_total") == 1, "rejection")
    writer.emit(MeterSample(cp, now, 1, "SoC", "", 0.5, "ratio"))
    await writer.stop()
    assert counter(registry, "points_written_total") == 1
    assert counter(registry, "write_failures_total") == 0
    assert [row["value"] for row in influxd.rows('SELECT * FROM "ocpp_meter"')] == [0.5]


async def test_wrong_database_is_retried_until_it_exists(
    influxd: Influxd, registry: CollectorRegistry
) -> None:
    writer = InfluxWriter(influxd.url, "", "", "later", ExporterMetrics(registry), api="v1", **FAST)
    await writer.start()
    writer.emit(MeterSample(ChargerRef("CP-2", "s", "c"), time.time(), 1, "SoC", "", 0.1, "ratio"))
    await eventually(lambda: counter(registry, "write_failures_total") >= 2, "failed attempts")
    influxd.query("CREATE DATABASE later")
    await eventually(lambda: counter(registry, "points_written_total") == 1, "write after fix")
    await writer.stop()


async def test_credentials_go_in_the_token_as_user_colon_password(
    tmp_path: Path, registry: CollectorRegistry
) -> None:
    server = Influxd(tmp_path, auth=True)
    try:
        wrong = CollectorRegistry()
        sample = MeterSample(ChargerRef("CP-3", "s", "c"), time.time(), 1, "SoC", "", 0.3, "ratio")
        refused = InfluxWriter(
            server.url,
            "admin:wrong",
            "",
            DATABASE,
            ExporterMetrics(wrong),
            api="v1",
            stop_timeout=0.3,
            **FAST,
        )
        await refused.start()
        refused.emit(sample)
        await eventually(lambda: counter(wrong, "write_failures_total") >= 2, "401 retried")
        await refused.stop()  # gives up after stop_timeout: the point is lost, and counted
        assert counter(wrong, "points_written_total") == 0
        assert counter(wrong, "points_dropped_total") == 1

        writer = InfluxWriter(
            server.url, ":".join(ADMIN), "", DATABASE, ExporterMetrics(registry), api="v1", **FAST
        )
        await writer.start()
        writer.emit(sample)
        await writer.stop()
        assert counter(registry, "points_written_total") == 1
        assert [row["value"] for row in server.rows('SELECT * FROM "ocpp_meter"')] == [0.3]
    finally:
        server.proc.stop()

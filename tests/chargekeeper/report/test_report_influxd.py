"""``chargekeeper report availability`` end to end: the hand-computed month of
test_availability.py written by the collector's real InfluxWriter(api="v1") into a real
influxd, maintenance from a policy file, the report read back as CSV and HTML."""

from __future__ import annotations

import csv
import io
import itertools
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from exporter.events import ChargerRef, ConnectionChanged, Event, StatusChanged
from exporter.influx import InfluxWriter
from exporter.selfmetrics import ExporterMetrics
from tests.exporter.test_influx_influxd import Influxd

pytestmark = pytest.mark.slow

T0 = datetime(2026, 2, 1, tzinfo=UTC).timestamp()
LONG_AGO = datetime(2025, 1, 1, tzinfo=UTC).timestamp()  # before the NEVI year
MONTH_MINUTES = 28 * 24 * 60
YEAR_MINUTES = 365 * 24 * 60  # March 2025 to February 2026
_databases = itertools.count()

CP1 = ChargerRef("CP-1", "lyon", "acme")
CP2 = ChargerRef("CP-2", "lyon", "acme")
OTHER = ChargerRef("X-1", "elsewhere", "globex")


def at(minutes: float) -> float:
    return T0 + minutes * 60


def connection(charger: ChargerRef, time: float, connected: bool) -> ConnectionChanged:
    return ConnectionChanged(
        charger, time, connected, "connected" if connected else "closed", "1.6"
    )


def status(charger: ChargerRef, time: float, connector: int, value: str) -> StatusChanged:
    error = "OtherError" if value == "Faulted" else "NoError"
    return StatusChanged(charger, time, connector, value, error, "", "", "")


# The month of tests/report/test_availability.py, as the collector would have seen it.
EVENTS: list[Event] = [
    # Older states the reader must not mistake for the state the periods start in.
    connection(CP1, LONG_AGO - 86400, False),
    status(CP1, LONG_AGO - 86400, 1, "Faulted"),
    status(CP1, LONG_AGO - 86400, 0, "Unavailable"),
    connection(CP1, LONG_AGO, True),
    *(status(CP1, LONG_AGO, connector, "Available") for connector in (0, 1, 2)),
    connection(CP1, at(60), False),
    connection(CP1, at(90), True),
    status(CP1, at(120), 1, "Faulted"),
    status(CP1, at(135.5), 1, "Available"),
    status(CP1, at(210), 2, "Unavailable"),
    status(CP1, at(250), 2, "Available"),
    status(CP1, at(300), 2, "Charging"),
    connection(CP1, at(330), True),
    status(CP1, at(400), 0, "Faulted"),
    status(CP1, at(410), 0, "Available"),
    connection(CP2, at(1000), True),
    status(CP2, at(1000.5), 1, "Available"),
    # Another client's charger, down all month: must not appear.
    connection(OTHER, LONG_AGO, False),
    status(OTHER, LONG_AGO, 1, "Faulted"),
    # After the month: must not count.
    connection(CP1, at(MONTH_MINUTES + 10), False),
]

FLEET = """\
clients: [{id: acme}, {id: globex}]
sites:
  - {id: lyon, client: acme, timezone: Europe/Paris}
  - {id: elsewhere, client: globex}
chargers:
  - {id: CP-1, site: lyon}
  - {id: CP-2, site: lyon}
  - {id: X-1, site: elsewhere}
"""
POLICY = """\
maintenance:
  - {charger: CP-1, start: "2026-02-01T03:20:00Z", end: "2026-02-01T04:20:00Z", reason: relay}
"""


async def write(influxd: Influxd, events: list[Event]) -> str:
    database = f"report{next(_databases)}"
    influxd.query(f"CREATE DATABASE {database}")
    writer = InfluxWriter(
        influxd.url,
        "",
        "",
        database,
        ExporterMetrics(CollectorRegistry()),
        api="v1",
        flush_interval=0.05,
    )
    await writer.start()
    for event in events:
        writer.emit(event)
    await writer.stop()
    return database


def report(
    tmp_path: Path, influxd: Influxd, database: str, *extra: str
) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "config"
    config.mkdir(exist_ok=True)
    (config / "fleet.yaml").write_text(FLEET)
    (config / "policy.yaml").write_text(POLICY)
    argv = [
        str(Path(sys.executable).with_name("chargekeeper")),
        "report",
        "availability",
        "--client",
        "acme",
        "--month",
        "2026-02",
        "--config",
        str(config),
        "--influxdb-url",
        influxd.url,
        "--influxdb-database",
        database,
        "--out",
        str(tmp_path / "out"),
        *extra,
    ]
    return subprocess.run(argv, capture_output=True, text=True, timeout=60)


def rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text())))


async def test_month_by_hand(tmp_path: Path, influxd_server: Influxd) -> None:
    database = await write(influxd_server, EVENTS)
    done = report(tmp_path, influxd_server, database)
    assert done.returncode == 0, done.stderr
    out = tmp_path / "out"
    ports = rows(out / "availability-acme-2026-02-ports.csv")
    got = {
        (r["charge_point_id"], r["connector_id"]): (
            int(r["minutes_down"]),
            int(r["minutes_excluded"]),
            int(r["minutes_monitoring_gap"]),
            int(r["minutes_faulted"]),
        )
        for r in ports
    }
    assert got == {
        ("CP-1", "1"): (56, 60, 30, 26),
        ("CP-1", "2"): (40, 60, 30, 10),
        # Lyon is in Europe/Paris: its February began at 23:00 UTC on 31 January, one hour
        # more before CP-2's first record than the UTC month of test_availability.py.
        ("CP-2", "1"): (0, 0, 60 + 1001, 0),
    }
    [port] = [r for r in ports if (r["charge_point_id"], r["connector_id"]) == ("CP-1", "1")]
    assert int(port["minutes_up"]) == MONTH_MINUTES - 146
    assert float(port["availability"]) == pytest.approx(
        (MONTH_MINUTES - 146) / (MONTH_MINUTES - 90)
    )
    assert float(port["nevi_uptime_12_months"]) == pytest.approx(
        (YEAR_MINUTES - 56 - 30) / YEAR_MINUTES, abs=1e-6
    )
    sites = rows(out / "availability-acme-2026-02-sites.csv")
    assert [
        (r["site"], r["timezone"], r["ports"], r["minutes_down"], r["minutes_monitoring_gap"])
        for r in sites
    ] == [
        ("lyon", "Europe/Paris", "3", "96", str(30 + 30 + 1061)),
        ("all sites", "", "3", "96", str(30 + 30 + 1061)),
    ]
    page = (out / "availability-acme-2026-02.html").read_text()
    assert "CP-2" in page and "X-1" not in page and "NEVI" in page


async def test_pdf_of_the_page(tmp_path: Path, influxd_server: Influxd) -> None:
    database = await write(influxd_server, EVENTS[:4])
    done = report(tmp_path, influxd_server, database, "--pdf")
    assert done.returncode == 0, done.stderr
    pdf = tmp_path / "out" / "availability-acme-2026-02.pdf"
    assert str(pdf) in done.stdout
    assert pdf.read_bytes().startswith(b"%PDF-") and pdf.stat().st_size > 5000


async def test_bad_input_is_refused_with_the_fix(tmp_path: Path, influxd_server: Influxd) -> None:
    done = report(tmp_path, influxd_server, "chargekeeper", "--month", "2026-13")
    assert done.returncode == 2 and "YYYY-MM" in done.stderr
    done = report(tmp_path, influxd_server, "chargekeeper", "--client", "nobody")
    assert done.returncode == 2 and "unknown client 'nobody'" in done.stderr
    done = report(tmp_path, influxd_server, "missing-database")
    assert done.returncode == 2 and "database not found" in done.stderr
    assert not (tmp_path / "out").exists()

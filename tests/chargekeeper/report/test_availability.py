"""Minute accounting against a month computed by hand: outages, a partial-minute fault, a
maintenance window, a collector that lost track, a fault of the whole charger, a charger that
joined mid-month."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from chargekeeper.report.availability import (
    ChargerHistory,
    ConnectionPoint,
    Minutes,
    StatusPoint,
    Window,
    collector_gaps,
    port_minutes,
)
from chargekeeper.report.build import build_report
from chargekeeper.report.minutes import MinuteSet

FEBRUARY = Window.month(2026, 2)
T0 = FEBRUARY.start
MONTH_MINUTES = 28 * 24 * 60  # 40,320


def at(minutes: float) -> float:
    return T0 + minutes * 60


def history() -> ChargerHistory:
    """CP-1 with two ports; times in minutes after 1 February 00:00 UTC."""
    return ChargerHistory(
        "CP-1",
        "lyon",
        connections=[
            ConnectionPoint(at(-1440), True),  # connected since the day before
            ConnectionPoint(at(60), False),  # outage: 30 minutes
            ConnectionPoint(at(90), True),
            ConnectionPoint(at(330), True),  # a connect without a disconnect: collector lost it
        ],
        statuses={
            "0": [
                StatusPoint(at(-1440), "Available"),
                StatusPoint(at(400), "Faulted"),
                StatusPoint(at(410), "Available"),
            ],
            "1": [
                StatusPoint(at(-1440), "Available"),
                StatusPoint(at(120), "Faulted"),  # until 135.5: 16 minutes touched
                StatusPoint(at(135.5), "Available"),
            ],
            "2": [
                StatusPoint(at(-1440), "Available"),
                StatusPoint(at(210), "Unavailable"),  # inside maintenance: excluded, not down
                StatusPoint(at(250), "Available"),
                StatusPoint(at(300), "Charging"),  # last record heard before the loss
            ],
        },
    )


MAINTENANCE = [(at(200), at(260))]


def test_port_one_by_hand() -> None:
    minutes = port_minutes(history(), "1", FEBRUARY, MAINTENANCE)
    # down: 30 (disconnected) + 16 (own fault, partial last minute) + 10 (charger faulted)
    assert minutes == Minutes(
        total=MONTH_MINUTES,
        up=MONTH_MINUTES - 60 - 30 - 56,
        down=56,
        excluded=60,
        gap=30,
        faulted=26,
    )
    assert minutes.availability == pytest.approx((MONTH_MINUTES - 146) / (MONTH_MINUTES - 90))
    assert minutes.gap_ratio == pytest.approx(30 / MONTH_MINUTES)
    assert minutes.reliability == pytest.approx(1 - 26 / (MONTH_MINUTES - 90))
    # NEVI: the gap counts as outage, maintenance minutes do not.
    assert minutes.nevi_uptime == pytest.approx((MONTH_MINUTES - 86) / MONTH_MINUTES)


def test_port_two_by_hand() -> None:
    minutes = port_minutes(history(), "2", FEBRUARY, MAINTENANCE)
    assert minutes == Minutes(
        total=MONTH_MINUTES,
        up=MONTH_MINUTES - 60 - 30 - 40,
        down=40,
        excluded=60,
        gap=30,
        faulted=10,
    )


def test_collector_loss_runs_from_the_last_record_heard() -> None:
    assert collector_gaps(history()) == [(at(300), at(330))]


def test_a_charger_added_mid_month_is_a_gap_before_its_first_record() -> None:
    late = ChargerHistory(
        "CP-2",
        "lyon",
        connections=[ConnectionPoint(at(1000), True)],
        statuses={"1": [StatusPoint(at(1000.5), "Available")]},
    )
    minutes = port_minutes(late, "1", FEBRUARY, [])
    # 1000 minutes before the connect, and the half minute connected without a status.
    assert (minutes.gap, minutes.down, minutes.up) == (1001, 0, MONTH_MINUTES - 1001)


def test_sites_add_their_ports() -> None:
    one = port_minutes(history(), "1", FEBRUARY, MAINTENANCE)
    two = port_minutes(history(), "2", FEBRUARY, MAINTENANCE)
    site = one + two
    assert (site.total, site.down, site.gap) == (2 * MONTH_MINUTES, 96, 60)
    assert site.availability == pytest.approx(site.up / (site.up + 96))


def test_nothing_monitored_has_no_ratio() -> None:
    assert Minutes(total=10, excluded=10).availability is None
    assert Minutes().nevi_uptime is None


def test_a_site_month_runs_from_local_midnight() -> None:
    paris = Window.month(2026, 3, "Europe/Paris")  # summer time from 29 March: one hour short
    assert datetime.fromtimestamp(paris.start, UTC) == datetime(2026, 2, 28, 23, tzinfo=UTC)
    assert (paris.end - paris.start) / 3600 == 31 * 24 - 1
    year = paris.previous_twelve_months()
    assert datetime.fromtimestamp(year.start, UTC) == datetime(2025, 3, 31, 22, tzinfo=UTC)


def test_windows() -> None:
    december = Window.month(2025, 12)
    assert datetime.fromtimestamp(december.end, UTC) == datetime(2026, 1, 1, tzinfo=UTC)
    year = Window.month(2024, 2).previous_twelve_months()
    assert (year.end - year.start) / 60 == 525_600 + 1440  # includes 29 February 2024


def test_minute_sets() -> None:
    a = MinuteSet.of([(0, 10), (5, 20), (30, 40)])
    assert a.ranges == ((0, 20), (30, 40))
    assert (a - MinuteSet.of([(5, 35)])).ranges == ((0, 5), (35, 40))
    assert len(a | MinuteSet.of([(15, 31)])) == 40
    assert MinuteSet.touched([(59.0, 61.0)], 0).ranges == ((0, 2),)


def test_untrusted_ids_stay_text_in_csv_and_html() -> None:
    hostile = ChargerHistory(
        '=HYPERLINK("http://evil")',
        "<script>alert(1)</script>",
        connections=[ConnectionPoint(at(0), True)],
        statuses={"1": [StatusPoint(at(0), "Available")]},
    )
    document = build_report("acme", "2026-02", [hostile], [hostile], {}, {}, datetime.now(UTC))
    [row] = list(csv.DictReader(io.StringIO(document.ports_csv())))
    assert row["charge_point_id"] == '\'=HYPERLINK("http://evil")'
    assert row["minutes_up"] == str(MONTH_MINUTES)
    page = document.html()
    assert "<script>" not in page and "&lt;script&gt;" in page

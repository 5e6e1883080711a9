"""What ``chargekeeper up`` prints: addresses that answer, who is on call, a quiet terminal."""

from __future__ import annotations

import io
import logging
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from chargekeeper.render.stack import load_sources
from chargekeeper.up import DEMO_CONFIG
from chargekeeper.up.banner import Link, link_lines, on_call_now
from chargekeeper.up.terminal import Summary, quiet_terminal


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        # Tuesday 01:00 in Paris: the night shifts, the depot's own engineer, the desk.
        (
            datetime(2026, 12, 8, 0, 0, tzinfo=UTC),
            "bruno (SMS, night), dan (SMS, night), eva (SMS, always), noc (email, always)",
        ),
        # Tuesday 11:00 in Paris: the field teams' office hours.
        (
            datetime(2026, 12, 8, 10, 0, tzinfo=UTC),
            "alice (email+SMS, weekday), bruno (email+SMS, weekday), "
            "chloe (email+SMS, weekday), dan (email+SMS, weekday), eva (SMS, always), "
            "noc (email, always)",
        ),
        # Christmas Day (a Friday) at noon: weekday duty is off on holidays, weekend duty on.
        (
            datetime(2026, 12, 25, 11, 0, tzinfo=UTC),
            "bruno (SMS, weekend), chloe (email+SMS, weekend), dan (email+SMS, weekend), "
            "eva (SMS, always), noc (email, always)",
        ),
    ],
)
def test_on_call_now_names_each_person_channel_and_schedule(at: datetime, expected: str) -> None:
    sources = load_sources(DEMO_CONFIG)
    assert on_call_now(sources.routing, sources.fleet, at) == expected


def test_on_call_now_without_routing_says_nobody() -> None:
    sources = load_sources(DEMO_CONFIG)
    text = on_call_now(None, sources.fleet, datetime(2026, 12, 8, tzinfo=UTC))
    assert text == "nobody (the config directory has no routing.yaml)"


class _Pages(BaseHTTPRequestHandler):
    """Like Debian's Prometheus and the console: a classic page, a page behind a login."""

    def do_GET(self) -> None:
        if self.path in ("/classic/alerts", "/login"):
            self.send_response(200)
        elif self.path == "/alerts":
            self.send_response(303)
            self.send_header("Location", "/login")
        else:
            self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def pages() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


async def test_only_addresses_that_answer_are_printed(pages: str) -> None:
    lines = await link_lines(
        [
            Link("old UI", (f"{pages}/graph-new", f"{pages}/classic/alerts")),
            Link("behind login", (f"{pages}/alerts",), "(log in first)"),
            Link("missing", (f"{pages}/nothing", f"{pages}/missing")),
            Link("down", ("http://127.0.0.1:9/",)),
        ]
    )
    assert lines == [
        f"  old UI                 {pages}/classic/alerts",
        f"  behind login           {pages}/alerts (log in first)",
    ]


def test_connection_lines_go_to_the_log_file_not_the_terminal(tmp_path: Path) -> None:
    root = logging.getLogger()
    terminal = io.StringIO()
    handler = logging.StreamHandler(terminal)
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.INFO)
    log_file = tmp_path / "logs" / "chargekeeper.log"
    try:
        with quiet_terminal(log_file):
            logging.getLogger("exporter.server").info("charger 'LYON-0001' connected")
            logging.getLogger("simulator.charger").info("LYON-0002 disconnected")
            logging.getLogger("chargekeeper.up").info("starting prometheus")
            logging.getLogger("exporter.influx").warning("InfluxDB write failed")
        logging.getLogger("exporter.server").info("after up: the terminal is as it was")
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    assert terminal.getvalue().splitlines() == [
        "starting prometheus",
        "InfluxDB write failed",
        "after up: the terminal is as it was",
    ]
    written = log_file.read_text()
    for line in ("'LYON-0001' connected", "LYON-0002 disconnected", "starting prometheus"):
        assert line in written
    assert "after up" not in written


def test_summary_line() -> None:
    at = datetime(2026, 12, 8, 12, 3)
    summary = Summary(chargers=48, connected=45, firing=6, critical=2, emails=3, sms=1)
    assert summary.line(at) == (
        "12:03 48 chargers, 45 connected · 6 alerts firing (2 critical) · 3 emails, 1 SMS sent"
    )
    silent = Summary(chargers=None, connected=None, firing=None, critical=None, emails=1, sms=0)
    assert silent.line(at) == "12:03 Prometheus is not answering · 1 email, 0 SMS sent"

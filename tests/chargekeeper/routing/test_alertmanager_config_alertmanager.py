"""The generated configuration in a real Alertmanager: alerts posted to its API reach a local
webhook server with the bearer token, one message per (site, family) and recipient set, the
inhibitions applied, time intervals evaluated in the site's zone, the Watchdog apart, and every
other alert recorded whoever is on duty."""

from __future__ import annotations

import json
import queue
import shutil
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from chargekeeper.render.stack import (
    AlertmanagerSide,
    load_sources,
    reload_alertmanager,
    render,
)
from chargekeeper.routing import WEBHOOK_PATH, WebhookTarget, recipients_for, who_is_told
from tests.chargekeeper.routing.routing_support import DEMO
from tests.support.procs import ServerProcess, free_port, require_binary, wait_for_http

pytestmark = pytest.mark.slow

TOKEN = "tok-for-this-test"
GENEVA_ZONE = ZoneInfo("Europe/Zurich")


def _clock(minutes: int) -> str:
    minutes %= 24 * 60
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _routing_yaml(now: datetime) -> str:
    """A policy whose 'now' shift is on and whose 'earlier' shift is off at ``now`` in Geneva.

    Geneva is one or two hours ahead of UTC, so an Alertmanager that read the times as UTC
    would get both shifts wrong: 'earlier' would be on, 'now' off.
    """
    local = now.astimezone(GENEVA_ZONE)
    minute = local.hour * 60 + local.minute
    return f"""
technicians:
  - {{id: alice.m, name: Alice, email: alice@example.com, phone: "+33612345001", language: fr}}
  - {{id: bob, name: Bob, email: bob@example.com, phone: "+33612345002"}}
teams:
  - {{id: rhone, members: [alice.m, bob]}}
schedules:
  - {{id: now, times: [{{start: "{_clock(minute - 30)}", end: "{_clock(minute + 30)}"}}]}}
  - {{id: earlier, times: [{{start: "{_clock(minute - 90)}", end: "{_clock(minute - 30)}"}}]}}
coverage:
  - id: geneva-now
    sites: [geneva-depot]
    teams: [rhone]
    schedules: [now]
    subscriptions: [{{channels: both}}]
  - id: geneva-earlier
    sites: [geneva-depot]
    technicians: [bob]
    schedules: [earlier]
    subscriptions: [{{channels: sms}}]
  - id: lyon
    sites: [lyon-part-dieu]
    technicians: [alice.m]
    subscriptions: [{{channels: email}}]
timing: {{group_wait: 1s, group_interval: 1s, repeat_interval: 1h}}
"""


class Webhooks:
    """A local HTTP server that keeps every webhook Alertmanager posts."""

    def __init__(self) -> None:
        self.received: queue.Queue[tuple[str, str | None, dict[str, Any]]] = queue.Queue()
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length))
                received.put((self.path, self.headers.get("Authorization"), body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def collect(self, until: set[str], quiet: float, timeout: float) -> list[dict[str, Any]]:
        """Bodies until every receiver in ``until`` has posted, plus ``quiet`` seconds more."""
        bodies: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        settle_at: float | None = None
        while True:
            now = time.monotonic()
            if settle_at is None and until <= {b["receiver"] for b in bodies}:
                settle_at = now + quiet
            end = settle_at if settle_at is not None else deadline
            if now >= end:
                return bodies
            try:
                path, auth, body = self.received.get(timeout=end - now)
            except queue.Empty:
                continue
            assert path == WEBHOOK_PATH
            assert auth == f"Bearer {TOKEN}"
            bodies.append(body)


@pytest.fixture
def webhooks() -> Iterator[Webhooks]:
    hooks = Webhooks()
    hooks.thread.start()
    yield hooks
    hooks.server.shutdown()
    hooks.server.server_close()


def _alert(name: str, severity: str, family: str, **labels: str) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "labels": {"alertname": name, "severity": severity, "family": family, **labels},
        "annotations": {"summary": f"{name} in a test"},
        "startsAt": now.isoformat(),
        "endsAt": (now + timedelta(minutes=10)).isoformat(),
    }


def test_alertmanager_sends_one_webhook_per_site_family_and_recipient_set(
    tmp_path: Path, webhooks: Webhooks
) -> None:
    now = datetime.now(UTC)
    config = tmp_path / "config"
    config.mkdir()
    shutil.copy(DEMO / "fleet.yaml", config / "fleet.yaml")
    (config / "routing.yaml").write_text(_routing_yaml(now))
    token_file = tmp_path / "webhook-token"
    token_file.write_text(TOKEN + "\n")
    out = tmp_path / "out"
    sources = load_sources(config)
    side = AlertmanagerSide(WebhookTarget(webhooks.base_url, token_file))
    render(sources, out, [side])

    port = free_port()
    alertmanager = ServerProcess(
        "alertmanager",
        [
            require_binary("prometheus-alertmanager"),
            f"--config.file={out / 'alertmanager' / 'alertmanager.yml'}",
            f"--storage.path={tmp_path / 'am-data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
        ],
        tmp_path,
    )
    try:
        wait_for_http(f"http://127.0.0.1:{port}/-/ready", proc=alertmanager)
        geneva = {"site": "geneva-depot", "client": "transitco"}
        lyon = {"site": "lyon-part-dieu", "client": "retailco"}
        faulted = {**lyon, "charge_point_id": "LYON-0007", "connector_id": "1"}
        alerts = [
            *(
                _alert(
                    "ChargerDisconnected", "critical", "disconnection", charge_point_id=cp, **geneva
                )
                for cp in ("GENEVA-0001", "GENEVA-0002", "GENEVA-0003")
            ),
            _alert("SiteOffline", "critical", "disconnection", **lyon),
            *(
                _alert(
                    "ChargerDisconnected", "warning", "disconnection", charge_point_id=cp, **lyon
                )
                for cp in ("LYON-0001", "LYON-0002")
            ),
            _alert("ChargerFaulted", "warning", "error", error_code="GroundFailure", **faulted),
            _alert("ChargerFaulted", "critical", "error", error_code="GroundFailure", **faulted),
            _alert("Watchdog", "info", "fleet"),
        ]
        response = httpx.post(f"http://127.0.0.1:{port}/api/v2/alerts", json=alerts, timeout=5)
        assert response.status_code == 200, response.text

        bodies = webhooks.collect(
            until={"team:rhone:both", "tech:alice\\.m:email", "deadman", "record"},
            quiet=3,
            timeout=20,
        )

        # A new policy, rendered and reloaded, is what the running Alertmanager uses.
        (config / "routing.yaml").write_text(
            _routing_yaml(now).replace("group_wait: 1s", "group_wait: 7s")
        )
        render(load_sources(config), out, [side])
        reload_alertmanager(f"127.0.0.1:{port}")
        status = httpx.get(f"http://127.0.0.1:{port}/api/v2/status", timeout=5).json()
        assert "group_wait: 7s" in status["config"]["original"]
    finally:
        alertmanager.stop()

    routing = sources.routing
    assert routing is not None
    # Alertmanager regex-escapes the receiver name in the payload (Go's QuoteMeta: the '.' of
    # 'alice.m'); recipients_for undoes it.
    assert {b["receiver"] for b in bodies} == {
        "deadman",
        "record",
        "team:rhone:both",
        "tech:alice\\.m:email",
    }
    assert [r.technician_id for r in recipients_for("tech:alice\\.m:email", routing)] == ["alice.m"]
    messages = sorted(
        (
            b["receiver"],
            tuple(sorted(b["groupLabels"].items())),
            sorted(
                (a["labels"]["alertname"], a["labels"].get("charge_point_id", ""))
                for a in b["alerts"]
            ),
        )
        for b in bodies
    )
    geneva_outage = [
        ("ChargerDisconnected", "GENEVA-0001"),
        ("ChargerDisconnected", "GENEVA-0002"),
        ("ChargerDisconnected", "GENEVA-0003"),
    ]
    assert messages == [
        ("deadman", (("alertname", "Watchdog"),), [("Watchdog", "")]),
        # The recording route: every group once, as the people's routes see it (inhibitions
        # apply to it too), the Watchdog apart.
        ("record", (("family", "disconnection"), ("site", "geneva-depot")), geneva_outage),
        (
            "record",
            (("family", "disconnection"), ("site", "lyon-part-dieu")),
            [("SiteOffline", "")],
        ),
        (
            "record",
            (("family", "error"), ("site", "lyon-part-dieu")),
            [("ChargerFaulted", "LYON-0007")],
        ),
        # The whole Geneva outage is one message for the team on shift; Bob's earlier shift
        # route matches too but is not active now, so it sends nothing.
        (
            "team:rhone:both",
            (("family", "disconnection"), ("site", "geneva-depot")),
            geneva_outage,
        ),
        # SiteOffline inhibits the chargers' disconnections at its site.
        (
            "tech:alice\\.m:email",
            (("family", "disconnection"), ("site", "lyon-part-dieu")),
            [("SiteOffline", "")],
        ),
        # The critical fault inhibits the warning of the same alert and connector.
        (
            "tech:alice\\.m:email",
            (("family", "error"), ("site", "lyon-part-dieu")),
            [("ChargerFaulted", "LYON-0007")],
        ),
    ]
    for body in bodies:
        assert body["version"] == "4"
        assert body["status"] == "firing"
        assert all(a["labels"].get("severity") != "warning" for a in body["alerts"])

    # The console's preview agrees with what Alertmanager did at this time.
    told = who_is_told(
        routing, sources.fleet, {**geneva, "family": "disconnection", "severity": "critical"}, now
    )
    assert [(r.technician_id, r.channels) for r in told] == [
        ("alice.m", ("email", "sms")),
        ("bob", ("email", "sms")),
    ]

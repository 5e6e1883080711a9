"""The recording route on a real Alertmanager: with every coverage off duty, alerts still reach
the receiver (as ``record``), which stores them and their resolution and tells nobody."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select

from alertmanager.localsms import LocalSmsServer
from alertmanager.localsmtp import LocalSmtpServer
from chargekeeper.render.stack import AlertmanagerSide, load_sources, render
from chargekeeper.routing import WebhookTarget, receivers_for, who_is_told
from chargekeeper.store import WebhookReceipt
from tests.alertmanager.receiver_support import running_receiver, wait_until, write_config
from tests.console.support import running_alertmanager
from tests.support.procs import free_port, require_binary

pytestmark = pytest.mark.slow


def _clock(minutes: int) -> str:
    minutes %= 24 * 60
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _off_duty_routing(now: datetime) -> str:
    """Both sites covered, by a shift 2 to 4 hours after ``now`` in Paris: off duty now in
    Paris and in London (an hour behind), so every coverage route is muted."""
    local = now.astimezone(ZoneInfo("Europe/Paris"))
    minute = local.hour * 60 + local.minute
    return f"""
timezone: Europe/Paris
technicians:
  - {{id: alice, name: Alice, email: alice@example.test, phone: "+33612345001", language: fr}}
  - {{id: lena, name: Lena, email: lena@example.test, phone: "+447700900123"}}
teams:
  - {{id: lyonteam, name: Lyon team, members: [alice]}}
schedules:
  - {{id: later, times: [{{start: "{_clock(minute + 120)}", end: "{_clock(minute + 240)}"}}]}}
coverage:
  - {{id: lyon, sites: [lyon], teams: [lyonteam], schedules: [later],
     subscriptions: [{{channels: both}}]}}
  - {{id: leeds, sites: [leeds], technicians: [lena], schedules: [later],
     subscriptions: [{{channels: sms}}]}}
timing: {{group_wait: 1s, group_interval: 1s, repeat_interval: 1h}}
"""


def _alert(site: str, charge_point_id: str, ends_at: datetime) -> dict[str, Any]:
    return {
        "labels": {
            "alertname": "ChargerFaulted",
            "severity": "critical",
            "family": "error",
            "site": site,
            "charge_point_id": charge_point_id,
            "connector_id": "1",
            "error_code": "GroundFailure",
        },
        "annotations": {"summary": f"{charge_point_id} is faulted"},
        "startsAt": (datetime.now(UTC) - timedelta(minutes=5)).isoformat(),
        "endsAt": ends_at.isoformat(),
    }


def test_alerts_nobody_is_on_duty_for_are_recorded_with_their_resolution(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    require_binary("amtool")  # render checks the configuration with it
    now = datetime.now(UTC)
    config = write_config(tmp_path / "config", free_port())
    (config / "routing.yaml").write_text(_off_duty_routing(now))
    sources = load_sources(config)
    assert sources.routing is not None
    # 'valence' is in no coverage: before the recording route it went to 'unrouted'.
    chargers = [("lyon", "CP-ALFEN-01"), ("lyon", "CP-2"), ("leeds", "CP-3"), ("valence", "V-1")]
    for site, _ in chargers:
        labels = {"site": site, "family": "error", "severity": "critical"}
        # A coverage route matches Lyon and Leeds, but none is active now: muted, not unmatched.
        assert bool(receivers_for(sources.routing, sources.fleet, labels)) is (site != "valence")
        assert who_is_told(sources.routing, sources.fleet, labels, now) == []

    caplog.set_level(logging.WARNING)
    with running_receiver(config, tmp_path / "state") as receiver:
        side = AlertmanagerSide(WebhookTarget(receiver.url, config / "receiver-token"))
        [am_config] = render(sources, tmp_path / "out", [side])
        with running_alertmanager(tmp_path, am_config) as am_url:
            firing = [_alert(site, cp, now + timedelta(hours=1)) for site, cp in chargers]
            httpx.post(f"{am_url}/api/v2/alerts", json=firing, timeout=5).raise_for_status()

            def stored(status: str) -> list[dict[str, Any]]:
                rows: list[dict[str, Any]] = receiver.get("/api/v1/alerts", status=status)
                return rows if len(rows) == len(chargers) else []

            rows = wait_until(lambda: stored("firing"), 20, "every alert stored as firing")
            assert sorted(r["charge_point_id"] for r in rows) == sorted(cp for _, cp in chargers)
            # Alertmanager itself shows the coverage routes matched (and were muted).
            held = httpx.get(f"{am_url}/api/v2/alerts", timeout=5).json()
            routed = {a["labels"]["site"]: {r["name"] for r in a["receivers"]} for a in held}
            assert routed == {
                "lyon": {"record", "team:lyonteam:both"},
                "leeds": {"record", "tech:lena:sms"},
                "valence": {"record"},
            }

            resolved = [dict(a, endsAt=(now - timedelta(seconds=1)).isoformat()) for a in firing]
            httpx.post(f"{am_url}/api/v2/alerts", json=resolved, timeout=5).raise_for_status()
            wait_until(lambda: stored("resolved"), 20, "every alert's resolution stored")

        sessions = receiver.built.service.pipeline.sessions
        wait_until(
            lambda: not receiver.built.service.pipeline.pending(), 10, "every webhook processed"
        )
        with sessions() as session:
            receipts = session.scalars(select(WebhookReceipt)).all()
        # One webhook per (site, family) group when firing, one when resolved: all 'record'.
        assert sorted((r.receiver, r.status) for r in receipts) == [
            *[("record", "firing")] * 3,
            *[("record", "resolved")] * 3,
        ]
        assert all(r.error is None for r in receipts)
        assert receiver.get("/api/v1/notifications") == []
        smtp, sms = receiver.built.component.local_servers
        assert isinstance(smtp, LocalSmtpServer) and isinstance(sms, LocalSmsServer)
        assert smtp.messages() == [] and sms.messages() == []
        metrics = httpx.get(f"{receiver.url}/metrics", timeout=5).text
        assert 'chargekeeper_receiver_webhooks_total{outcome="stored"} 6.0' in metrics
    # 'record' is a receiver the routing knows: no "cannot notify" error, nothing failed.
    assert not [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]

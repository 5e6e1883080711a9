"""Acks against a real Alertmanager: the silence appears, unack and resolution expire it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from console.silences import SilenceClient, SilenceError
from tests.alertmanager.receiver_support import alert, wait_until, webhook
from tests.console.support import (
    TECH,
    alert_ids,
    build,
    client_for,
    log_in,
    post_webhook,
    running_alertmanager,
    silences,
)
from tests.support.procs import free_port

pytestmark = pytest.mark.slow


@pytest.fixture
def alertmanager_url(tmp_path: Path) -> Iterator[str]:
    with running_alertmanager(tmp_path) as url:
        yield url


def test_ack_silences_the_alert_and_unack_or_resolution_expires_it(
    tmp_path: Path, alertmanager_url: str
) -> None:
    built = build(tmp_path, f"alertmanager_url: {alertmanager_url}\n")
    firing = alert("CP-2", error_code="OtherError", fingerprint="fp-cp2")
    with client_for(built) as client:
        post_webhook(client, webhook([firing, alert("CP-3", site="leeds", fingerprint="fp-cp3")]))
        csrf = log_in(client, TECH)
        cp2, cp3 = alert_ids(client, charge_point_id="CP-2")[0], alert_ids(client, site="leeds")[0]

        started = datetime.now(UTC)
        client.post(f"/alerts/{cp2}/ack", data={"csrf": csrf, "note": "on it", "hours": "4"})
        (silence,) = silences(alertmanager_url)
        assert silence["status"]["state"] == "active"
        assert silence["createdBy"] == "alice" and silence["comment"] == "on it"
        matchers = {
            (m["name"], m["value"], m["isRegex"], m["isEqual"]) for m in silence["matchers"]
        }
        assert matchers == {(k, v, False, True) for k, v in firing["labels"].items()}
        ends = datetime.fromisoformat(silence["endsAt"].replace("Z", "+00:00"))
        assert timedelta(hours=3, minutes=59) < ends - started < timedelta(hours=4, minutes=1)
        assert "Silenced until" in client.get(f"/alerts/{cp2}").text

        client.post(f"/alerts/{cp2}/unack", data={"csrf": csrf})
        (silence,) = silences(alertmanager_url)
        assert silence["status"]["state"] == "expired"

        # "Until resolved": the sweeper expires the silence once the resolution arrives.
        client.post(f"/alerts/{cp3}/ack", data={"csrf": csrf})
        active = [s for s in silences(alertmanager_url) if s["status"]["state"] == "active"]
        assert len(active) == 1
        assert {m["value"] for m in active[0]["matchers"]} >= {"CP-3", "leeds"}
        resolved = alert("CP-3", site="leeds", fingerprint="fp-cp3", status="resolved")
        post_webhook(client, webhook([resolved | {"endsAt": datetime.now(UTC).isoformat()}]))
        wait_until(
            lambda: all(s["status"]["state"] == "expired" for s in silences(alertmanager_url)),
            10,
            "the resolved alert's silence was not expired",
        )


def test_ack_is_not_recorded_when_alertmanager_refuses(tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    built = build(tmp_path, f"alertmanager_url: {dead}\n")
    with client_for(built) as client:
        post_webhook(client, webhook([alert("CP-2")]))
        csrf = log_in(client, TECH)
        (alert_id,) = alert_ids(client)
        response = client.post(f"/alerts/{alert_id}/ack", data={"csrf": csrf})
        assert response.status_code == 502 and "unreachable" in response.text
        assert 'class="acked"' not in client.get("/alerts").text


def test_client_reports_alertmanager_refusals(alertmanager_url: str) -> None:
    client = SilenceClient(alertmanager_url)
    now = datetime.now(UTC)
    try:
        with pytest.raises(SilenceError, match="answered 400"):
            client.create({"a": "b"}, now, now - timedelta(hours=1), "t", "ends before it starts")
        client.expire("00000000-0000-0000-0000-000000000000")  # unknown: already gone, fine
        silence_id = client.create({"a": "b"}, now, now + timedelta(hours=1), "t", "twice")
        client.expire(silence_id)
        client.expire(silence_id)  # already expired: fine
    finally:
        client.close()

"""Through the whole receiver (fleet file, pipeline, outbox, the Twilio client and the local
Messages endpoint): an SMS names the site as the fleet writes it, accents included where
GSM-7 has them, and dates the fault from the rules' ``since`` annotation."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from tests.alertmanager.receiver_support import (
    FLEET_YAML,
    ThreadedReceiver,
    alert,
    running_receiver,
    wait_until,
    webhook,
    write_config,
)
from tests.support.procs import free_port

# É and è are GSM-7; the dash and â are not.
SITE_NAME = "Évry Gare Sud \u2013 Château près"


def _sms_bodies(state_dir: Path, count: int) -> dict[str, str]:
    """The SMS the local Messages endpoint accepted, by recipient number."""
    path = state_dir / "sms" / "messages.jsonl"

    def read() -> dict[str, str] | None:
        if not path.exists():
            return None
        messages = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line]
        return {m["to"]: m["body"] for m in messages} if len(messages) >= count else None

    bodies: dict[str, str] = wait_until(read, 15, f"{count} SMS at the local endpoint")
    return bodies


def _post(receiver: ThreadedReceiver, alerts: list[dict[str, Any]]) -> None:
    response = receiver.post(webhook(alerts))
    assert response.status_code == 200, response.text


def test_sms_keeps_the_fleets_site_name_and_the_faults_start(tmp_path: Path) -> None:
    config = write_config(tmp_path / "config", free_port())
    (config / "fleet.yaml").write_text(FLEET_YAML.replace("Lyon <Part-Dieu>", SITE_NAME))
    now = datetime.now(UTC).replace(microsecond=0)
    stalled = alert(
        "CP-2",
        alertname="ChargerSocStalled",
        severity="warning",
        family="soc",
        connector_id="1",
        starts_at=(now - timedelta(minutes=5)).isoformat().replace("+00:00", "Z"),
    )
    fault_start = now - timedelta(minutes=25)
    stalled["annotations"].update(since=str(int(fault_start.timestamp())), soc_percent="18")
    with running_receiver(config, tmp_path / "state") as receiver:
        _post(receiver, [stalled])
        bodies = _sms_bodies(tmp_path / "state", 2)
    paris = fault_start.astimezone(ZoneInfo("Europe/Paris"))
    # Alice reads French in Paris; Dan English in London (an hour behind).
    alice, dan = bodies["+33612345001"], bodies["+32470123004"]
    assert alice.splitlines()[:2] == [
        f"ALERTE: CP-2 charge bloquée à Évry Gare Sud - Chateau près depuis "
        f"{paris:%Y-%m-%d %H:%M %Z}",
        "SoC 18 %, sans hausse depuis 25 min",
    ]
    assert dan.splitlines()[1] == "SoC 18%, no rise for 25 min"
    assert "at Évry Gare Sud - Chateau près since" in dan.splitlines()[0]

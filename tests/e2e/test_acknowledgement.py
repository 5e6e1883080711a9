"""An ack in the console stops repeats (issue 8, "End to end"), on the real local stack.

A critical ChargerFaulted fires on one site. While nobody acknowledges it, Alertmanager
repeats the group's webhook every ``repeat_interval`` (the receiver tells the on-call
technician once per alert state and records each repeat as the alert's ``last_received_at``)
and the receiver escalates to the first tier. A technician then logs in to the console and
acknowledges the alert with the ack form, which silences it in Alertmanager. For at least two
repeat intervals, while the alert is still firing in Prometheus and the second escalation
tier falls due, nothing about it arrives: no webhook, no message to anyone.

When the fault of an acknowledged alert clears, its resolution is announced as receiver.yaml
says (the error family is) and the ack's silence expired. Alertmanager drops notifications of
silenced alerts, resolutions included, so the receiver never hears of it from Alertmanager: the
console's sweeper learns it by asking Alertmanager whether the acked alert is still active.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from chargekeeper.up import demo_console_admin
from simulator import SimulatedFleet
from simulator.charger import SimulatedCharger
from tests.console.support import csrf_of, log_in
from tests.e2e.stack import Inbox, LocalStack, Message, running_stack, write_config
from tests.support.procs import require_binary

pytestmark = pytest.mark.slow

INTERVAL_SECONDS = 1
GROUP_INTERVAL_SECONDS = 1
REPEAT_INTERVAL_SECONDS = 4
ESCALATION_CHECK_SECONDS = 1
# The first tier is told while the alert is unacknowledged; the second falls due after the
# ack, inside the quiet window, and must never be told.
FIRST_TIER_AFTER = 2
SECOND_TIER_AFTER = 14
NOTIFIED_WITHIN = 30.0
# A resolution takes an evaluation, a group interval and the receiver: seconds.
RESOLVED_WITHIN = 15.0
CHARGER = "ACK-0001"
SITE = "site-ack"
ON_CALL, SUPERVISOR, MANAGER = "oncall", "supervisor", "manager"
TECHNICIAN = ("tess", "tess-password-1")
PHONES = {ON_CALL: "+33610000001", SUPERVISOR: "+33610000002", MANAGER: "+33610000003"}
NEW_TOKEN = re.compile(r'<code id="new-token">([^<]+)</code>')


def _config_documents() -> dict[str, dict[str, Any]]:
    fleet = {
        "clients": [{"id": "acme"}],
        "sites": [{"id": SITE, "client": "acme", "timezone": "UTC"}],
        "chargers": [{"id": CHARGER, "site": SITE}],
    }
    policy = {
        "collector_restart_grace": 60,
        "defaults": {
            # Critical at once: escalation applies to critical alerts only.
            "faulted": {"warning": None, "critical": 1},
            "disconnected": {"enabled": False},
            "vendor_code": {"enabled": False},
            "soc_stalled": {"enabled": False},
            "not_delivering": {"enabled": False},
            "flapping": {"enabled": False},
            "site_offline": {"enabled": False},
        },
    }
    routing = {
        "timezone": "UTC",
        "technicians": [
            {"id": who, "name": who, "email": f"{who}@e2e.example", "phone": phone}
            for who, phone in PHONES.items()
        ],
        "coverage": [
            {
                "id": "ack-cover",
                "sites": [SITE],
                "technicians": [ON_CALL],
                "subscriptions": [{"channels": "both"}],
                "escalation": [
                    {"after": FIRST_TIER_AFTER, "technicians": [SUPERVISOR], "channels": "email"},
                    {"after": SECOND_TIER_AFTER, "technicians": [MANAGER], "channels": "email"},
                ],
            }
        ],
        "timing": {
            "group_wait": 1,
            "group_interval": GROUP_INTERVAL_SECONDS,
            "repeat_interval": REPEAT_INTERVAL_SECONDS,
        },
    }
    receiver = {"notify_resolved": ["error"], "escalation_interval": ESCALATION_CHECK_SECONDS}
    return {
        "fleet.yaml": fleet,
        "policy.yaml": policy,
        "routing.yaml": routing,
        "receiver.yaml": receiver,
    }


def _recipient(message: Message) -> str:
    if message.channel == "email":
        return message.to.removesuffix("@e2e.example")
    return next((who for who, phone in PHONES.items() if phone == message.to), message.to)


def _told(inbox: Inbox, who: str, resolved: bool = False) -> set[str]:
    """The channels on which ``who`` heard about the charger's alert (or its resolution)."""
    inbox.poll()
    return {
        m.channel
        for m in inbox.messages
        if _recipient(m) == who and m.resolved == resolved and CHARGER in m.text
    }


def _hears(
    inbox: Inbox, who: str, channels: set[str], resolved: bool = False
) -> Callable[[], bool]:
    return lambda: _told(inbox, who, resolved) == channels


class ConsoleUser:
    """A technician using the console over HTTP: forms with CSRF, and an API token to read."""

    def __init__(self, stack: LocalStack) -> None:
        self.client = httpx.Client(base_url=stack.url("receiver"), timeout=10)
        self.csrf = ""
        self.token = ""

    def close(self) -> None:
        self.client.close()

    def log_in(self, who: tuple[str, str]) -> None:
        self.csrf = log_in(self.client, who)

    def add_technician(self, who: tuple[str, str]) -> None:
        """As an admin: add a technician with the Users form."""
        response = self.client.post(
            "/users",
            data={
                "csrf": self.csrf,
                "username": who[0],
                "password": who[1],
                "role": "technician",
            },
        )
        assert response.status_code == 303, response.text

    def issue_token(self) -> None:
        """Issue an API token with the Tokens form (shown once, in the answer)."""
        response = self.client.post("/tokens", data={"csrf": self.csrf, "name": "e2e"})
        match = NEW_TOKEN.search(response.text)
        assert response.status_code == 200 and match, response.text
        self.token = match.group(1)

    def alert(self, status: str = "firing") -> dict[str, Any] | None:
        """The charger's alert in ``status`` as the console's JSON API shows it, if there is
        one."""
        response = self.client.get(
            "/api/v1/console/alerts",
            params={"charge_point_id": CHARGER, "status": status},
            headers={"Authorization": f"Bearer {self.token}"},
        )
        response.raise_for_status()
        alerts: list[dict[str, Any]] = response.json()["alerts"]
        return alerts[0] if alerts else None

    def acknowledge(self, alert_id: int) -> None:
        """The alert list's ack form, as a technician submits it."""
        page = self.client.get("/alerts")
        assert f'action="/alerts/{alert_id}/ack"' in page.text, page.text
        response = self.client.post(
            f"/alerts/{alert_id}/ack",
            data={"csrf": csrf_of(page.text), "note": "on my way", "next": "/alerts"},
        )
        assert response.status_code == 303, response.text


def _repeats(alert: dict[str, Any]) -> bool:
    """Alertmanager has sent the alert again since its first webhook."""
    first = datetime.fromisoformat(alert["first_received_at"])
    return datetime.fromisoformat(alert["last_received_at"]) > first


def _silences(stack: LocalStack) -> list[dict[str, Any]]:
    response = httpx.get(f"{stack.url('alertmanager')}/api/v2/silences", timeout=5)
    response.raise_for_status()
    found: list[dict[str, Any]] = response.json()
    return [s for s in found if {"name": "charge_point_id", "value": CHARGER} in _names(s)]


def _names(silence: dict[str, Any]) -> list[dict[str, str]]:
    return [{"name": m["name"], "value": m["value"]} for m in silence["matchers"]]


@pytest.fixture
def config_dir(tmp_path: Path) -> Iterator[Path]:
    require_binary("prometheus")
    require_binary("prometheus-alertmanager")
    yield write_config(tmp_path / "config", _config_documents())


@dataclass(frozen=True)
class Acknowledged:
    """The stack just after a technician acknowledged the charger's firing alert."""

    stack: LocalStack
    charger: SimulatedCharger
    inbox: Inbox
    technician: ConsoleUser
    alert: dict[str, Any]  # as the console's API shows it once acknowledged
    first_told: float  # when the on-call technician's first message was accepted
    acked_at: float


@contextlib.asynccontextmanager
async def _acknowledged_fault(config_dir: Path, state_dir: Path) -> AsyncIterator[Acknowledged]:
    """Fire a critical ChargerFaulted, see it told, escalated and repeated, then acknowledge it
    in the console as a technician; yield with the alert still firing."""
    # The first admin, as `chargekeeper up --demo` makes it.
    admin_name, admin_password = demo_console_admin(state_dir).split(":", 1)
    console = {"refresh_seconds": 1}
    async with running_stack(config_dir, state_dir, INTERVAL_SECONDS, console=console) as stack:
        fleet = SimulatedFleet(stack.ocpp_url(), 1, scenario="idle", seed=1, id_prefix="ACK-")
        charger = fleet.chargers[0]
        operator, technician = ConsoleUser(stack), ConsoleUser(stack)
        try:
            await asyncio.to_thread(operator.log_in, (admin_name, admin_password))
            await asyncio.to_thread(operator.add_technician, TECHNICIAN)
            await asyncio.to_thread(technician.log_in, TECHNICIAN)
            await asyncio.to_thread(technician.issue_token)
            await fleet.start()
            await fleet.wait_ready(within=30)
            inbox = stack.inbox()

            # --- unacknowledged: the on-call technician is told, the first tier is told,
            # Alertmanager repeats the webhook
            await charger.fault(1, "GroundFailure")
            await stack.until(
                _hears(inbox, ON_CALL, {"email", "sms"}),
                NOTIFIED_WITHIN,
                "the on-call technician's email and SMS",
            )
            first_told = min(m.at for m in inbox.messages if _recipient(m) == ON_CALL)
            await stack.until(
                _hears(inbox, SUPERVISOR, {"email"}), NOTIFIED_WITHIN, "the first escalation tier"
            )
            alert: dict[str, Any] | None = None

            def repeated() -> bool:
                nonlocal alert
                alert = technician.alert()
                return alert is not None and _repeats(alert)

            await stack.until(repeated, 3 * REPEAT_INTERVAL_SECONDS, "a repeated webhook")
            assert alert is not None

            # --- a technician acknowledges it in the console: Alertmanager gets a silence
            await asyncio.to_thread(technician.acknowledge, alert["id"])
            acked_at = time.time()
            silences = _silences(stack)
            assert [s["status"]["state"] for s in silences] == ["active"], silences
            # A flush Alertmanager began before the silence may still land: let it.
            await asyncio.sleep(GROUP_INTERVAL_SECONDS + 0.5)
            acked = await asyncio.to_thread(technician.alert)
            assert acked is not None and acked["ack"]["by"] == TECHNICIAN[0], acked
            inbox.poll()
            yield Acknowledged(stack, charger, inbox, technician, acked, first_told, acked_at)
        finally:
            operator.close()
            technician.close()
            await fleet.stop()


async def test_an_ack_in_the_console_stops_repeats_and_escalation(
    config_dir: Path, tmp_path: Path
) -> None:
    async with _acknowledged_fault(config_dir, tmp_path / "state") as acked:
        second_tier_due = acked.first_told + FIRST_TIER_AFTER + SECOND_TIER_AFTER
        assert acked.acked_at < second_tier_due - 2 * ESCALATION_CHECK_SECONDS, (
            "acknowledged too late for the second tier to prove anything"
        )
        told_before = len(acked.inbox.messages)

        # Quiet for two repeat intervals and past the second tier's due time, still firing.
        quiet_until = max(
            time.time() + 2 * REPEAT_INTERVAL_SECONDS + GROUP_INTERVAL_SECONDS,
            second_tier_due + 2 * ESCALATION_CHECK_SECONDS,
        )
        await asyncio.sleep(quiet_until - time.time())
        firing = await acked.stack.firing_alerts("ChargerFaulted")
        assert [a["metric"]["charge_point_id"] for a in firing] == [CHARGER], firing
        after = await asyncio.to_thread(acked.technician.alert)
        assert after is not None
        assert after["last_received_at"] == acked.alert["last_received_at"], "webhook after ack"
        acked.inbox.poll()
        assert acked.inbox.messages[told_before:] == [], "told after the ack"
        assert _told(acked.inbox, MANAGER) == set(), "the second tier was told after the ack"


async def test_the_resolution_of_an_acknowledged_alert_is_announced(
    config_dir: Path, tmp_path: Path
) -> None:
    async with _acknowledged_fault(config_dir, tmp_path / "state") as acked:
        await acked.charger.clear_fault(1)
        # The error family is in receiver.yaml's notify_resolved.
        await acked.stack.until(
            _hears(acked.inbox, ON_CALL, {"email", "sms"}, resolved=True),
            RESOLVED_WITHIN,
            "the on-call technician to hear that the fault resolved",
        )
        await acked.stack.until(
            lambda: all(s["status"]["state"] == "expired" for s in _silences(acked.stack)),
            RESOLVED_WITHIN,
            "the ack's silence to expire on resolution",
        )
        assert await asyncio.to_thread(acked.technician.alert) is None
        resolved = await asyncio.to_thread(acked.technician.alert, "resolved")
        assert resolved is not None and resolved["id"] == acked.alert["id"], resolved
        # Whatever Alertmanager sends once the silence is gone, the resolution is told once.
        await asyncio.sleep(2 * GROUP_INTERVAL_SECONDS + 1)
        acked.inbox.poll()
        told = [m.channel for m in acked.inbox.messages if m.resolved and CHARGER in m.text]
        assert sorted(told) == ["email", "sms"], told

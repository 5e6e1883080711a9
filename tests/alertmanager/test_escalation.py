"""Escalation: unacknowledged critical alerts reach the next tier after its delay, once."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from alertmanager.escalation import Escalator
from alertmanager.messages import Renderer
from alertmanager.payload import WebhookPayload
from alertmanager.pipeline import Pipeline
from chargekeeper.config.fleet import load_fleet
from chargekeeper.config.routing import load_routing
from chargekeeper.routing import EscalationStep, Recipient, routing_escalation
from chargekeeper.store import (
    Acknowledgement,
    Delivery,
    create_schema,
    make_engine,
    make_sessionmaker,
    sqlite_url,
)
from tests.alertmanager.receiver_support import FLEET_YAML, ROUTING_YAML, alert, webhook
from tests.support.fakes import ManualClock
from translator import Translator

T0 = datetime(2026, 11, 24, 13, 30, tzinfo=UTC)
ALICE = Recipient("alice", "Alice", None, "+33612345001", "en", "UTC", ("sms",))
BOSS = Recipient("boss", "Boss", "boss@x.test", None, "fr", "Europe/Paris", ("email",))
TRANSLATOR = Translator.load()


def plan(labels: Mapping[str, str], at: datetime) -> Sequence[EscalationStep]:
    assert at == T0  # counted from the first message
    return [EscalationStep("c", 1, 60, (BOSS,)), EscalationStep("c", 2, 600, (ALICE, BOSS))]


@pytest.fixture
def sessions(store_engine: Engine) -> sessionmaker[Session]:
    """A migrated store: SQLite, then a real PostgreSQL server."""
    create_schema(store_engine)
    return make_sessionmaker(store_engine)


def setup(
    sessions: sessionmaker[Session], severity: str = "critical"
) -> tuple[Escalator, ManualClock[datetime]]:
    clock = ManualClock(T0)
    pipeline = Pipeline(sessions, TRANSLATOR, lambda _: [ALICE], Renderer(), clock=clock)
    body = webhook([alert("CP-1", severity=severity)])
    pipeline.store(WebhookPayload.model_validate(body), body)
    assert pipeline.process_pending() == 1
    return Escalator(sessions, pipeline.tell, plan, clock=clock), clock


def recipients(sessions: sessionmaker[Session]) -> list[tuple[str, str]]:
    with sessions() as session:
        rows = session.scalars(select(Delivery).order_by(Delivery.id))
        return [(d.recipient_id, d.channel) for d in rows]


def test_tiers_are_told_when_due_and_only_once(sessions: sessionmaker[Session]) -> None:
    escalator, clock = setup(sessions)
    clock.now = T0 + timedelta(seconds=59)
    assert escalator.run_once() == 0
    clock.now = T0 + timedelta(seconds=61)
    assert escalator.run_once() == 1
    assert escalator.run_once() == 0
    assert recipients(sessions) == [("alice", "sms"), ("boss", "email")]
    with sessions() as session:
        boss = session.scalars(select(Delivery).where(Delivery.recipient_id == "boss")).one()
        assert boss.subject.startswith("[ESCALADE] [CRITIQUE] CP-1")
        assert "niveau 1" in boss.body_text
    clock.now = T0 + timedelta(seconds=601)
    # Tier 2 names alice (already told by SMS) and the boss (already told by email).
    assert escalator.run_once() == 0


def test_acknowledged_alerts_do_not_escalate(sessions: sessionmaker[Session]) -> None:
    escalator, clock = setup(sessions)
    with sessions.begin() as session:
        session.add(Acknowledgement(alert_id=1, by="alice", at=T0, via="sms"))
    clock.now = T0 + timedelta(hours=1)
    assert escalator.run_once() == 0


def test_warning_alerts_do_not_escalate(tmp_path: Path) -> None:
    engine = make_engine(sqlite_url(tmp_path / "warn.sqlite3"))
    create_schema(engine)
    escalator, clock = setup(make_sessionmaker(engine), severity="warning")
    clock.now = T0 + timedelta(hours=1)
    assert escalator.run_once() == 0


def test_routing_policy_escalation_tiers_become_addressees(tmp_path: Path) -> None:
    (tmp_path / "fleet.yaml").write_text(FLEET_YAML)
    routing_text = ROUTING_YAML.replace(
        "    subscriptions: [{channels: both}]\n",
        "    subscriptions: [{channels: both}]\n"
        "    escalation: [{after: 300, technicians: [lena], channels: [email]}]\n",
        1,
    )
    (tmp_path / "routing.yaml").write_text(routing_text)
    fleet = load_fleet(tmp_path / "fleet.yaml")
    tiers = routing_escalation(load_routing(tmp_path / "routing.yaml", fleet), fleet)(
        {"site": "lyon", "severity": "critical", "family": "error", "alertname": "X"}, T0
    )
    assert [(t.tier, t.delay_seconds, [r.technician_id for r in t.recipients]) for t in tiers] == [
        (1, 300, ["lena"])
    ]
    assert tiers[0].recipients[0].channels == ("email",)

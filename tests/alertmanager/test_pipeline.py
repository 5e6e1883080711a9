"""The pipeline stages on a real SQLite store: store, translate, route, render, enqueue once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from alertmanager.messages import Renderer
from alertmanager.payload import WebhookPayload
from alertmanager.pipeline import Pipeline, PipelineConfig
from alertmanager.stages.base import AlertState
from alertmanager.stages.dedup import delivery_key, states_to_tell
from chargekeeper.routing import Recipient
from chargekeeper.store import (
    Alert,
    Delivery,
    WebhookReceipt,
    create_schema,
    make_sessionmaker,
)
from tests.alertmanager.receiver_support import alert, fixture_payload, webhook
from translator import MemoryUnknownCodeStore, Translator, UnknownCodeRecorder

ALICE = Recipient(
    "alice", "Alice", "a@x.test", "+33612345001", "fr", "Europe/Paris", ("email", "sms")
)
DAN = Recipient("dan", "Dan", "d@x.test", None, "en", "UTC", ("email",))
TRANSLATOR = Translator.load()


def resolver(receiver: str) -> Sequence[Recipient]:
    return {"team:lyon": [ALICE, DAN], "collector": [DAN]}.get(receiver, [])


@pytest.fixture
def sessions(store_engine: Engine) -> sessionmaker[Session]:
    """A migrated store: SQLite, then a real PostgreSQL server."""
    create_schema(store_engine)
    return make_sessionmaker(store_engine)


def make_pipeline(
    sessions: sessionmaker[Session], **config: Any
) -> tuple[Pipeline, MemoryUnknownCodeStore]:
    unknown = MemoryUnknownCodeStore()
    pipeline = Pipeline(
        sessions,
        TRANSLATOR,
        resolver,
        Renderer(),
        PipelineConfig(site_names={"lyon": "Lyon"}, **config),
        recorder=UnknownCodeRecorder(unknown),
    )
    return pipeline, unknown


def receive(pipeline: Pipeline, body: dict[str, Any]) -> int:
    pipeline.store(WebhookPayload.model_validate(body), body)
    return pipeline.process_pending()


def deliveries(sessions: sessionmaker[Session]) -> list[Delivery]:
    with sessions() as session:
        query = select(Delivery).options(selectinload(Delivery.alerts)).order_by(Delivery.id)
        return list(session.scalars(query))


def test_dedup_decision_is_per_alert_state() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    a, b = AlertState("a", "firing", start), AlertState("b", "firing", start)
    assert states_to_tell([b, a, a], set()) == [a, b]
    assert states_to_tell([a, b], {a}) == [b]
    assert states_to_tell([a], {a}) == []
    resolved = AlertState("a", "resolved", start)
    assert states_to_tell([resolved], {a}) == [resolved]
    assert delivery_key("alice", "sms", [a, b]) == delivery_key("alice", "sms", [b, a])
    assert delivery_key("alice", "sms", [a]) != delivery_key("alice", "email", [a])


def test_one_webhook_gives_one_message_per_recipient_and_channel(
    sessions: sessionmaker[Session],
) -> None:
    pipeline, _ = make_pipeline(sessions)
    body = webhook([alert("CP-1"), alert("CP-2")], receiver="team:lyon")
    assert receive(pipeline, body) == 3  # alice email + sms, dan email
    rows = deliveries(sessions)
    assert [(d.recipient_id, d.channel, d.address) for d in rows] == [
        ("alice", "email", "a@x.test"),
        ("alice", "sms", "+33612345001"),
        ("dan", "email", "d@x.test"),
    ]
    assert all(len(d.alerts) == 2 and d.state == "pending" for d in rows)
    assert rows[0].language == "fr" and "bornes" in rows[0].subject
    assert rows[2].language == "en" and "2 chargers" in rows[2].subject


def test_redelivered_webhook_and_ha_duplicate_enqueue_nothing(
    sessions: sessionmaker[Session],
) -> None:
    pipeline, _ = make_pipeline(sessions)
    body = webhook([alert("CP-1")], receiver="team:lyon")
    assert receive(pipeline, body) == 3
    assert receive(pipeline, body) == 0  # Alertmanager retry of the same body
    twin = dict(body, groupKey="other-instance", externalURL="http://am2")  # HA peer
    assert receive(pipeline, twin) == 0
    assert len(deliveries(sessions)) == 3
    with sessions() as session:
        assert len(session.scalars(select(WebhookReceipt)).all()) == 3
        assert len(session.scalars(select(Alert)).all()) == 1


def test_alert_joining_a_group_is_told_alone_and_resolution_is_new_news(
    sessions: sessionmaker[Session],
) -> None:
    pipeline, _ = make_pipeline(sessions)
    first = alert("CP-1")
    receive(pipeline, webhook([first], receiver="collector"))
    assert receive(pipeline, webhook([first, alert("CP-2")], receiver="collector")) == 1
    assert [d.alerts[0].alert_id for d in deliveries(sessions)] == [1, 2]
    resolved = dict(first, status="resolved", endsAt="2026-11-24T14:00:00Z")
    assert receive(pipeline, webhook([resolved], receiver="collector")) == 1
    last = deliveries(sessions)[-1]
    assert last.status == "resolved" and last.subject.startswith("[RESOLVED]")
    with sessions() as session:
        stored = session.scalars(select(Alert).where(Alert.charge_point_id == "CP-1")).one()
        assert stored.status == "resolved" and stored.ends_at is not None
    # A late "firing" copy from an HA peer does not reopen it, nor notify again.
    assert receive(pipeline, webhook([first], receiver="collector")) == 0
    with sessions() as session:
        assert session.scalars(select(Alert).where(Alert.id == 1)).one().status == "resolved"


def test_resolved_notifications_only_for_configured_families(
    sessions: sessionmaker[Session],
) -> None:
    pipeline, _ = make_pipeline(sessions, notify_resolved={"disconnection"})
    faulted = alert("CP-1", family="error")
    receive(pipeline, webhook([faulted], receiver="collector"))
    assert receive(pipeline, webhook([dict(faulted, status="resolved")], receiver="collector")) == 0
    offline = alert("CP-2", family="disconnection", alertname="ChargerDisconnected")
    receive(pipeline, webhook([offline], receiver="collector"))
    assert receive(pipeline, webhook([dict(offline, status="resolved")], receiver="collector")) == 1


def test_translation_in_recipient_language_and_unknown_codes_recorded(
    sessions: sessionmaker[Session],
) -> None:
    pipeline, unknown = make_pipeline(sessions)
    body = fixture_payload("firing_one_alert.json")
    body["receiver"] = "team:lyon"
    body["alerts"][0]["labels"].update(vendor="Alfen BV", site="lyon")
    body["alerts"].append(
        alert("CP-9", vendor="Alfen BV", error_code="OtherError", vendor_error_code="ZZ-999")
    )
    receive(pipeline, body)
    french, english = deliveries(sessions)[0], deliveries(sessions)[2]
    assert "Liaison de délestage perdue" in french.body_text
    assert "Load-balancing link lost" in english.body_text
    assert [(code.vendor, code.code) for code in unknown.list()] == [("Alfen", "ZZ-999")]


def test_truncated_webhook_is_stored_and_flagged(sessions: sessionmaker[Session]) -> None:
    pipeline, _ = make_pipeline(sessions)
    receive(pipeline, webhook([alert("CP-1")], receiver="collector", truncatedAlerts=7))
    with sessions() as session:
        assert session.scalars(select(WebhookReceipt)).one().truncated_alerts == 7
        assert session.scalars(select(Alert)).one().truncated


def test_unknown_receiver_stores_alerts_and_notifies_nobody(
    sessions: sessionmaker[Session],
) -> None:
    pipeline, _ = make_pipeline(sessions)
    assert receive(pipeline, webhook([alert("CP-1")], receiver="nobody")) == 0
    with sessions() as session:
        assert session.scalars(select(WebhookReceipt)).one().processed_at is not None
        assert len(session.scalars(select(Alert)).all()) == 1

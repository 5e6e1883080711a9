"""The outbox backlog gauges, counted in a real store (SQLite, then PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session, sessionmaker

from alertmanager.backlog import OutboxBacklog
from alertmanager.messages import Renderer
from alertmanager.outbox import Outbox, RetryPolicy
from alertmanager.payload import WebhookPayload
from alertmanager.pipeline import Pipeline
from chargekeeper.routing import Recipient
from chargekeeper.store import Delivery, DeliveryState, create_schema, make_sessionmaker
from tests.alertmanager.receiver_support import alert, webhook
from translator import Translator

BOB = Recipient("bob", "Bob", "b@x.test", "+33612345002", "en", "UTC", ("email", "sms"))


@pytest.fixture
def sessions(store_engine: Engine) -> sessionmaker[Session]:
    create_schema(store_engine)
    return make_sessionmaker(store_engine)


def gauges(registry: CollectorRegistry) -> dict[str, float]:
    return {
        f"{channel}/{state}": registry.get_sample_value(
            "chargekeeper_outbox_deliveries", {"channel": channel, "state": state}
        )
        or 0.0
        for channel in ("email", "sms")
        for state in ("pending", "sending")
    }


def test_the_backlog_counts_waiting_deliveries_and_the_oldest_age(
    sessions: sessionmaker[Session],
) -> None:
    now = datetime.now(UTC)
    registry = CollectorRegistry()
    registry.register(OutboxBacklog(sessions, now=lambda: now + timedelta(seconds=90)))
    assert gauges(registry) == {
        "email/pending": 0,
        "email/sending": 0,
        "sms/pending": 0,
        "sms/sending": 0,
    }
    age = "chargekeeper_outbox_oldest_age_seconds"
    assert registry.get_sample_value(age, {"channel": "sms"}) == 0

    pipeline = Pipeline(sessions, Translator.load(), lambda _: [BOB], Renderer())
    for charger in ("CP-1", "CP-2"):
        body = webhook([alert(charger)])
        pipeline.store(WebhookPayload.model_validate(body), body)
    assert pipeline.process_pending() == 4  # deliveries: two alerts, two channels
    with sessions.begin() as session:
        session.execute(update(Delivery).values(created_at=now))
    claimed = Outbox(sessions, RetryPolicy()).claim("sms", limit=1)
    assert len(claimed) == 1
    with sessions.begin() as session:  # a delivery already sent is not waiting
        first_email = session.scalars(
            select(Delivery.id).where(Delivery.channel == "email").order_by(Delivery.id)
        ).first()
        session.execute(
            update(Delivery).where(Delivery.id == first_email).values(state=DeliveryState.SENT)
        )

    assert gauges(registry) == {
        "email/pending": 1,
        "email/sending": 0,
        "sms/pending": 1,
        "sms/sending": 1,
    }
    for channel in ("email", "sms"):
        assert registry.get_sample_value(age, {"channel": channel}) == pytest.approx(90, abs=1)


def test_a_store_that_fails_leaves_the_gauges_out_not_the_scrape(
    store_engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    registry = CollectorRegistry()
    registry.register(OutboxBacklog(make_sessionmaker(store_engine)))  # no tables: queries fail
    text = generate_latest(registry).decode()
    assert "chargekeeper_outbox_deliveries" not in text
    assert "cannot count the outbox backlog" in caplog.text

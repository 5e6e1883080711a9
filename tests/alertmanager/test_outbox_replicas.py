"""Receiver replicas sharing one PostgreSQL store (ARCHITECTURE 6): each delivery is claimed by
one replica only, and a stored webhook is processed by one replica only."""

from __future__ import annotations

import threading

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from alertmanager.messages import Renderer
from alertmanager.outbox import Outbox
from alertmanager.payload import WebhookPayload
from alertmanager.pipeline import Pipeline
from chargekeeper.routing import Recipient
from chargekeeper.store import (
    Delivery,
    DeliveryState,
    WebhookReceipt,
)
from tests.alertmanager.receiver_support import alert, webhook
from translator import Translator

TEAM = [
    Recipient(f"tech{n}", f"Tech {n}", f"t{n}@x.test", None, "en", "UTC", ("email",))
    for n in range(3)
]
TRANSLATOR = Translator.load()


def pipeline(sessions: sessionmaker[Session]) -> Pipeline:
    return Pipeline(sessions, TRANSLATOR, lambda _: TEAM, Renderer())


def store_webhook(sessions: sessionmaker[Session]) -> None:
    body = webhook([alert("CP-1")])
    pipeline(sessions).store(WebhookPayload.model_validate(body), body)


def test_a_delivery_another_replica_is_claiming_is_skipped(
    replicas: list[sessionmaker[Session]],
) -> None:
    first, second = replicas
    store_webhook(first)
    assert pipeline(first).process_pending() == len(TEAM)
    with first.begin() as claiming:
        # A replica in the middle of its claim holds the oldest delivery's row lock.
        oldest = claiming.scalars(
            select(Delivery).order_by(Delivery.id).limit(1).with_for_update()
        ).one()
        others = Outbox(second).claim("email", limit=len(TEAM))
        oldest.state = DeliveryState.SENDING
    assert sorted(m.delivery_id for m in others) == [
        row for row in range(1, len(TEAM) + 1) if row != oldest.id
    ]
    with second() as session:
        sending = session.scalar(
            select(func.count()).where(Delivery.state == DeliveryState.SENDING)
        )
    assert sending == len(TEAM)


def test_a_webhook_is_processed_by_one_replica(replicas: list[sessionmaker[Session]]) -> None:
    store_webhook(replicas[0])
    ready = threading.Barrier(len(replicas))
    enqueued: list[int] = []

    def process(sessions: sessionmaker[Session]) -> None:
        ready.wait()
        enqueued.append(pipeline(sessions).process_pending())

    threads = [threading.Thread(target=process, args=(sessions,)) for sessions in replicas]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(enqueued) == [0, len(TEAM)]
    with replicas[1]() as session:
        receipt = session.scalars(select(WebhookReceipt)).one()
        assert receipt.error is None and receipt.processed_at is not None

"""The outbox on a real SQLite store: retries with backoff, dead letters, failover, recovery."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session, sessionmaker

from alertmanager.messages import Renderer
from alertmanager.metrics import ReceiverMetrics
from alertmanager.notify import (
    DeliveryError,
    OutgoingMessage,
    PermanentDeliveryError,
    RetryableDeliveryError,
)
from alertmanager.outbox import Outbox, RetryPolicy
from alertmanager.payload import WebhookPayload
from alertmanager.pipeline import Pipeline
from alertmanager.stages.deliver import OutboxWorker, RateLimiter, rate_units
from chargekeeper.routing import Recipient
from chargekeeper.store import Delivery, DeliveryState, create_schema, make_sessionmaker
from tests.alertmanager.receiver_support import alert, webhook
from translator import Translator

TRANSLATOR = Translator.load()
ALICE = Recipient("alice", "Alice", "a@x.test", "+33612345001", "en", "UTC", ("email",))


class ScriptedNotifier:
    """Fails with the scripted errors first, then accepts; records what it was given."""

    def __init__(self, channel: str, errors: list[DeliveryError] | None = None) -> None:
        self.channel = channel
        self.errors = list(errors or [])
        self.sent: list[OutgoingMessage] = []
        self.attempts = 0

    def send(self, message: OutgoingMessage) -> str:
        self.attempts += 1
        if self.errors:
            raise self.errors.pop(0)
        self.sent.append(message)
        return f"{self.channel}-{len(self.sent)}"


@pytest.fixture
def sessions(store_engine: Engine) -> sessionmaker[Session]:
    """A migrated store: SQLite, then a real PostgreSQL server."""
    create_schema(store_engine)
    return make_sessionmaker(store_engine)


def enqueue_one(sessions: sessionmaker[Session]) -> Pipeline:
    pipeline = Pipeline(sessions, TRANSLATOR, lambda _: [ALICE], Renderer())
    body = webhook([alert("CP-1")])
    pipeline.store(WebhookPayload.model_validate(body), body)
    assert pipeline.process_pending() == 1
    return pipeline


@contextlib.asynccontextmanager
async def running(worker: OutboxWorker) -> AsyncIterator[None]:
    task = asyncio.create_task(worker.run())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await worker.blocking.drain()  # its store calls end before the engine is disposed


async def until(check: Callable[[], bool], within: float = 5.0) -> None:
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, "condition not reached"
        await asyncio.sleep(0.02)


def states(sessions: sessionmaker[Session]) -> list[tuple[str, str, int, str | None]]:
    with sessions() as session:
        rows = session.scalars(select(Delivery).order_by(Delivery.id))
        return [(r.channel, r.state.value, r.attempts, r.failure_reason) for r in rows]


FAST = RetryPolicy(max_attempts=4, base_delay=0.05, max_delay=0.2, failover_after=10)


async def test_retryable_failures_are_retried_with_backoff_then_sent(
    sessions: sessionmaker[Session],
) -> None:
    enqueue_one(sessions)
    email = ScriptedNotifier(
        "email",
        [
            RetryableDeliveryError("connection", "refused"),
            RetryableDeliveryError("rejected", "451"),
        ],
    )
    metrics = ReceiverMetrics()
    worker = OutboxWorker(Outbox(sessions, FAST), {"email": email}, metrics, poll_interval=0.05)
    async with running(worker):
        await until(lambda: len(email.sent) == 1)
        await until(lambda: states(sessions)[0][1] == "sent")
    assert states(sessions) == [("email", "sent", 3, "rejected")]
    assert metrics.sent.labels("email")._value.get() == 1
    assert metrics.failed.labels("email", "connection")._value.get() == 1
    assert metrics.failed.labels("email", "rejected")._value.get() == 1


def test_backoff_doubles_up_to_the_cap() -> None:
    policy = RetryPolicy(base_delay=2, max_delay=30)
    assert [policy.delay(n) for n in range(1, 7)] == [2, 4, 8, 16, 30, 30]


async def test_dead_after_max_attempts(sessions: sessionmaker[Session]) -> None:
    enqueue_one(sessions)
    email = ScriptedNotifier("email", [RetryableDeliveryError("timeout", "t")] * 10)
    metrics = ReceiverMetrics()
    worker = OutboxWorker(Outbox(sessions, FAST), {"email": email}, metrics, poll_interval=0.05)
    async with running(worker):
        await until(lambda: states(sessions)[0][1] == "dead")
        # The worker counts it once the commit returns: a moment after the row reads dead.
        await until(lambda: metrics.dead.labels("email")._value.get() == 1)
    assert states(sessions) == [("email", "dead", 4, "timeout")]
    assert email.attempts == 4 and metrics.dead.labels("email")._value.get() == 1


async def test_permanent_failure_fails_over_to_the_other_channel(
    sessions: sessionmaker[Session],
) -> None:
    enqueue_one(sessions)
    email = ScriptedNotifier(
        "email", [PermanentDeliveryError("invalid_address", "550 no such user")]
    )
    sms = ScriptedNotifier("sms")
    pipeline = Pipeline(sessions, TRANSLATOR, lambda _: [ALICE], Renderer())
    outbox = Outbox(sessions, FAST, failover=pipeline.failover)
    worker = OutboxWorker(
        outbox, {"email": email, "sms": sms}, ReceiverMetrics(), poll_interval=0.05
    )
    async with running(worker):
        await until(lambda: len(sms.sent) == 1)
    assert email.attempts == 1  # permanent: not retried
    assert states(sessions)[0] == ("email", "failed", 1, "invalid_address")
    assert sms.sent[0].address == "+33612345001"
    assert sms.sent[0].body_text.startswith("CRITICAL: CP-1 in fault")
    with sessions() as session:
        failover = session.scalars(select(Delivery).where(Delivery.channel == "sms")).one()
        assert failover.failover_of_id == 1 and len(failover.alerts) == 1


async def test_repeated_retryable_failure_fails_over_while_still_retrying(
    sessions: sessionmaker[Session],
) -> None:
    enqueue_one(sessions)
    email = ScriptedNotifier("email", [RetryableDeliveryError("connection", "down")] * 3)
    sms = ScriptedNotifier("sms")
    pipeline = Pipeline(sessions, TRANSLATOR, lambda _: [ALICE], Renderer())
    policy = RetryPolicy(max_attempts=8, base_delay=0.05, max_delay=0.1, failover_after=2)
    outbox = Outbox(sessions, policy, failover=pipeline.failover)
    worker = OutboxWorker(
        outbox, {"email": email, "sms": sms}, ReceiverMetrics(), poll_interval=0.05
    )
    # Both arrive: the failover after the 2nd failure, the mail once the relay is back (waiting
    # for the store, not the notifiers: the worker records a send after the notifier returns).
    both_sent = [("email", "sent"), ("sms", "sent")]
    async with running(worker):
        await until(lambda: [s[:2] for s in states(sessions)] == both_sent)
    assert len(sms.sent) == 1 and len(email.sent) == 1


def test_recover_requeues_what_a_dead_worker_was_sending(sessions: sessionmaker[Session]) -> None:
    enqueue_one(sessions)
    outbox = Outbox(sessions, FAST)
    assert len(outbox.claim("email")) == 1
    assert outbox.claim("email") == []  # claimed: nobody else takes it
    assert outbox.recover() == 1
    assert [m.address for m in outbox.claim("email")] == ["a@x.test"]


def test_claim_waits_for_next_attempt_time(sessions: sessionmaker[Session]) -> None:
    enqueue_one(sessions)
    with sessions.begin() as session:
        later = datetime.now(UTC) + timedelta(hours=1)
        session.execute(update(Delivery).values(next_attempt_at=later))
    outbox = Outbox(sessions, FAST)
    assert outbox.claim("email") == []
    due = outbox.next_due("email")
    assert due is not None and due > datetime.now(UTC) + timedelta(minutes=59)


async def test_rate_limiter_spaces_sends_from_one_sender() -> None:
    limiter = RateLimiter(20.0)
    started = time.monotonic()
    for _ in range(6):
        await limiter.wait()
    assert time.monotonic() - started >= 5 / 20 - 0.01


async def test_rate_limiter_counts_units_such_as_sms_segments() -> None:
    now = [100.0]
    limiter = RateLimiter(10.0, clock=lambda: now[0])
    await limiter.wait(2)  # an idle sender sends at once, then is busy for 2 / 10 s
    started = time.monotonic()
    now[0] = 100.15
    await limiter.wait(1)
    assert 0.05 - 0.01 <= time.monotonic() - started < 0.5
    one = OutgoingMessage(1, "k", "sms", "+33612345001", "A", "en", "", "x" * 160, "")
    two = OutgoingMessage(2, "k", "sms", "+33612345001", "A", "en", "", "x" * 161, "")
    mail = OutgoingMessage(3, "k", "email", "a@x.test", "A", "en", "s", "x" * 5000, "")
    assert [rate_units(m) for m in (one, two, mail)] == [1, 2, 1]


def test_mark_failed_state_machine(sessions: sessionmaker[Session]) -> None:
    enqueue_one(sessions)
    outbox = Outbox(sessions, RetryPolicy(max_attempts=2, base_delay=60))
    [message] = outbox.claim("email")
    assert outbox.mark_failed(message.delivery_id, RetryableDeliveryError("timeout", "t")) == (
        DeliveryState.PENDING
    )
    assert outbox.claim("email") == []  # backing off for 60 s
    assert outbox.mark_failed(message.delivery_id, RetryableDeliveryError("timeout", "t")) == (
        DeliveryState.DEAD
    )

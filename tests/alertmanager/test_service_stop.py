"""Stopping the receiver waits for the blocking calls its tasks left running in threads.

Cancelling a task that awaits a thread does not stop the thread: before ``stop`` waited for
them, a send still running held a PostgreSQL connection when the engine was disposed, and
psycopg warned about the dropped connection when it was collected (pytest fails on it).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import threading
import time

import pytest
from sqlalchemy import Engine, text

from alertmanager.messages import Renderer
from alertmanager.metrics import ReceiverMetrics
from alertmanager.notify import OutgoingMessage
from alertmanager.outbox import Outbox, RetryPolicy
from alertmanager.payload import WebhookPayload
from alertmanager.pipeline import Pipeline
from alertmanager.service import ReceiverService
from alertmanager.stages.deliver import OutboxWorker
from chargekeeper.blocking import BlockingCalls
from chargekeeper.routing import Recipient
from chargekeeper.store import create_schema, make_engine, make_sessionmaker
from tests.alertmanager.receiver_support import alert, webhook
from tests.support.postgres import PostgresServer
from translator import Translator

ALICE = Recipient("alice", "Alice", "a@x.test", "+33612345001", "en", "UTC", ("email",))
# Long enough that stop() arrives while the send is still in its query.
SEND_SECONDS = 0.8


class StoreHoldingNotifier:
    """A send that holds a store connection for ``SEND_SECONDS`` (a query in a real server)."""

    channel = "email"

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self.started = threading.Event()
        self.finished_at: float | None = None

    def send(self, message: OutgoingMessage) -> str:
        self.started.set()
        with self._engine.connect() as connection:
            connection.execute(text("SELECT pg_sleep(:seconds)"), {"seconds": SEND_SECONDS})
        self.finished_at = time.monotonic()
        return f"sent-{message.delivery_id}"


async def test_stop_returns_only_after_a_send_holding_a_postgres_connection_returned(
    postgres_server: PostgresServer,
) -> None:
    engine = make_engine(postgres_server.url(postgres_server.empty_database()))
    create_schema(engine)
    sessions = make_sessionmaker(engine)
    pipeline = Pipeline(sessions, Translator.load(), lambda _: [ALICE], Renderer())
    body = webhook([alert("CP-1")])
    pipeline.store(WebhookPayload.model_validate(body), body)
    assert pipeline.process_pending() == 1  # one email to Alice waits in the outbox
    notifier = StoreHoldingNotifier(engine)
    metrics = ReceiverMetrics()
    outbox = Outbox(sessions, RetryPolicy())
    worker = OutboxWorker(outbox, {"email": notifier}, metrics, poll_interval=0.05)
    service = ReceiverService(pipeline, worker, metrics, poll_interval=0.05)

    await service.start()
    assert await asyncio.to_thread(notifier.started.wait, 10), "the send never started"
    await service.stop()
    stopped_at = time.monotonic()

    assert notifier.finished_at is not None, "stop() returned while the send was still running"
    assert notifier.finished_at <= stopped_at
    assert worker.blocking.running == 0
    engine.dispose()
    gc.collect()  # a connection dropped unclosed would warn here, failing the test


async def test_drain_gives_up_after_its_timeout_and_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    blocking = BlockingCalls("stuck", drain_timeout=0.5)
    started, release = threading.Event(), threading.Event()

    def hold() -> None:
        started.set()
        release.wait(10)

    call = asyncio.create_task(blocking.run(hold))
    assert await asyncio.to_thread(started.wait, 5)
    call.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await call  # the caller is gone at once; its thread is not
    try:
        assert blocking.running == 1
        with caplog.at_level(logging.ERROR, logger="chargekeeper.blocking"):
            assert not await blocking.drain()
        assert "1 blocking stuck call(s) still running" in caplog.text
    finally:
        release.set()
    assert await blocking.drain()  # the call returns once released
    assert await blocking.run(sum, [1, 2]) == 3  # usable again after a drain
    assert await blocking.drain()

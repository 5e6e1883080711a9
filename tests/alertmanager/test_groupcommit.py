"""Group commit of webhooks: one writer, one transaction per batch, each caller its own answer."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from alertmanager.groupcommit import GroupCommitter, WriterNotRunning
from alertmanager.messages import Renderer
from alertmanager.payload import WebhookPayload
from alertmanager.pipeline import Pipeline
from chargekeeper.store import (
    Alert,
    WebhookReceipt,
    create_schema,
    make_engine,
    make_sessionmaker,
    sqlite_url,
)
from tests.alertmanager.receiver_support import (
    TOKEN,
    alert,
    running_receiver,
    webhook,
    write_config,
)
from tests.support.procs import free_port
from translator import Translator

Webhook = tuple[WebhookPayload, dict[str, Any]]


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "store.sqlite3"


@pytest.fixture
def pipeline(database: Path) -> Pipeline:
    engine = make_engine(sqlite_url(database))
    create_schema(engine)
    return Pipeline(make_sessionmaker(engine), Translator.load(), lambda _: [], Renderer())


def body(n: int, **labels: str) -> Webhook:
    raw = webhook([alert(f"CP-{n:04d}", fingerprint=f"fp{n:04d}", **labels)])
    return WebhookPayload.model_validate(raw), raw


class RecordingWrite:
    """``Pipeline.store_batch`` itself, noting the size of every batch it was given."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self.sizes: list[int] = []

    def __call__(self, webhooks: Sequence[Webhook]) -> list[int]:
        self.sizes.append(len(webhooks))
        return self.pipeline.store_batch(webhooks)


def count(sessions: sessionmaker[Session], model: type[WebhookReceipt] | type[Alert]) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


async def test_concurrent_submits_share_commits_and_each_gets_its_own_receipt(
    pipeline: Pipeline, database: Path
) -> None:
    write = RecordingWrite(pipeline)
    committer: GroupCommitter[Webhook, int] = GroupCommitter(write)
    writer = asyncio.create_task(committer.run())
    await asyncio.sleep(0)
    try:

        async def submit_and_check(n: int) -> int:
            receipt_id = await committer.submit(body(n))
            # Durable before the answer: another connection already sees the committed row.
            with sqlite3.connect(database) as other:
                row = other.execute(
                    "SELECT json_extract(payload, '$.alerts[0].fingerprint') FROM webhook_receipts"
                    " WHERE id = ?",
                    (receipt_id,),
                ).fetchone()
            assert row == (f"fp{n:04d}",)
            return receipt_id

        ids = await asyncio.gather(*(submit_and_check(n) for n in range(60)))
    finally:
        writer.cancel()
        await asyncio.gather(writer, return_exceptions=True)
    assert len(set(ids)) == 60
    assert sum(write.sizes) == 60 and len(write.sizes) < 60 and max(write.sizes) > 1
    assert count(pipeline.sessions, WebhookReceipt) == 60 == count(pipeline.sessions, Alert)


async def test_a_body_that_fails_alone_does_not_fail_its_batch(pipeline: Pipeline) -> None:
    write = RecordingWrite(pipeline)
    committer: GroupCommitter[Webhook, int] = GroupCommitter(write)
    payload, raw = body(99)
    unstorable = (payload, {**raw, "extra": {1, 2}})  # a set is not JSON: the insert fails
    writer = asyncio.create_task(committer.run())
    await asyncio.sleep(0)
    try:
        outcomes = await asyncio.gather(
            *(committer.submit(body(n)) for n in range(5)),
            committer.submit(unstorable),
            *(committer.submit(body(n)) for n in range(5, 10)),
            return_exceptions=True,
        )
    finally:
        writer.cancel()
        await asyncio.gather(writer, return_exceptions=True)
    failed = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(failed) == 1 and isinstance(failed[0], SQLAlchemyError)
    assert isinstance(outcomes[5], SQLAlchemyError)
    assert write.sizes[0] == 11  # all in one batch, then each alone after it failed
    assert count(pipeline.sessions, WebhookReceipt) == 10
    with pipeline.sessions() as session:
        stored = set(session.scalars(select(Alert.charge_point_id)))
    assert stored == {f"CP-{n:04d}" for n in range(10)}


def test_ha_twins_in_one_batch_share_the_alert_row(pipeline: Pipeline) -> None:
    firing = body(1)
    twin = body(1)
    resolved_raw = webhook([alert("CP-0001", fingerprint="fp0001", status="resolved")])
    resolved = (WebhookPayload.model_validate(resolved_raw), resolved_raw)
    ids = pipeline.store_batch([firing, twin, resolved, body(1)])
    assert len(set(ids)) == 4 and ids == sorted(ids)  # receipts keep the arrival order
    with pipeline.sessions() as session:
        [row] = session.scalars(select(Alert))
    assert row.status == "resolved"  # a late firing twin does not reopen it


async def test_no_writer_means_no_answer_but_an_error(pipeline: Pipeline) -> None:
    committer: GroupCommitter[Webhook, int] = GroupCommitter(pipeline.store_batch)
    with pytest.raises(WriterNotRunning):
        await committer.submit(body(1))
    writer = asyncio.create_task(committer.run())
    await asyncio.sleep(0)
    first = asyncio.create_task(committer.submit(body(1)))
    queued = asyncio.create_task(committer.submit(body(2)))
    await asyncio.sleep(0)  # both are waiting; the writer has taken none yet
    writer.cancel()
    await asyncio.gather(writer, return_exceptions=True)
    outcomes = await asyncio.gather(first, queued, return_exceptions=True)
    # Refused, not silently dropped: the caller answers 503 and Alertmanager retries.
    assert all(isinstance(o, WriterNotRunning) for o in outcomes), outcomes
    with pytest.raises(WriterNotRunning):
        await committer.submit(body(3))


async def test_stopping_mid_commit_answers_that_batch_with_its_true_outcome(
    pipeline: Pipeline,
) -> None:
    started, release = asyncio.Event(), threading.Event()
    loop = asyncio.get_running_loop()

    def held_write(webhooks: Sequence[Webhook]) -> list[int]:
        loop.call_soon_threadsafe(started.set)
        release.wait(10)
        return pipeline.store_batch(webhooks)

    committer: GroupCommitter[Webhook, int] = GroupCommitter(held_write)
    writer = asyncio.create_task(committer.run())
    await asyncio.sleep(0)
    submitted = asyncio.create_task(committer.submit(body(1)))
    await started.wait()
    writer.cancel()
    await asyncio.sleep(0.05)
    assert not submitted.done() and not writer.done()  # waiting for the transaction under way
    release.set()
    await asyncio.gather(writer, return_exceptions=True)
    receipt_id = await submitted
    with pipeline.sessions() as session:
        assert session.get(WebhookReceipt, receipt_id) is not None


async def test_quiet_waits_for_a_gap_after_a_burst_only(pipeline: Pipeline) -> None:
    committer: GroupCommitter[Webhook, int] = GroupCommitter(pipeline.store_batch)
    writer = asyncio.create_task(committer.run())
    loop = asyncio.get_running_loop()

    async def quiet_after() -> float:
        started = loop.time()
        await committer.quiet(0.3, burst=3)
        return loop.time() - started

    try:
        assert await quiet_after() < 0.1  # nothing ever submitted: at once
        await asyncio.gather(*(committer.submit(body(n)) for n in range(2)))
        assert await quiet_after() < 0.1  # two are no burst of three: at once
        submitted = [asyncio.create_task(committer.submit(body(n))) for n in range(2, 5)]
        await asyncio.sleep(0)
        assert await quiet_after() >= 0.3 - 0.05  # three at once: wait for the gap
        assert all(task.done() for task in submitted)  # stored and answered meanwhile
        assert await quiet_after() < 0.1  # still quiet: at once
        with pytest.raises(ValueError, match="at least 1"):
            await committer.quiet(0.3, burst=0)
    finally:
        writer.cancel()
        await asyncio.gather(writer, return_exceptions=True)


def test_max_batch_must_be_positive(pipeline: Pipeline) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        GroupCommitter(pipeline.store_batch, max_batch=0)


async def test_many_concurrent_webhooks_each_answered_and_stored_once(tmp_path: Path) -> None:
    """The real receiver over HTTP: 120 webhooks at once, as an alert storm brings them."""
    config = write_config(tmp_path / "config", free_port())
    headers = {"Authorization": f"Bearer {TOKEN}"}
    n = 120
    with running_receiver(config, tmp_path / "state") as receiver:
        limits = httpx.Limits(max_connections=n)
        async with httpx.AsyncClient(base_url=receiver.url, timeout=30, limits=limits) as client:
            responses = await asyncio.gather(
                *(
                    client.post("/api/v1/alertmanager/webhook", json=body(i)[1], headers=headers)
                    for i in range(n)
                )
            )
        sessions = receiver.built.service.pipeline.sessions
        with sessions() as session:
            receipts = session.execute(
                select(WebhookReceipt.id, WebhookReceipt.received_at, WebhookReceipt.payload)
            ).all()
            alerts = list(session.scalars(select(Alert.fingerprint)))
    assert [r.status_code for r in responses] == [200] * n
    answered = [r.json()["receipt_id"] for r in responses]
    assert sorted(answered) == sorted(row.id for row in receipts)  # each stored exactly once
    fingerprint_of = {row.id: row.payload["alerts"][0]["fingerprint"] for row in receipts}
    assert [fingerprint_of[receipt_id] for receipt_id in answered] == [
        f"fp{i:04d}" for i in range(n)
    ]  # and each answer names its own body's receipt
    assert sorted(alerts) == [f"fp{i:04d}" for i in range(n)]
    # One batch shares one received_at: fewer distinct times than webhooks means batching.
    assert len({row.received_at for row in receipts}) < n

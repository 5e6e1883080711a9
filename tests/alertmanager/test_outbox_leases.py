"""Outbox leases: replicas sharing a store re-send only what a worker that is gone left sending.

On SQLite and on a real PostgreSQL server. A replica on another machine is played by an outbox
with another owner name; a dead process of this machine by a real process killed with SIGKILL.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session, sessionmaker

from alertmanager.leaseowner import process_is_gone, this_process
from alertmanager.metrics import ReceiverMetrics
from alertmanager.notify import OutgoingMessage, RetryableDeliveryError
from alertmanager.outbox import Outbox, RetryPolicy
from alertmanager.stages.deliver import OutboxWorker
from chargekeeper.store import (
    Delivery,
    DeliveryState,
    create_schema,
    make_engine,
    make_sessionmaker,
    sqlite_url,
)
from tests.alertmanager.test_outbox import ScriptedNotifier, enqueue_one, running, until
from tests.support.fakes import ManualClock

POLICY = RetryPolicy(lease_timeout=60.0)
# A worker process of another machine: this one cannot see whether it runs.
ELSEWHERE = "other-host/4242/123456@another-boot/pid:[4026531836]"


@pytest.fixture
def sessions(store_engine: Engine) -> sessionmaker[Session]:
    create_schema(store_engine)
    return make_sessionmaker(store_engine)


@pytest.fixture
def clock() -> ManualClock[datetime]:
    """The outboxes' clock, moved by the test: ahead of the real clock, so that deliveries the
    test enqueues are due at once."""
    return ManualClock(datetime.now(UTC) + timedelta(minutes=10))


def lease(sessions: sessionmaker[Session]) -> tuple[DeliveryState, str | None, datetime | None]:
    with sessions() as session:
        row = session.scalars(select(Delivery)).one()
        claimed_at = row.claimed_at.replace(tzinfo=UTC) if row.claimed_at else None
        return row.state, row.claimed_by, claimed_at


@pytest.fixture
def live_process() -> Iterator[subprocess.Popen[str]]:
    """Another process of this machine, running until the test kills it."""
    code = (
        "import sys; from alertmanager.leaseowner import this_process as p; print(p(), flush=True)"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", f"{code}; sys.stdin.read()"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    yield process
    process.kill()
    process.communicate()


def test_a_replica_starting_leaves_what_a_live_replica_is_sending(
    sessions: sessionmaker[Session], clock: ManualClock[datetime]
) -> None:
    enqueue_one(sessions)
    assert len(Outbox(sessions, POLICY, clock=clock, owner=ELSEWHERE).claim("email")) == 1
    assert lease(sessions) == (DeliveryState.SENDING, ELSEWHERE, clock.now)
    starting = Outbox(sessions, POLICY, clock=clock)
    assert starting.recover() == 0
    assert starting.claim("email") == []


def test_a_lease_not_renewed_for_the_timeout_is_taken_over(
    sessions: sessionmaker[Session], clock: ManualClock[datetime]
) -> None:
    enqueue_one(sessions)
    Outbox(sessions, POLICY, clock=clock, owner=ELSEWHERE).claim("email")
    other = Outbox(sessions, POLICY, clock=clock)
    clock.advance(59)
    assert other.recover(starting=False) == 0
    clock.advance(2)
    assert other.recover(starting=False) == 1
    assert len(other.claim("email")) == 1
    assert lease(sessions) == (DeliveryState.SENDING, other.owner, clock.now)


def test_a_renewed_lease_lasts_and_a_lost_one_is_reported(
    sessions: sessionmaker[Session], clock: ManualClock[datetime]
) -> None:
    enqueue_one(sessions)
    holder = Outbox(sessions, POLICY, clock=clock, owner=ELSEWHERE)
    [message] = holder.claim("email")
    other = Outbox(sessions, POLICY, clock=clock)
    for _ in range(4):  # 2 minutes in all, renewed every 30 s
        clock.advance(30)
        assert holder.renew(message.delivery_id)
        assert other.recover(starting=False) == 0
    clock.advance(61)
    assert other.recover(starting=False) == 1
    assert not holder.renew(message.delivery_id)


def test_leases_of_a_process_of_this_machine_end_when_it_dies(
    sessions: sessionmaker[Session],
    clock: ManualClock[datetime],
    live_process: subprocess.Popen[str],
) -> None:
    assert live_process.stdout is not None
    owner = live_process.stdout.readline().strip()
    assert owner != this_process() and not process_is_gone(owner)
    enqueue_one(sessions)
    Outbox(sessions, POLICY, clock=clock, owner=owner).claim("email")
    restarted = Outbox(sessions, POLICY, clock=clock)
    assert restarted.recover() == 0  # it still runs: its send may be under way
    live_process.kill()  # kill -9: no chance to put anything back
    live_process.wait()
    assert process_is_gone(owner)
    assert restarted.recover() == 1  # at once, not after the lease's 60 s
    assert [m.address for m in restarted.claim("email")] == ["a@x.test"]


def test_what_a_release_before_leases_left_sending_is_recovered(
    sessions: sessionmaker[Session], clock: ManualClock[datetime]
) -> None:
    enqueue_one(sessions)
    with sessions.begin() as session:  # as a receiver before revision 0002 left it
        session.execute(update(Delivery).values(state=DeliveryState.SENDING))
    assert Outbox(sessions, POLICY, clock=clock).recover() == 1


class BlockingNotifier(ScriptedNotifier):
    """Accepts once released: a send as long as the test wants."""

    def __init__(self, channel: str) -> None:
        super().__init__(channel)
        self.started, self.release = threading.Event(), threading.Event()

    def send(self, message: OutgoingMessage) -> str:
        self.started.set()
        assert self.release.wait(20)
        return super().send(message)


async def test_a_send_longer_than_the_lease_keeps_it(
    sessions: sessionmaker[Session], clock: ManualClock[datetime]
) -> None:
    enqueue_one(sessions)
    email = BlockingNotifier("email")
    outbox = Outbox(sessions, POLICY, clock=clock)
    worker = OutboxWorker(
        outbox, {"email": email}, ReceiverMetrics(), poll_interval=0.05, lease_renewal=0.02
    )
    other = Outbox(sessions, POLICY, clock=clock, owner=ELSEWHERE)
    async with running(worker):
        await until(email.started.is_set)
        for _ in range(4):  # the send lasts 2 minutes of the outboxes' clock: twice the lease
            clock.advance(30)
            await until(lambda: lease(sessions)[2] == clock.now)  # renewed
            assert await asyncio.to_thread(other.recover, False) == 0
        email.release.set()
        await until(lambda: lease(sessions)[0] == DeliveryState.SENT)
    assert len(email.sent) == 1
    assert lease(sessions)[1] == outbox.owner


async def test_a_running_worker_sends_what_a_replica_that_is_gone_left(
    sessions: sessionmaker[Session], clock: ManualClock[datetime]
) -> None:
    enqueue_one(sessions)
    Outbox(sessions, POLICY, clock=clock, owner=ELSEWHERE).claim("email")
    email = ScriptedNotifier("email")
    outbox = Outbox(sessions, POLICY, clock=clock)
    worker = OutboxWorker(
        outbox, {"email": email}, ReceiverMetrics(), poll_interval=0.05, lease_renewal=0.02
    )
    async with running(worker):
        await asyncio.sleep(0.2)  # several looks for abandoned leases: this one still holds
        assert email.sent == []
        clock.advance(61)  # the other replica never renewed: it is gone
        await until(lambda: len(email.sent) == 1)
        await until(lambda: lease(sessions)[0] == DeliveryState.SENT)
    assert lease(sessions)[1] == outbox.owner


async def test_a_worker_stops_when_cancelled_at_any_moment(tmp_path: Path) -> None:
    # Cancelled while ending a send's lease renewal, the worker once swallowed the
    # cancellation and ran on. The moment is one turn of the event loop: stop the worker at
    # many moments of a busy send loop (a send that fails at once, retried at once).
    engine = make_engine(sqlite_url(tmp_path / "store.sqlite3"))
    create_schema(engine)
    sessions = make_sessionmaker(engine)
    enqueue_one(sessions)
    email = ScriptedNotifier("email", [RetryableDeliveryError("timeout", "t")] * 100_000)
    busy = RetryPolicy(max_attempts=10**6, base_delay=0.0001, max_delay=0.0001)
    still_running = 0
    for attempt in range(80):
        worker = OutboxWorker(
            Outbox(sessions, busy),
            {"email": email},
            ReceiverMetrics(),
            poll_interval=0.01,
            lease_renewal=0.001,
        )
        task = asyncio.create_task(worker.run())
        await asyncio.sleep(0.02 + (attempt % 7) * 0.003)
        task.cancel()
        done, _ = await asyncio.wait([task], timeout=1)
        still_running += not done
    engine.dispose()
    assert email.attempts > 80  # the loop was busy sending
    assert still_running == 0

"""The receiver's background work: store webhooks (group commit), process them, run the outbox
and escalation; and the receiver's end of the kernel's resolution feed."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime
from typing import Any

from alertmanager.escalation import Escalator
from alertmanager.groupcommit import GroupCommitter, WriterNotRunning
from alertmanager.metrics import ReceiverMetrics
from alertmanager.payload import WebhookPayload
from alertmanager.pipeline import Pipeline
from alertmanager.resolution import resolution_webhooks
from alertmanager.stages.deliver import OutboxWorker
from alertmanager.watchdog import WatchdogMonitor
from chargekeeper.resolutions import ResolutionNotStored
from chargekeeper.store import Alert

log = logging.getLogger(__name__)

# Stored webhooks processed per wake-up (the rest at the next store or poll).
PROCESS_PAGE = 100
# Alertmanager flushes the groups of a storm together, so their webhooks come in one burst (one
# per site group and receiver); on a busy machine the receiver reads them with gaps of tens of
# milliseconds. While BURST_SIZE or more arrived within BURST_GAP, processing waits, for one
# second per page at most (a small part of the minute a storm's notifications may take, and
# no starvation under steady traffic). Fewer, such as an HA pair's twins, are processed at once.
BURST_GAP = 0.25
BURST_SIZE = 8
STORE_FIRST_AT_MOST = 1.0


class ReceiverService:
    """Owns the store's writer, the pipeline and the outbox worker; ``start``/``stop`` around
    the web app's life.

    Every blocking call they make runs through the worker's ``BlockingCalls``, so that ``stop``
    returns only once none of them still holds a store connection.
    """

    def __init__(
        self,
        pipeline: Pipeline,
        worker: OutboxWorker,
        metrics: ReceiverMetrics,
        escalator: Escalator | None = None,
        poll_interval: float = 1.0,
        escalation_interval: float = 5.0,
        watchdog: WatchdogMonitor | None = None,
    ) -> None:
        self.pipeline = pipeline
        self.worker = worker
        self.metrics = metrics
        self.escalator = escalator
        self.watchdog = watchdog
        self._poll = poll_interval
        self._escalation_interval = escalation_interval
        self._stored = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._blocking = worker.blocking
        self._writer: GroupCommitter[tuple[WebhookPayload, dict[str, Any]], int] = GroupCommitter(
            pipeline.store_batch, blocking=self._blocking
        )

    async def store(self, payload: WebhookPayload, raw: dict[str, Any]) -> int:
        """Store a webhook with whatever else arrives meanwhile (one commit); its receipt id.

        Returns once the receipt is committed; raises when storing it failed, or
        ``WriterNotRunning`` outside ``start``/``stop``. Processing is woken afterwards.
        """
        receipt_id = await self._writer.submit((payload, raw))
        self.stored()
        return receipt_id

    def stored(self) -> None:
        """A webhook was stored: process it now."""
        self._stored.set()

    async def resolved(self, alert_id: int, ends_at: datetime, source: str, reason: str) -> int:
        """The kernel's ``ResolutionFeed``: store the webhooks Alertmanager would have sent for
        the stored firing alert's resolution (``alertmanager.resolution``); how many."""
        webhooks = await self._blocking.run(self._resolution, alert_id, ends_at, source, reason)
        for payload, raw in webhooks:
            try:
                receipt_id = await self.store(payload, raw)
            except WriterNotRunning as exc:
                raise ResolutionNotStored(str(exc)) from exc
            log.info(
                "alert %s resolved (%s): stored as webhook %d for %r",
                payload.alerts[0].fingerprint,
                source,
                receipt_id,
                payload.receiver,
            )
        return len(webhooks)

    def _resolution(
        self, alert_id: int, ends_at: datetime, source: str, reason: str
    ) -> list[tuple[WebhookPayload, dict[str, Any]]]:
        with self.pipeline.sessions() as session:
            row = session.get_one(Alert, alert_id)
            if row.status != "firing":  # its resolution arrived meanwhile
                return []
            webhooks = resolution_webhooks(session, row, ends_at, source, reason)
        if not webhooks:
            log.warning("alert %d resolved, but no stored webhook names its receiver", alert_id)
        return webhooks

    async def start(self) -> None:
        self._stored = asyncio.Event()
        self._stored.set()  # whatever a previous run stored and did not process
        self._tasks = [
            asyncio.create_task(self._writer.run(), name="receiver-store"),
            asyncio.create_task(self._process_loop(), name="receiver-pipeline"),
            asyncio.create_task(self.worker.run(), name="receiver-outbox"),
        ]
        if self.escalator is not None:
            self._tasks.append(
                asyncio.create_task(self._escalation_loop(self.escalator), name="escalation")
            )
        if self.watchdog is not None:
            self._tasks.append(
                asyncio.create_task(self._watchdog_loop(self.watchdog), name="watchdog")
            )

    async def stop(self) -> None:
        """Cancel the background tasks, then wait for the blocking calls they left running
        (cancelling a task does not stop its thread); the store may be closed afterwards."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        await self._blocking.drain()

    async def _process_loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stored.wait(), self._poll)
            self._stored.clear()
            try:
                pending = await self._blocking.run(self.pipeline.pending, PROCESS_PAGE)
            except Exception:
                log.exception("listing stored webhooks failed")
                continue
            deadline = asyncio.get_running_loop().time() + STORE_FIRST_AT_MOST
            for receipt_id in pending:
                await self._store_first(deadline)
                if await self._blocking.run(self.pipeline.process_or_note, receipt_id):
                    self.worker.wake()

    async def _store_first(self, deadline: float) -> None:
        """Let a burst of webhooks be stored and answered before processing competes with it
        for the store's write lock and the interpreter; wait until ``deadline`` at most."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout_at(deadline):
                await self._writer.quiet(BURST_GAP, BURST_SIZE)

    async def _escalation_loop(self, escalator: Escalator) -> None:
        while True:
            await asyncio.sleep(self._escalation_interval)
            try:
                enqueued = await self._blocking.run(escalator.run_once)
            except Exception:
                log.exception("escalation check failed; trying again at the next interval")
                continue
            if enqueued:
                self.worker.wake()

    async def _watchdog_loop(self, watchdog: WatchdogMonitor) -> None:
        """Store what the missing or returning Watchdog calls for; processing tells the
        operations contacts (``alertmanager.watchdog``)."""
        while True:
            await asyncio.sleep(watchdog.check_interval)
            try:
                webhooks = await self._blocking.run(watchdog.due)
                for payload, raw in webhooks:
                    receipt_id = await self.store(payload, raw)
                    log.warning(
                        "Watchdog %s: stored as webhook %d for the operations contacts",
                        "missing" if payload.status == "firing" else "back",
                        receipt_id,
                    )
            except Exception:
                log.exception("the Watchdog check failed; trying again at the next interval")

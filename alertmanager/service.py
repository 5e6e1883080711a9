"""The receiver's background work: process stored webhooks, run the outbox."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from alertmanager.escalation import Escalator
from alertmanager.metrics import ReceiverMetrics
from alertmanager.outbox import OutboxWorker
from alertmanager.pipeline import Pipeline

log = logging.getLogger(__name__)


class ReceiverService:
    """Owns the pipeline and the outbox worker; ``start``/``stop`` around the web app's life."""

    def __init__(
        self,
        pipeline: Pipeline,
        worker: OutboxWorker,
        metrics: ReceiverMetrics,
        escalator: Escalator | None = None,
        poll_interval: float = 1.0,
        escalation_interval: float = 5.0,
    ) -> None:
        self.pipeline = pipeline
        self.worker = worker
        self.metrics = metrics
        self.escalator = escalator
        self._poll = poll_interval
        self._escalation_interval = escalation_interval
        self._stored = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def stored(self) -> None:
        """A webhook was stored: process it now."""
        self._stored.set()

    async def start(self) -> None:
        self._stored = asyncio.Event()
        self._stored.set()  # whatever a previous run stored and did not process
        self._tasks = [
            asyncio.create_task(self._process_loop(), name="receiver-pipeline"),
            asyncio.create_task(self.worker.run(), name="receiver-outbox"),
        ]
        if self.escalator is not None:
            self._tasks.append(
                asyncio.create_task(self._escalation_loop(self.escalator), name="escalation")
            )

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    async def _process_loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stored.wait(), self._poll)
            self._stored.clear()
            try:
                enqueued = await asyncio.to_thread(self.pipeline.process_pending)
            except Exception:
                # The receipt stays unprocessed and is tried again at the next poll.
                log.exception("processing stored webhooks failed")
                continue
            if enqueued:
                self.worker.wake()

    async def _escalation_loop(self, escalator: Escalator) -> None:
        while True:
            await asyncio.sleep(self._escalation_interval)
            try:
                enqueued = await asyncio.to_thread(escalator.run_once)
            except Exception:
                log.exception("escalation check failed; trying again at the next interval")
                continue
            if enqueued:
                self.worker.wake()

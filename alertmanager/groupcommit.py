"""Group commit: concurrent webhooks stored by one writer, one transaction per batch.

SQLite has one writer. When every webhook request commits on its own, the ~100 webhooks an
alert storm brings at once (one per site group and receiver) queue on the store's write lock,
each in its own thread, and SQLite's busy handler makes them sleep while the lock is free: the
last answers came after more than a second. Here each request hands its body to one writer task
and awaits its receipt; the writer takes everything waiting, stores it in one transaction,
commits once and answers every caller. Nobody waits for a lock, and a storm costs a handful of
commits instead of a hundred.

The guarantee is unchanged: a caller gets its result only once its transaction committed, and
an exception only when storing it failed. One bad body cannot fail its batch-mates: a failed
batch is stored again one item at a time, so only the items that fail alone see an error.

Hand-written rather than taken from a library: the pattern is a queue, a loop and a fallback
(about sixty lines), and it must answer each caller with its own outcome of a shared commit,
which general-purpose batching helpers (aiostream, asyncstdlib) do not model.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from chargekeeper.blocking import BlockingCalls

log = logging.getLogger(__name__)

Item = TypeVar("Item")
Result = TypeVar("Result")

# A batch's slowest caller waits for every body in it to be inserted: 64 webhooks of a site
# group each (40 alerts in the storm benchmark) are a few tens of milliseconds of inserts.
DEFAULT_MAX_BATCH = 64
# The most submit times kept for ``quiet``: the largest ``burst`` it can tell apart.
RECENT_SUBMITS = 64


class WriterNotRunning(RuntimeError):
    """The writer is not running (the receiver is starting or stopping): nothing was stored."""


@dataclass(frozen=True)
class _Waiting(Generic[Item, Result]):
    item: Item
    answer: asyncio.Future[Result]


class GroupCommitter(Generic[Item, Result]):
    """Many concurrent ``submit`` callers, one writer task (``run``) committing for them.

    ``write`` stores a batch in one transaction and returns one result per item, in order; it
    raises if the transaction failed. It runs in a worker thread of ``blocking``, one batch at
    a time (whoever stops the writer drains ``blocking`` before closing the store).
    """

    def __init__(
        self,
        write: Callable[[Sequence[Item]], Sequence[Result]],
        max_batch: int = DEFAULT_MAX_BATCH,
        blocking: BlockingCalls | None = None,
    ) -> None:
        if max_batch < 1:
            raise ValueError(f"max_batch must be at least 1, not {max_batch}")
        self._write = write
        self._blocking = blocking or BlockingCalls("store-writer")
        self._max_batch = max_batch
        self._queue: asyncio.Queue[_Waiting[Item, Result]] | None = None
        self._idle = asyncio.Event()
        self._idle.set()
        # When the latest items were submitted (the writer's loop clock), for ``quiet``.
        self._recent_submits: deque[float] = deque(maxlen=RECENT_SUBMITS)

    async def quiet(self, settle: float, burst: int) -> None:
        """Return once nothing waits to be stored and fewer than ``burst`` items were submitted
        in the last ``settle`` seconds; at once when that is already so.

        Work that competes with the writer for the store and the interpreter (processing the
        stored webhooks) waits for this between its steps, so that a burst of callers waiting
        for their commit goes first while ordinary traffic is not held up. Bound the wait
        (``asyncio.timeout``): a steady stream of submits would never leave a quiet moment.
        """
        if burst < 1:
            raise ValueError(f"burst must be at least 1, not {burst}")
        loop = asyncio.get_running_loop()
        while True:
            await self._idle.wait()
            recent = list(self._recent_submits)[-burst:]
            age = loop.time() - recent[0] if len(recent) == burst else math.inf
            if age >= settle:
                return
            await asyncio.sleep(max(0.0, settle - age))

    async def submit(self, item: Item) -> Result:
        """Wait until ``item`` is committed and return its result; raise what storing it raised.

        Raises WriterNotRunning when no writer runs. A caller cancelled while waiting does not
        withdraw its item: it is stored all the same (storing more is safe, losing is not).
        """
        if self._queue is None:
            raise WriterNotRunning("the store's writer is not running; retry")
        answer: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Waiting(item, answer))
        self._idle.clear()
        self._recent_submits.append(asyncio.get_running_loop().time())
        return await answer

    async def run(self) -> None:
        """Store what callers submit until cancelled; then refuse what is still waiting."""
        queue: asyncio.Queue[_Waiting[Item, Result]] = asyncio.Queue()
        self._queue = queue
        try:
            while True:
                batch = [await queue.get()]
                while len(batch) < self._max_batch and not queue.empty():
                    batch.append(queue.get_nowait())
                await self._commit(batch)
                if queue.empty():
                    self._idle.set()
        finally:
            self._queue = None
            self._idle.set()
            while not queue.empty():
                waiting = queue.get_nowait()
                if not waiting.answer.done():
                    waiting.answer.set_exception(WriterNotRunning("the receiver is stopping"))

    async def _commit(self, batch: list[_Waiting[Item, Result]]) -> None:
        items = [waiting.item for waiting in batch]
        outcome = asyncio.ensure_future(self._blocking.run(self._write_each, items))
        try:
            results = await asyncio.shield(outcome)
        except asyncio.CancelledError:
            # Stopping: the transaction under way finishes in its thread; its callers get its
            # true outcome rather than an error for something that may have been committed.
            with contextlib.suppress(asyncio.CancelledError):
                _answer(batch, await outcome)
            raise
        _answer(batch, results)

    def _write_each(self, items: Sequence[Item]) -> list[Result | Exception]:
        """The batch in one transaction; if that fails, each item alone (isolating the bad one)."""
        try:
            results: list[Result | Exception] = list(self._write(items))
        except Exception as exc:
            if len(items) == 1:
                return [exc]
            log.warning(
                "storing %d items together failed (%s): storing each alone", len(items), exc
            )
            return [self._write_alone(item) for item in items]
        if len(results) != len(items):
            error = RuntimeError(f"write returned {len(results)} results for {len(items)} items")
            return [error] * len(items)
        return results

    def _write_alone(self, item: Item) -> Result | Exception:
        try:
            (result,) = self._write([item])
        except Exception as exc:
            return exc
        return result


def _answer(batch: Sequence[_Waiting[Item, Result]], results: Sequence[Result | Exception]) -> None:
    for waiting, result in zip(batch, results, strict=True):
        if waiting.answer.done():  # the caller gave up (client gone); its item is stored anyway
            continue
        if isinstance(result, Exception):
            waiting.answer.set_exception(result)
        else:
            waiting.answer.set_result(result)

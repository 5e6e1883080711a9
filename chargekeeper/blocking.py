"""Blocking calls run in worker threads, and a way to wait until every one has returned.

``asyncio.to_thread`` cannot stop a thread: cancelling the awaiting task returns at once while
the call (a store transaction, a notifier's send) goes on holding its database connection.
Were the receiver to dispose of its engine then, that connection would be dropped unclosed.
The receiver's components run their blocking calls through one ``BlockingCalls`` instead, and
``ReceiverService.stop`` awaits ``drain`` before the engine is disposed.

Hand-written rather than taken from a library: it is ``ThreadPoolExecutor`` plus a set of the
futures still running (anyio's ``to_thread`` can defer a cancellation until its thread
returns, but only under anyio cancel scopes, not the plain task cancellation used here).
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, ParamSpec, TypeVar

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

# The notifiers bound a send at 10 s per network step (connect, then the exchange) and a store
# transaction takes milliseconds: half a minute covers the slowest call still running at stop.
DRAIN_TIMEOUT = 30.0


class BlockingCalls:
    """Runs blocking calls in worker threads and knows which ones are still running.

    Usable again after ``drain``: the next ``run`` starts a new pool of threads.
    """

    def __init__(self, name: str = "blocking", drain_timeout: float = DRAIN_TIMEOUT) -> None:
        self._name = name
        self._drain_timeout = drain_timeout
        self._executor: ThreadPoolExecutor | None = None
        self._running: set[Future[Any]] = set()

    async def run(self, fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
        """``fn(*args, **kwargs)`` in a worker thread (with the caller's context variables).

        Cancelling the caller does not stop the call: ``drain`` waits for it.
        """
        if self._executor is None:
            self._executor = ThreadPoolExecutor(thread_name_prefix=self._name)
        call = functools.partial(contextvars.copy_context().run, fn, *args, **kwargs)
        future: Future[R] = self._executor.submit(call)
        self._running.add(future)
        future.add_done_callback(self._running.discard)
        return await asyncio.wrap_future(future)

    @property
    def running(self) -> int:
        """How many calls have not returned yet (queued ones included)."""
        return len(self._running)

    async def drain(self) -> bool:
        """Wait, without blocking the event loop, until every call has returned; at most
        ``drain_timeout`` seconds. True when none is left running; else they are logged and left
        to run.
        """
        running = list(self._running)
        if running:
            await asyncio.wait(
                [asyncio.wrap_future(future) for future in running], timeout=self._drain_timeout
            )
        left = self.running
        if left:
            log.error(
                "%d blocking %s call(s) still running %.0f s after stop: their database "
                "connections may be dropped unclosed when the store is closed",
                left,
                self._name,
                self._drain_timeout,
            )
        if self._executor is not None:
            # Idle threads exit now rather than when the executor is collected.
            self._executor.shutdown(wait=False)
            self._executor = None
        return left == 0

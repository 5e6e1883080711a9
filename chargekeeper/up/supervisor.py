"""``up`` supervises its children: a child that dies is restarted, a few times, with backoff;
one that keeps dying stops the whole stack with a message naming it and its log.

A stack that runs on without its receiver (or Alertmanager, or Prometheus) looks alive and
tells nobody anything, which is worse than a stack that stops and says why.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence

from chargekeeper.processes import ChildProcess, StackError

log = logging.getLogger("chargekeeper.up")

# Restarts allowed in a row: a child that dies again within STABLE_AFTER of a restart counts
# towards them; one that ran that long has recovered and starts counting afresh.
MAX_RESTARTS = 3
STABLE_AFTER = 300.0
# The first restart waits this long, each next one twice as long (1 s, 2 s, 4 s): enough for a
# port to be released or a full disk to be noticed, short enough that few alerts are missed.
FIRST_BACKOFF = 1.0


class Supervisor:
    """Watches ``children`` (started already) until one cannot be kept running."""

    def __init__(
        self,
        children: Sequence[ChildProcess],
        max_restarts: int = MAX_RESTARTS,
        first_backoff: float = FIRST_BACKOFF,
        stable_after: float = STABLE_AFTER,
        say: Callable[[str], None] = log.warning,
    ) -> None:
        self._children = list(children)
        self._max = max_restarts
        self._backoff = first_backoff
        self._stable_after = stable_after
        self._say = say

    async def run(self) -> str:
        """Restart children as they die; return why the stack must stop (a child that keeps
        dying or cannot start again). Cancel it before stopping the children on purpose."""
        watchers = [
            asyncio.create_task(self._watch(child), name=f"supervise-{child.name}")
            for child in self._children
        ]
        try:
            done, _ = await asyncio.wait(watchers, return_when=asyncio.FIRST_COMPLETED)
            return next(iter(done)).result()
        finally:
            for watcher in watchers:
                watcher.cancel()
            for watcher in watchers:
                with contextlib.suppress(asyncio.CancelledError):
                    await watcher

    async def _watch(self, child: ChildProcess) -> str:
        loop = asyncio.get_running_loop()
        restarts = 0
        started = loop.time()
        while True:
            status = await child.wait()
            if loop.time() - started >= self._stable_after:
                restarts = 0
            if restarts >= self._max:
                return (
                    f"{child.name} exited with status {status} again after {restarts} "
                    f"restart(s); stopping the whole stack. Its log is {child.log_path}:\n"
                    f"{child.log_tail()}"
                )
            restarts += 1
            delay = self._backoff * 2 ** (restarts - 1)
            self._say(
                f"{child.name} exited with status {status}; restarting it in {delay:g}s "
                f"(restart {restarts} of {self._max}). Its log is {child.log_path}"
            )
            await asyncio.sleep(delay)
            try:
                await child.start()
            except StackError as exc:
                return f"{child.name} could not be restarted; stopping the whole stack: {exc}"
            started = loop.time()
            self._say(f"{child.name} restarted")

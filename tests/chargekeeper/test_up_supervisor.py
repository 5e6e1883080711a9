"""``up``'s supervisor with tiny real children: Python's http.server, killed as a crash would."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from chargekeeper.net import free_port
from chargekeeper.processes import ChildProcess
from chargekeeper.up.supervisor import Supervisor


def web_child(tmp_path: Path, name: str) -> ChildProcess:
    port = free_port()
    return ChildProcess(
        name=name,
        argv=[sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port)],
        health_url=f"http://127.0.0.1:{port}/",
        log_path=tmp_path / "logs" / f"{name}.log",
    )


@pytest.fixture
async def child(tmp_path: Path) -> AsyncIterator[ChildProcess]:
    started = web_child(tmp_path, "receiver")
    await started.start(ready_within=20)
    yield started
    await started.stop()


def kill(child: ChildProcess) -> int:
    assert child.process is not None
    pid = child.process.pid
    os.kill(pid, signal.SIGKILL)
    return pid


async def until(check: Callable[[], bool], within: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "not reached in time"
        await asyncio.sleep(0.05)


async def test_a_killed_child_is_restarted_and_the_terminal_says_so(child: ChildProcess) -> None:
    said: list[str] = []
    supervisor = asyncio.create_task(Supervisor([child], first_backoff=0.1, say=said.append).run())
    try:
        first = kill(child)
        await until(lambda: said[-1:] == ["receiver restarted"])
        assert child.process is not None and child.process.pid != first
        assert child.process.returncode is None  # running, and it answered its health URL
        assert said[0] == (
            "receiver exited with status -9; restarting it in 0.1s (restart 1 of 3). "
            f"Its log is {child.log_path}"
        )
        assert not supervisor.done()
    finally:
        supervisor.cancel()
        with pytest.raises(asyncio.CancelledError):
            await supervisor


async def test_a_child_that_keeps_dying_stops_the_stack_naming_it_and_its_log(
    child: ChildProcess,
) -> None:
    said: list[str] = []
    supervisor = asyncio.create_task(
        Supervisor([child], max_restarts=2, first_backoff=0.05, say=said.append).run()
    )
    for restarted in range(1, 3):
        kill(child)

        def restarted_again(times: int = restarted) -> bool:
            return said.count("receiver restarted") == times

        await until(restarted_again)
    kill(child)
    reason = await asyncio.wait_for(supervisor, 20)
    assert reason.startswith(
        "receiver exited with status -9 again after 2 restart(s); stopping the whole stack. "
        f"Its log is {child.log_path}:"
    )


async def test_a_child_that_cannot_start_again_stops_the_stack(
    tmp_path: Path, child: ChildProcess
) -> None:
    supervisor = asyncio.create_task(Supervisor([child], first_backoff=0.05, say=print).run())
    child.argv = [sys.executable, "-c", "raise SystemExit(3)"]  # e.g. its binary was removed
    kill(child)
    reason = await asyncio.wait_for(supervisor, 30)
    assert reason.startswith(
        "receiver could not be restarted; stopping the whole stack: receiver exited with status 3 "
        f"at start; its log is {child.log_path}"
    )


async def test_stopping_the_children_after_cancelling_the_supervisor_restarts_nothing(
    child: ChildProcess,
) -> None:
    said: list[str] = []
    supervisor = asyncio.create_task(Supervisor([child], say=said.append).run())
    await asyncio.sleep(0.1)
    supervisor.cancel()
    with pytest.raises(asyncio.CancelledError):
        await supervisor
    await child.stop()
    await asyncio.sleep(0.3)
    assert said == []
    assert child.process is not None and child.process.returncode is not None

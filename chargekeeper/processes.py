"""Run the stack's external servers (Prometheus, Alertmanager, influxd, the receiver) as child
processes, which ``chargekeeper.up.supervisor`` restarts when they die.

Each child logs to a file in the state directory, is ready when its health URL answers, and is
stopped with SIGTERM (then SIGKILL) when the stack shuts down. A missing binary is reported with
the command that installs it, since that is the one thing a new user cannot guess.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

# Debian package that ships each binary (deps/debian-packages.txt installs them all).
DEBIAN_PACKAGES = {
    "prometheus": "prometheus",
    "promtool": "prometheus",
    "prometheus-alertmanager": "prometheus-alertmanager",
    "amtool": "prometheus-alertmanager",
    "influxd": "influxdb",
}


class StackError(Exception):
    """A part of the local stack could not start; the message says what to do."""


def find_binary(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        package = DEBIAN_PACKAGES.get(name, name)
        raise StackError(
            f"{name} is not installed: run `sudo apt-get install {package}` "
            "(or ./dev setup, which installs everything the stack needs)"
        )
    return path


@dataclass
class ChildProcess:
    """One external server of the stack."""

    name: str
    argv: Sequence[str]
    health_url: str
    log_path: Path
    process: asyncio.subprocess.Process | None = None

    async def start(self, ready_within: float = 30.0) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                *self.argv, stdout=log, stderr=log, start_new_session=True
            )
        await self._wait_ready(ready_within)

    async def _wait_ready(self, within: float) -> None:
        assert self.process is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        async with httpx.AsyncClient(timeout=1.0) as client:
            while loop.time() < deadline:
                if self.process.returncode is not None:
                    raise StackError(
                        f"{self.name} exited with status {self.process.returncode} at start; "
                        f"its log is {self.log_path}:\n{self.log_tail()}"
                    )
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(self.health_url)).is_success:
                        return
                await asyncio.sleep(0.2)
        raise StackError(f"{self.name} did not become ready within {within:.0f}s: {self.log_path}")

    async def wait(self) -> int:
        """Until the process exits (started with :meth:`start`); its exit status."""
        if self.process is None:
            raise StackError(f"{self.name} was never started")
        return await self.process.wait()

    def log_tail(self, lines: int = 15) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    async def stop(self, within: float = 10.0) -> None:
        process = self.process
        if process is None or process.returncode is not None:
            return
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), within)
        except TimeoutError:
            process.kill()
            await process.wait()

"""Start real servers on 127.0.0.1 for a test and stop them afterwards.

Tests use the real binaries named in ARCHITECTURE section 3. A missing binary fails the test
with the command that installs it: skipping would let CI pass without testing anything.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

import httpx
import pytest

from chargekeeper.net import free_port as free_port  # re-exported for tests that import it here

INSTALL_HINT = "run ./dev setup (it installs deps/debian-packages.txt)"


def require_binary(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed: {INSTALL_HINT}")
    return path


def wait_for_http(url: str, timeout: float = 20.0, proc: ServerProcess | None = None) -> None:
    """Poll ``url`` until it answers 2xx; fail with the server's log if it never does."""
    deadline = time.monotonic() + timeout
    last: Exception | str = "no answer"
    while time.monotonic() < deadline:
        if proc is not None and proc.popen.poll() is not None:
            pytest.fail(f"{proc.name} exited with {proc.popen.returncode}:\n{proc.log_tail()}")
        try:
            response = httpx.get(url, timeout=1.0)
            if response.is_success:
                return
            last = f"HTTP {response.status_code}"
        except httpx.HTTPError as exc:
            last = exc
        time.sleep(0.1)
    log = proc.log_tail() if proc is not None else ""
    pytest.fail(f"{url} did not become ready in {timeout}s ({last})\n{log}")


class ServerProcess:
    """A child process whose output goes to a log file inside the test's tmp dir."""

    def __init__(self, name: str, argv: Sequence[str], log_dir: Path, cwd: Path | None = None):
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log = self.log_path.open("wb")
        self.popen = subprocess.Popen(
            list(argv),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            start_new_session=True,
        )

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10.0) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, sig)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait()
        self._log.close()

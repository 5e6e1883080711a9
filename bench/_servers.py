"""Start the collector and the baseline servers as child processes for a benchmark."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHARGEKEEPER = str(Path(sys.executable).with_name("chargekeeper"))


def wait_for_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}: {proc.args!r}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port} after {timeout}s: {proc.args!r}")


@contextlib.contextmanager
def running(argv: list[str], port: int) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``argv`` until the block ends, its output in a temporary log shown if it fails.

    The log is a file, not a pipe: a server that logs every connection would otherwise block
    once nobody reads the pipe.
    """
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(argv, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for_port(port, proc)
            yield proc
        except BaseException:
            log.seek(0)
            tail = log.read().decode(errors="replace").splitlines()[-20:]
            print("\n".join(["server log (last lines):", *tail]), file=sys.stderr)
            raise
        finally:
            _stop(proc)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def baseline_argv(kind: str, port: int) -> list[str]:
    return [sys.executable, "-m", "bench._baselines", kind, "--port", str(port)]


def collector_argv(ocpp_port: int, metrics_port: int, *extra: str) -> list[str]:
    return [
        CHARGEKEEPER,
        "exporter",
        "--ocpp-listen",
        f"127.0.0.1:{ocpp_port}",
        "--metrics-listen",
        f"127.0.0.1:{metrics_port}",
        *extra,
    ]

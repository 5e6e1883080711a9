"""``chargekeeper simulate``: help, precise errors with exit code 2, a run, and Ctrl-C."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from chargekeeper.net import free_port
from simulator.cli import register
from simulator.scenarios import SCENARIO_NAMES
from tests.simulator.central import CentralSystem

REPO = Path(__file__).resolve().parents[2]
# The simulate command alone, so these tests do not depend on the other components' CLIs.
CLI_SCRIPT = """
import typer
from simulator.cli import register
app = typer.Typer(pretty_exceptions_enable=False)
register(app)
@app.callback()
def root() -> None:
    pass
app()
"""


def simulate_app() -> typer.Typer:
    app = typer.Typer(pretty_exceptions_enable=False)
    register(app)

    @app.callback()
    def root() -> None:
        """Needed so that "simulate" stays a named subcommand."""

    return app


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(simulate_app(), ["simulate", *args])
    return result.exit_code, result.output


PASSWORDS = {"SIM0001": "alpha one", "SIM0002": "bravo two"}


@contextlib.contextmanager
def central_in_thread(central: CentralSystem) -> Iterator[str]:
    """Run ``central`` in its own thread and event loop (the CLI runs its own); yield its URL."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    url: list[str] = []
    stop = asyncio.Event()

    async def serve() -> None:
        async with central.running():
            url.append(central.url)
            ready.set()
            await stop.wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    thread.start()
    assert ready.wait(10)
    yield url[0]
    loop.call_soon_threadsafe(stop.set)
    thread.join(10)
    loop.close()


@pytest.fixture
def central_url() -> Iterator[str]:
    with central_in_thread(CentralSystem()) as url:
        yield url


def test_help_names_every_option_and_scenario() -> None:
    code, output = run("--help")
    assert code == 0
    for option in (
        "--url",
        "--chargers",
        "--protocol",
        "--scenario",
        "--seed",
        "--id-prefix",
        "--time-scale",
        "--duration",
        "--password-file",
    ):
        assert option in output
    for name in SCENARIO_NAMES:
        assert name in output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--url", "http://127.0.0.1:9", "--chargers", "2"], "must start with ws:// or wss://"),
        (["--url", "ws://:9000", "--chargers", "2"], "has no host"),
        (["--url", "ws://127.0.0.1:99999", "--chargers", "2"], "invalid port"),
        (["--url", "ws://127.0.0.1:9", "--chargers", "0"], "--chargers"),
        (["--url", "ws://127.0.0.1:9", "--chargers", "2", "--protocol", "2.0"], "--protocol"),
        (
            ["--url", "ws://127.0.0.1:9", "--chargers", "2", "--scenario", "chaos"],
            "unknown scenario",
        ),
        (
            ["--url", "ws://127.0.0.1:9", "--chargers", "2", "--id-prefix", "a b"],
            "may only contain",
        ),
        (
            ["--url", "ws://127.0.0.1:9", "--chargers", "2", "--ca-file", "x.pem"],
            "need a wss:// URL",
        ),
        (
            ["--url", "ws://127.0.0.1:9", "--chargers", "2", "--password-file", "/nonexistent/pw"],
            "cannot read --password-file /nonexistent/pw",
        ),
    ],
)
def test_bad_arguments_exit_2_with_a_precise_message(args: list[str], message: str) -> None:
    code, output = run(*args)
    assert code == 2
    assert message in output
    assert "Traceback" not in output


def test_empty_password_file_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "password"
    empty.write_text("\n")
    code, output = run(
        "--url", "ws://127.0.0.1:9", "--chargers", "1", "--password-file", str(empty)
    )
    assert code == 2
    assert "is empty" in output


def test_malformed_per_charger_password_file_names_the_line(tmp_path: Path) -> None:
    passwords = tmp_path / "passwords"
    passwords.write_text("# id password\nSIM0001 one\nSIM0002\n")
    code, output = run(
        "--url", "ws://127.0.0.1:9", "--chargers", "2", "--password-file", str(passwords)
    )
    assert code == 2
    assert f"--password-file {passwords} line 3: expected '<charge point id> <password>'" in output


def test_unreachable_central_system_exits_2() -> None:
    port = free_port()  # nobody listens there
    code, output = run("--url", f"ws://127.0.0.1:{port}", "--chargers", "3")
    assert code == 2
    assert f"cannot reach the central system at 127.0.0.1:{port} (connection refused)" in output


def test_runs_a_fleet_and_prints_progress_and_summary(central_url: str) -> None:
    code, output = run(
        "--url",
        central_url,
        "--chargers",
        "3",
        "--protocol",
        "2.0.1",
        "--scenario",
        "normal",
        "--time-scale",
        "600",
        "--duration",
        "1.5",
    )
    assert code == 0, output
    assert "booted 3/3" in output
    assert "chargers 3: connected 3, booted 3" in output
    assert "connections opened 3, boots accepted 3" in output


def test_per_charger_password_file(tmp_path: Path) -> None:
    passwords = tmp_path / "passwords"
    passwords.write_text("".join(f"{cp}  {secret}\n" for cp, secret in PASSWORDS.items()))
    central = CentralSystem(password=PASSWORDS)
    with central_in_thread(central) as url:
        code, output = run(
            "--url", url, "--chargers", "2", "--password-file", str(passwords), "--duration", "1"
        )
    assert code == 0, output
    assert "boots accepted 2" in output
    assert central.refused == 0


def test_ctrl_c_stops_cleanly_with_a_summary(central_url: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-c", CLI_SCRIPT, "simulate", "--url", central_url, "--chargers", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=REPO,
    )
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if "booted 2/2" in line:
            break
    proc.send_signal(signal.SIGINT)
    rest, _ = proc.communicate(timeout=15)
    output = "".join(lines) + rest
    assert proc.returncode == 0, output
    assert "boots accepted 2" in output
    assert "Traceback" not in output

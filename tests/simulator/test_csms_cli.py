"""``chargekeeper simulate csms``: a real process that a simulated fleet boots against, whose
log shows every charger's frames, and that stops on SIGTERM; bad options exit 2."""

from __future__ import annotations

import asyncio
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from chargekeeper.net import free_port
from simulator import SimulatedFleet
from tests.simulator.test_cli import simulate_app
from tests.support.procs import wait_for_http


def _chargekeeper() -> str:
    found = shutil.which("chargekeeper", path=str(Path(sys.executable).parent))
    assert found is not None
    return found


def test_a_fleet_boots_against_it_and_its_log_shows_the_traffic(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "csms.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [_chargekeeper(), "simulate", "csms", f"--listen=127.0.0.1:{port}", "--max-delay=0.05"],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for_http(f"http://127.0.0.1:{port}/healthz", timeout=30)

        async def run_fleet() -> int:
            fleet = SimulatedFleet(f"ws://127.0.0.1:{port}", 3, id_prefix="CSMS-", time_scale=60)
            await fleet.start()
            try:
                await fleet.wait_ready(20)
                return fleet.summary().boots
            finally:
                await fleet.stop()

        assert asyncio.run(run_fleet()) == 3
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=15)
    assert proc.returncode == 0, log.read_text()
    text = log.read_text()
    assert f"stand-in CSMS listening on ws://127.0.0.1:{port}/<charge_point_id>" in text
    for number in (1, 2, 3):
        charger = f"CSMS-{number:04d}"
        assert f"{charger} -> [2," in text and '"BootNotification"' in text, text
        assert f"{charger} <- [3," in text
        assert f"{charger} disconnected" in text
    # The ocpp library's own frame log is off: each frame is logged once, by the stand-in.
    assert "receive message" not in text


def test_bad_listen_and_busy_port_exit_2() -> None:
    result = CliRunner().invoke(simulate_app(), ["simulate", "csms", "--listen", "nowhere"])
    assert result.exit_code == 2
    assert "Invalid value for '--listen': 'nowhere' is not HOST:PORT" in result.output
    port = free_port()
    with socket.socket() as taken:  # someone listens there already
        taken.bind(("127.0.0.1", port))
        taken.listen()
        busy = subprocess.run(
            [_chargekeeper(), "simulate", "csms", f"--listen=127.0.0.1:{port}"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert busy.returncode == 2
    assert f"error: cannot listen on 127.0.0.1:{port}" in busy.stderr
    assert "Traceback" not in busy.stderr


def test_simulate_without_url_or_chargers_says_what_is_missing() -> None:
    result = CliRunner().invoke(simulate_app(), ["simulate", "--chargers", "3"])
    assert result.exit_code == 2
    assert "error: --url is required" in result.output

"""``chargekeeper exporter``: help, precise startup errors (exit 2), and a real subprocess run."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher
from typer.testing import CliRunner
from websockets.exceptions import ConnectionClosed

from chargekeeper.cli import app
from chargekeeper.net import free_port
from exporter.settings import ListenAddress
from tests.exporter.conftest import (
    PASSWORD,
    TlsMaterial,
    boot_frame,
    charger,
    receive_text,
    sample_value,
)
from tests.support.procs import ServerProcess, wait_for_http

CHARGEKEEPER = Path(sys.executable).parent / "chargekeeper"

FLEET = """\
clients:
  - id: acme
sites:
  - id: lyon-1
    client: acme
chargers:
  - id: CP-1
    site: lyon-1
  - id: CP-2
    site: lyon-1
"""


def run_cli(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def listen_args() -> list[str]:
    return [
        "--ocpp-listen",
        f"127.0.0.1:{free_port()}",
        "--metrics-listen",
        f"127.0.0.1:{free_port()}",
    ]


def test_help_names_every_option_and_the_subcommand() -> None:
    code, out, _ = run_cli("exporter", "--help")
    assert code == 0
    for option in (
        "--ocpp-listen",
        "--metrics-listen",
        "--fleet",
        "--security-profile",
        "--tls-cert",
        "--tls-key",
        "--tls-ca",
        "--ping-interval",
        "--ping-timeout",
        "--max-message-bytes",
        "--influxdb-url",
        "--influxdb-token-file",
        "--influxdb-org",
        "--influxdb-bucket",
        "hash-password",
    ):
        assert option in out
    code, out, _ = run_cli("exporter", "hash-password", "--help")
    assert code == 0 and "--time-cost" in out and "stdin" in out.replace("standard input", "stdin")


def test_hash_password_reads_stdin_and_prints_only_the_hash() -> None:
    code, out, _ = run_cli("exporter", "hash-password", stdin=PASSWORD + "\n")
    assert code == 0
    password_hash = out.strip()
    assert PasswordHasher().verify(password_hash, PASSWORD)
    assert PASSWORD not in out
    code, _, err = run_cli("exporter", "hash-password", stdin="short\n")
    assert code == 2 and "16 to 40" in err


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], "--ocpp-listen: required"),
        (
            ["--ocpp-listen", "nonsense", "--metrics-listen", "127.0.0.1:1"],
            "--ocpp-listen: 'nonsense' is not HOST:PORT",
        ),
        (["--ocpp-listen", "127.0.0.1:99999", "--metrics-listen", "127.0.0.1:1"], "above 65535"),
        (["--security-profile", "2"], "--tls-cert: security profile 2 uses TLS"),
        (
            ["--security-profile", "3", "--tls-cert", "a", "--tls-key", "b"],
            "--tls-ca: security profile 3",
        ),
        (["--tls-cert", "a", "--tls-key", "b"], "profile 0 runs without TLS"),
        (["--ping-interval", "0"], "--ping-interval: Input should be greater than 0"),
        (
            ["--influxdb-url", "http://127.0.0.1:1"],
            "--influxdb-org: required when any --influxdb-*",
        ),
        (["--security-profile", "1"], "give --fleet FILE"),
        (["--security-profile", "7"], "--security-profile"),
    ],
)
def test_bad_options_get_a_precise_error_and_exit_2(args: list[str], expected: str) -> None:
    given_listen = not args or "--ocpp-listen" in args
    code, _, err = run_cli("exporter", *(args if given_listen else [*listen_args(), *args]))
    assert code == 2, err
    assert expected in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("text", "host", "port"),
    [("0.0.0.0:9000", "0.0.0.0", 9000), ("[::1]:80", "::1", 80), ("localhost:0", "localhost", 0)],
)
def test_listen_addresses(text: str, host: str, port: int) -> None:
    address = ListenAddress.parse(text)
    assert (address.host, address.port) == (host, port)
    assert str(address) == text


def test_broken_fleet_file_is_reported_with_file_and_line(tmp_path: Path) -> None:
    fleet = tmp_path / "fleet.yaml"
    fleet.write_text(FLEET.replace("id: CP-2", "id: CP 2"))
    code, _, err = run_cli("exporter", *listen_args(), "--fleet", str(fleet))
    assert code == 2
    assert f"--fleet: {fleet}:9: chargers[1].id: 'CP 2' is not a valid charge point id" in err
    code, _, err = run_cli("exporter", *listen_args(), "--fleet", str(tmp_path / "missing.yaml"))
    assert code == 2 and "file not found" in err


def test_unreadable_certificate_is_reported(tmp_path: Path, tls: TlsMaterial) -> None:
    bogus = tmp_path / "bogus.pem"
    bogus.write_text("not a certificate\n")
    fleet = tmp_path / "fleet.yaml"
    fleet.write_text(FLEET)
    code, _, err = run_cli(
        "exporter",
        *listen_args(),
        "--fleet",
        str(fleet),
        "--security-profile",
        "3",
        "--tls-cert",
        str(bogus),
        "--tls-key",
        str(tls.key),
        "--tls-ca",
        str(tls.ca_file),
    )
    assert code == 2
    assert f"--tls-cert {bogus}" in err and "PEM" in err
    code, _, err = run_cli(
        "exporter",
        *listen_args(),
        "--fleet",
        str(fleet),
        "--security-profile",
        "3",
        "--tls-cert",
        str(tls.cert),
        "--tls-key",
        str(tls.key),
        "--tls-ca",
        str(tmp_path / "no-ca.pem"),
    )
    assert code == 2 and "--tls-ca: file not found" in err


def test_unreadable_influxdb_token_is_reported(tmp_path: Path) -> None:
    missing = tmp_path / "token"
    code, _, err = run_cli(
        "exporter",
        *listen_args(),
        "--influxdb-url",
        "http://127.0.0.1:8086",
        "--influxdb-token-file",
        str(missing),
        "--influxdb-org",
        "acme",
        "--influxdb-bucket",
        "ocpp",
    )
    assert code == 2
    assert f"--influxdb-token-file {missing}: cannot read it (No such file or directory)" in err


def test_port_in_use_is_reported() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code, _, err = run_cli(
            "exporter",
            "--ocpp-listen",
            f"127.0.0.1:{port}",
            "--metrics-listen",
            f"127.0.0.1:{free_port()}",
        )
    assert code == 2
    assert f"--ocpp-listen 127.0.0.1:{port}: address already in use" in err


def test_exporter_subprocess_serves_chargers_and_shuts_down_cleanly(tmp_path: Path) -> None:
    fleet = tmp_path / "fleet.yaml"
    fleet.write_text(FLEET)
    ocpp_port, metrics_port = free_port(), free_port()
    proc = ServerProcess(
        "exporter",
        [
            str(CHARGEKEEPER),
            "exporter",
            "--ocpp-listen",
            f"127.0.0.1:{ocpp_port}",
            "--metrics-listen",
            f"127.0.0.1:{metrics_port}",
            "--fleet",
            str(fleet),
        ],
        tmp_path,
    )
    try:
        wait_for_http(f"http://127.0.0.1:{metrics_port}/healthz", proc=proc)
        closed_with = asyncio.run(_charger_session(ocpp_port, metrics_port, proc))
        assert closed_with == 1001
        assert proc.popen.wait(10) == 0
        log = proc.log_path.read_text()
        assert "charger 'CP-1' connected (OCPP 1.6)" in log
        assert "Traceback" not in log
    finally:
        proc.stop()


async def _charger_session(ocpp_port: int, metrics_port: int, proc: ServerProcess) -> int:
    """Connect CP-1, check the scrape, then SIGTERM the exporter: the close code it sent."""
    metrics_url = f"http://127.0.0.1:{metrics_port}/metrics"
    async with charger(f"ws://127.0.0.1:{ocpp_port}/ocpp/CP-1", "ocpp1.6") as ws:
        await ws.send(boot_frame("1.6"))
        assert (await receive_text(ws)).startswith('[3,"boot-1"')
        async with httpx.AsyncClient() as client:
            text = (await client.get(metrics_url)).text
        assert sample_value(text, "ocpp_charge_point_connected", charge_point_id="CP-1") == 1
        assert sample_value(text, "ocpp_charge_point_connected", charge_point_id="CP-2") == 0
        os.killpg(proc.popen.pid, signal.SIGTERM)
        started = time.monotonic()
        try:
            await asyncio.wait_for(ws.recv(), 5)
        except ConnectionClosed as exc:
            assert time.monotonic() - started < 5
            assert exc.rcvd is not None
            return exc.rcvd.code
    raise AssertionError("the exporter did not close the connection")


def test_console_script_exists() -> None:
    assert CHARGEKEEPER.exists(), "pip install -e . creates the chargekeeper script"
    result = subprocess.run(
        [str(CHARGEKEEPER), "exporter", "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0 and "--ocpp-listen" in result.stdout

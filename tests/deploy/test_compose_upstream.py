"""The collector's optional upstream in docker-compose.yml: the real /bin/sh runs the service's
entrypoint and command (with a stand-in ``chargekeeper`` that prints its arguments), and the
real ``chargekeeper exporter`` command line parses what comes out.

Empty variables (the default) must add no option at all: ``--upstream=`` would stop the
collector from starting, and a standalone deployment must not change.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from typer.main import get_command

from chargekeeper.cli import app
from tests.deploy.compose import load

UPSTREAM = "wss://csms.example.com/ocpp/{charge_point_id}?site=a&b=$HOME"
CA = "/etc/chargekeeper/csms-ca.pem"


def collector_argv(environment: dict[str, str], bin_dir: Path) -> list[str]:
    """The arguments the collector's container passes to ``chargekeeper``, as its shell builds
    them from the compose file deployed with ``environment``."""
    collector = load(environment=environment).service("collector")
    stub = bin_dir / "chargekeeper"
    stub.write_text("#!/bin/sh\nprintf '%s\\n' \"$@\"\n")
    stub.chmod(0o755)
    done = subprocess.run(
        [*collector.spec["entrypoint"], *collector.command],
        env={"PATH": f"{bin_dir}:{os.environ['PATH']}", **collector.environment},
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    )
    return done.stdout.splitlines()


def exporter_params(argv: list[str]) -> dict[str, object]:
    """``argv`` parsed by the real ``chargekeeper exporter`` command (without running it)."""
    assert argv[0] == "exporter"
    command = get_command(app).commands["exporter"]  # type: ignore[attr-defined]
    with command.make_context("exporter", argv[1:]) as context:
        return dict(context.params)


def test_without_an_upstream_the_collector_stays_standalone(tmp_path: Path) -> None:
    collector = load().service("collector")
    argv = collector_argv({}, tmp_path)
    assert argv == collector.command  # exactly the command, no empty option added
    params = exporter_params(argv)
    assert params["upstream"] is None and params["upstream_ca"] is None
    assert params["security_profile"] is not None


@pytest.mark.parametrize("with_ca", [False, True])
def test_the_upstream_variables_become_the_collector_options(tmp_path: Path, with_ca: bool) -> None:
    environment = {"CHARGEKEEPER_UPSTREAM": UPSTREAM}
    if with_ca:
        environment["CHARGEKEEPER_UPSTREAM_CA"] = CA
    argv = collector_argv(environment, tmp_path)
    collector = load().service("collector")
    # The URL arrives whole: the shell neither splits it nor expands what looks like a variable.
    expected = [f"--upstream={UPSTREAM}"] + ([f"--upstream-ca={CA}"] if with_ca else [])
    assert argv == [*collector.command, *expected]
    params = exporter_params(argv)
    assert params["upstream"] == UPSTREAM
    assert params["upstream_ca"] == (Path(CA) if with_ca else None)


def test_the_variables_are_documented_beside_the_service() -> None:
    text = (Path(__file__).resolve().parents[2] / "docker-compose.yml").read_text()
    comment = text.partition("  collector:\n")[2].partition("    entrypoint:")[0]
    for needed in ("CHARGEKEEPER_UPSTREAM", "CHARGEKEEPER_UPSTREAM_CA", "{charge_point_id}"):
        assert needed in comment, needed

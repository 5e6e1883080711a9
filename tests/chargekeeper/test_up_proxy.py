"""``chargekeeper up`` in proxy mode, piece by piece: which upstream the collector gets, the
demo's stand-in CSMS as a real child process, the banner line, and bad options refused before
anything starts. (``test_up.py`` runs the whole demo through the stand-in.)"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from chargekeeper.cli import app
from chargekeeper.net import free_port
from chargekeeper.processes import StackError
from chargekeeper.up import Ports, collector_settings
from chargekeeper.up.proxy import STANDALONE, Upstream, plan_proxy
from tests.support.paths import REPO

DEMO = REPO / "examples" / "demo"


def test_the_demo_without_an_upstream_proxies_to_its_stand_in(tmp_path: Path) -> None:
    plan = plan_proxy(STANDALONE, demo=True, state_dir=tmp_path, stand_in_port=9876)
    assert plan.upstream == Upstream("ws://127.0.0.1:9876")
    assert plan.stand_in is not None
    assert plan.stand_in.argv[1:] == [
        "simulate",
        "csms",
        "--listen=127.0.0.1:9876",
        "--max-delay=0.25",
    ]
    assert plan.stand_in.log_path == tmp_path / "logs" / "csms.log"
    assert plan.banner_line == (
        "chargers → Chargekeeper → stand-in CSMS at ws://127.0.0.1:9876, "
        f"its log: {tmp_path / 'logs' / 'csms.log'}"
    )


@pytest.mark.parametrize("demo", [True, False])
def test_an_operator_upstream_wins_and_starts_no_stand_in(tmp_path: Path, demo: bool) -> None:
    theirs = Upstream("wss://csms.example.com/ocpp", tmp_path / "ca.pem")
    plan = plan_proxy(theirs, demo=demo, state_dir=tmp_path, stand_in_port=9876)
    assert plan.upstream == theirs and plan.stand_in is None
    assert plan.banner_line == "chargers → Chargekeeper → your CSMS at wss://csms.example.com/ocpp"


def test_without_demo_or_upstream_the_collector_is_standalone(tmp_path: Path) -> None:
    plan = plan_proxy(STANDALONE, demo=False, state_dir=tmp_path, stand_in_port=9876)
    assert plan.upstream == STANDALONE and plan.stand_in is None and plan.banner_line is None


def test_the_upstream_reaches_the_collector_settings(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("not checked here\n")
    settings = collector_settings(DEMO, Ports(), Upstream("ws://10.0.0.5:9000/ocpp", ca), None)
    assert str(settings.upstream) == "ws://10.0.0.5:9000/ocpp"
    assert settings.upstream_ca == ca
    assert collector_settings(DEMO, Ports(), STANDALONE, None).upstream is None


@pytest.mark.parametrize(
    ("upstream", "message"),
    [
        (Upstream("http://csms.example.com"), "--upstream: "),
        (Upstream(None, Path("/etc/ca.pem")), "--upstream-ca: it checks the certificate"),
    ],
)
def test_bad_upstream_options_name_the_option(upstream: Upstream, message: str) -> None:
    with pytest.raises(StackError, match=r"^the collector's settings: ") as refused:
        collector_settings(DEMO, Ports(), upstream, None)
    assert message in str(refused.value)


def test_up_refuses_a_bad_upstream_before_starting_anything(tmp_path: Path) -> None:
    state = tmp_path / "state"
    result = CliRunner().invoke(
        app,
        ["up", "--config", str(DEMO), "--state-dir", str(state), "--upstream", "ftp://csms"],
    )
    assert result.exit_code == 2, result.output
    assert "chargekeeper up: the collector's settings: --upstream: " in result.output
    assert "must start with ws:// or wss://" in result.output
    # No child was started: no server's log, at most up's own.
    assert sorted(p.name for p in (state / "logs").glob("*.log")) in ([], ["chargekeeper.log"])


async def test_the_stand_in_child_starts_answers_and_stops(tmp_path: Path) -> None:
    port = free_port()
    plan = plan_proxy(STANDALONE, demo=True, state_dir=tmp_path, stand_in_port=port)
    child = plan.stand_in
    assert child is not None
    await child.start()
    try:
        async with httpx.AsyncClient() as client:
            assert (await client.get(child.health_url)).text == "ok\n"
    finally:
        await child.stop()
    assert child.process is not None and child.process.returncode == 0
    assert f"stand-in CSMS listening on ws://127.0.0.1:{port}/" in child.log_path.read_text()

"""The generated ``alertmanager.yml`` checked by amtool: ``amtool check-config`` accepts it, and
``amtool config routes test`` routes each label set as ``receivers_for`` predicts."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from chargekeeper.config.fleet import Fleet
from chargekeeper.config.routing import RoutingPolicy
from chargekeeper.render.prometheus import dump_yaml
from chargekeeper.routing import WebhookTarget, alertmanager_config, receivers_for
from tests.support.procs import require_binary


@pytest.fixture(scope="module")
def config_file(
    demo: RoutingPolicy, fleet: Fleet, token_file: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    document = alertmanager_config(demo, fleet, WebhookTarget("http://10.0.0.5:9095/", token_file))
    path = tmp_path_factory.mktemp("am") / "alertmanager.yml"
    path.write_text(dump_yaml(document, "test"))
    return path


def _amtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [require_binary("amtool"), *args], capture_output=True, text=True, timeout=30, check=False
    )


def test_amtool_accepts_the_generated_configuration(config_file: Path) -> None:
    result = _amtool("check-config", str(config_file))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout
    assert "4 inhibit rules" in result.stdout


LYON = {"site": "lyon-part-dieu", "client": "retailco"}
GENEVA = {"site": "geneva-depot", "client": "transitco"}
BRUSSELS = {"site": "brussels-hq", "client": "transitco"}


# Label sets and the receivers Alertmanager picks, one per matching coverage route (time
# intervals are not evaluated by amtool: every route whose matchers fit is listed, active now or
# not; a receiver with an office-hours and a weekend route is listed twice). Alertmanager lists
# the recording route ``record`` before them for every alert but the Watchdog.
ROUTES_TABLE: list[tuple[dict[str, str], list[str]]] = [
    (
        {**LYON, "alertname": "SiteOffline", "family": "disconnection", "severity": "critical"},
        ["team:rhone:both", "tech:bruno:sms", "tech:noc:email"],
    ),
    (
        {**LYON, "alertname": "ChargerFaulted", "family": "error", "severity": "warning"},
        ["team:rhone:email", "tech:noc:email"],
    ),
    (
        {**LYON, "alertname": "ChargerSocStalled", "family": "soc", "severity": "critical"},
        ["team:rhone:both", "tech:bruno:sms", "tech:noc:email"],
    ),
    (
        {**GENEVA, "alertname": "ChargerFaulted", "family": "error", "severity": "warning"},
        ["team:north:email", "team:north:email", "tech:eva:sms", "tech:noc:email"],
    ),
    (
        {**GENEVA, "alertname": "ChargerSocStalled", "family": "soc", "severity": "warning"},
        ["tech:eva:sms", "tech:noc:email"],
    ),
    (
        {
            **BRUSSELS,
            "alertname": "ChargerFlapping",
            "family": "disconnection",
            "severity": "warning",
        },
        ["tech:noc:email"],
    ),
    (
        {
            **BRUSSELS,
            "alertname": "ChargerNotDelivering",
            "family": "energy",
            "severity": "critical",
        },
        ["team:north:both", "team:north:both", "tech:dan:sms", "tech:noc:email"],
    ),
    # Meta alerts also go to the operations contacts, on every channel they have (issue 15).
    (
        {"alertname": "ChargekeeperCollectorDown", "family": "fleet", "severity": "critical"},
        ["tech:noc:email", "operations"],
    ),
    (
        {"alertname": "ChargekeeperPolicyMissing", "family": "fleet", "severity": "warning"},
        ["tech:noc:email", "operations"],
    ),
    ({"alertname": "Watchdog", "family": "fleet", "severity": "info"}, ["deadman"]),
    # No coverage takes info alerts at a site nobody names: recorded, nobody told.
    ({"site": "nowhere", "family": "error", "severity": "info"}, []),
    # A regex must not let a similar site name through ('.' is escaped, matches are anchored):
    # only the fleet-wide desk, not the Rhône team of lyon-part-dieu.
    (
        {"site": "lyon-part-dieu-2", "family": "error", "severity": "warning"},
        ["tech:noc:email"],
    ),
]


@pytest.mark.parametrize(("labels", "expected"), ROUTES_TABLE)
def test_amtool_routes_each_label_set_to_the_expected_receivers(
    config_file: Path,
    demo: RoutingPolicy,
    fleet: Fleet,
    labels: dict[str, str],
    expected: list[str],
) -> None:
    args = [f"{name}={value}" for name, value in labels.items()]
    routed = expected if labels.get("alertname") == "Watchdog" else ["record", *expected]
    verified = _amtool(
        "config",
        "routes",
        "test",
        f"--config.file={config_file}",
        f"--verify.receivers={','.join(routed)}",
        *args,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    found = _amtool("config", "routes", "test", f"--config.file={config_file}", *args)
    assert found.stdout.strip().split(",") == routed
    # The console's preview walks the same plan.
    assert receivers_for(demo, fleet, labels) == expected

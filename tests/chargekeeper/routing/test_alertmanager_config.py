"""The generated ``alertmanager.yml``: accepted by ``amtool check-config``, routed as
``amtool config routes test`` says (and as ``receivers_for`` predicts), with the time
intervals of the schedules; ``config render`` writes it only when the policy is valid."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from alertmanager.amconfig import WebhookTarget, alertmanager_config
from chargekeeper.cli import app
from chargekeeper.config.fleet import Fleet, load_fleet
from chargekeeper.config.prometheus import dump_yaml
from chargekeeper.config.render import (
    AlertmanagerSide,
    RenderError,
    load_sources,
    render,
)
from chargekeeper.config.routing import RoutingPolicy, load_routing, receivers_for
from tests.support.procs import require_binary

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def fleet() -> Fleet:
    return load_fleet(DEMO / "fleet.yaml")


@pytest.fixture(scope="module")
def demo(fleet: Fleet) -> RoutingPolicy:
    return load_routing(DEMO / "routing.yaml", fleet)


@pytest.fixture(scope="module")
def token_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("secrets") / "webhook-token"
    path.write_text("s3cret-token\n")
    return path


@pytest.fixture(scope="module")
def document(demo: RoutingPolicy, fleet: Fleet, token_file: Path) -> dict[str, Any]:
    return alertmanager_config(demo, fleet, WebhookTarget("http://10.0.0.5:9095/", token_file))


@pytest.fixture(scope="module")
def config_file(document: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
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
    assert "3 inhibit rules" in result.stdout


def test_webhooks_post_to_the_receiver_with_a_bearer_token_file(
    document: dict[str, Any], token_file: Path
) -> None:
    names = [receiver["name"] for receiver in document["receivers"]]
    assert names[:2] == ["deadman", "unrouted"]
    assert len(names) == len(set(names))
    for receiver in document["receivers"]:
        assert receiver["webhook_configs"] == [
            {
                "url": "http://10.0.0.5:9095/api/v1/alertmanager/webhook",
                "send_resolved": True,
                "http_config": {
                    "authorization": {"type": "Bearer", "credentials_file": str(token_file)}
                },
            }
        ]


def test_grouping_and_timing_follow_the_latency_defaults(document: dict[str, Any]) -> None:
    route = document["route"]
    assert route["group_by"] == ["site", "family"]
    assert (route["group_wait"], route["group_interval"], route["repeat_interval"]) == (
        "5s",
        "60s",
        "14400s",
    )
    watchdog = route["routes"][0]
    assert watchdog == {
        "receiver": "deadman",
        "matchers": ['alertname="Watchdog"'],
        "group_by": ["alertname"],
        "group_wait": "0s",
        "group_interval": "60s",
        "repeat_interval": "60s",
        "continue": False,
    }
    assert all(r["continue"] for r in route["routes"][1:])


def test_a_heartbeat_url_takes_the_watchdog_away_from_the_receiver(
    fleet: Fleet, token_file: Path
) -> None:
    routing = RoutingPolicy.model_validate(
        {"watchdog": {"url": "https://hc.example/ping/abc", "repeat_interval": "30s"}}
    )
    doc = alertmanager_config(routing, fleet, WebhookTarget("http://127.0.0.1:9095", token_file))
    [deadman] = [r for r in doc["receivers"] if r["name"] == "deadman"]
    assert deadman["webhook_configs"] == [
        {"url": "https://hc.example/ping/abc", "send_resolved": False}
    ]
    assert doc["route"]["routes"][0]["repeat_interval"] == "30s"
    assert "time_intervals" not in doc


LYON = {"site": "lyon-part-dieu", "client": "retailco"}
GENEVA = {"site": "geneva-depot", "client": "transitco"}
BRUSSELS = {"site": "brussels-hq", "client": "transitco"}

# Label sets and the receivers Alertmanager picks, one per matching route (time intervals are
# not evaluated by amtool: every route whose matchers fit is listed, active now or not; a
# receiver with an office-hours and a weekend route is listed twice).
ROUTES_TABLE: list[tuple[dict[str, str], list[str]]] = [
    (
        {**LYON, "alertname": "SiteOffline", "family": "disconnection", "severity": "critical"},
        ["team:rhone:both", "tech:bruno:sms", "tech:noc:email"],
    ),
    (
        {**LYON, "alertname": "ChargerFaulted", "family": "error", "severity": "warning"},
        ["team:rhone:email"],
    ),
    (
        {**LYON, "alertname": "ChargerSocStalled", "family": "soc", "severity": "critical"},
        ["team:rhone:both", "tech:noc:email"],
    ),
    (
        {**GENEVA, "alertname": "ChargerFaulted", "family": "error", "severity": "warning"},
        ["team:north:email", "team:north:email", "tech:eva:sms"],
    ),
    (
        {**GENEVA, "alertname": "ChargerSocStalled", "family": "soc", "severity": "warning"},
        ["tech:eva:sms"],
    ),
    (
        {
            **BRUSSELS,
            "alertname": "ChargerFlapping",
            "family": "disconnection",
            "severity": "warning",
        },
        ["unrouted"],
    ),
    (
        {
            **BRUSSELS,
            "alertname": "ChargerNotDelivering",
            "family": "energy",
            "severity": "critical",
        },
        ["team:north:both", "team:north:both", "tech:noc:email"],
    ),
    (
        {"alertname": "ChargekeeperCollectorDown", "family": "fleet", "severity": "critical"},
        ["tech:noc:email", "tech:noc:email"],
    ),
    (
        {"alertname": "ChargekeeperPolicyMissing", "family": "fleet", "severity": "warning"},
        ["tech:noc:email"],
    ),
    ({"alertname": "Watchdog", "family": "fleet", "severity": "info"}, ["deadman"]),
    # A regex must not let a similar site name through ('.' is escaped, matches are anchored).
    (
        {"site": "lyon-part-dieu-2", "family": "error", "severity": "warning"},
        ["unrouted"],
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
    verified = _amtool(
        "config",
        "routes",
        "test",
        f"--config.file={config_file}",
        f"--verify.receivers={','.join(expected)}",
        *args,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    found = _amtool("config", "routes", "test", f"--config.file={config_file}", *args)
    assert found.stdout.strip().split(",") == expected
    # The console's preview walks the same plan.
    assert receivers_for(demo, fleet, labels) == expected


def test_time_intervals_carry_the_sites_zone_and_split_the_night(
    document: dict[str, Any],
) -> None:
    intervals = {i["name"]: i["time_intervals"] for i in document["time_intervals"]}
    assert set(intervals) == {
        f"{schedule}@{zone}"
        for schedule in ("weekday", "weekend", "night", "holidays")
        for zone in ("Europe/Paris", "Europe/Brussels", "Europe/Zurich")
    } - {"night@Europe/Brussels", "night@Europe/Zurich"}
    assert intervals["weekday@Europe/Zurich"] == [
        {
            "times": [{"start_time": "08:00", "end_time": "19:00"}],
            "weekdays": ["monday:friday"],
            "location": "Europe/Zurich",
        }
    ]
    # Alertmanager counts weekdays from Sunday: the weekend is two single days, not a range.
    weekend = intervals["weekend@Europe/Paris"]
    assert weekend[0] == {
        "times": [{"start_time": "08:00", "end_time": "19:00"}],
        "weekdays": ["sunday", "saturday"],
        "location": "Europe/Paris",
    }
    # Holidays are included at the schedule's times, on their date.
    assert weekend[1:] == [
        {
            "times": [{"start_time": "08:00", "end_time": "19:00"}],
            "days_of_month": ["25"],
            "months": ["12"],
            "years": ["2026"],
            "location": "Europe/Paris",
        },
        {
            "times": [{"start_time": "08:00", "end_time": "19:00"}],
            "days_of_month": ["1"],
            "months": ["1"],
            "years": ["2027"],
            "location": "Europe/Paris",
        },
    ]
    assert intervals["night@Europe/Paris"] == [
        {"times": [{"start_time": "19:00", "end_time": "24:00"}], "location": "Europe/Paris"},
        {"times": [{"start_time": "00:00", "end_time": "08:00"}], "location": "Europe/Paris"},
    ]
    office = [r for r in document["route"]["routes"] if r["receiver"] == "team:rhone:both"]
    assert office == [
        {
            "receiver": "team:rhone:both",
            "matchers": [
                'site=~"lyon-part-dieu|paris-bercy|a7-valence|a9-nimes"',
                'severity="critical"',
            ],
            "active_time_intervals": ["weekday@Europe/Paris"],
            "mute_time_intervals": ["holidays@Europe/Paris"],
            "continue": True,
        }
    ]


def test_a_weeknight_shift_continues_into_the_next_weekday(fleet: Fleet, token_file: Path) -> None:
    routing = RoutingPolicy.model_validate(
        {
            "technicians": [{"id": "a", "name": "A", "email": "a@example.com"}],
            "schedules": [
                {
                    "id": "weeknights",
                    "weekdays": ["monday:friday"],
                    "times": [{"start": "22:00", "end": "06:00"}],
                }
            ],
            "coverage": [
                {
                    "id": "c",
                    "sites": ["brussels-hq"],
                    "technicians": ["a"],
                    "schedules": ["weeknights"],
                    "subscriptions": [{"channels": "email"}],
                }
            ],
        }
    )
    doc = alertmanager_config(routing, fleet, WebhookTarget("http://127.0.0.1:9095", token_file))
    assert doc["time_intervals"] == [
        {
            "name": "weeknights@Europe/Brussels",
            "time_intervals": [
                {
                    "times": [{"start_time": "22:00", "end_time": "24:00"}],
                    "weekdays": ["monday:friday"],
                    "location": "Europe/Brussels",
                },
                {
                    "times": [{"start_time": "00:00", "end_time": "06:00"}],
                    "weekdays": ["tuesday:saturday"],
                    "location": "Europe/Brussels",
                },
            ],
        }
    ]


def test_the_inhibitions_the_rules_ask_for(document: dict[str, Any]) -> None:
    rules = document["inhibit_rules"]
    assert rules[0] == {
        "source_matchers": ['alertname="SiteOffline"'],
        "target_matchers": ['alertname=~"ChargerDisconnected|ChargerFlapping"'],
        "equal": ["site"],
    }
    assert rules[1]["source_matchers"] == ['severity="critical"']
    assert rules[1]["target_matchers"] == ['severity="warning"']
    assert {"alertname", "charge_point_id", "connector_id", "site"} <= set(rules[1]["equal"])
    assert rules[2] == {
        "source_matchers": ['alertname="ChargerVendorErrorCode"'],
        "target_matchers": ['alertname="ChargerFaulted"'],
        "equal": ["charge_point_id", "connector_id", "vendor_error_code"],
    }


# --- config render ---------------------------------------------------------------------------


def _config_dir(tmp_path: Path, routing: str | None = None) -> Path:
    config = tmp_path / "config"
    config.mkdir(exist_ok=True)
    for name in ("fleet.yaml", "policy.yaml"):
        shutil.copy(DEMO / name, config / name)
    (config / "routing.yaml").write_text(
        routing if routing is not None else (DEMO / "routing.yaml").read_text()
    )
    return config


def test_render_writes_the_alertmanager_side(tmp_path: Path, token_file: Path) -> None:
    out = tmp_path / "out"
    side = AlertmanagerSide(WebhookTarget("http://127.0.0.1:9095", token_file))
    written = render(load_sources(_config_dir(tmp_path), NOW), out, [side])
    assert written == [out / "alertmanager" / "alertmanager.yml"]
    text = written[0].read_text()
    assert text.startswith("# Generated by `chargekeeper config render`")
    assert "&id" not in text and "*id" not in text, "no YAML anchors or aliases"
    assert yaml.safe_load(text)["route"]["receiver"] == "unrouted"


def test_an_invalid_routing_policy_writes_nothing(tmp_path: Path, token_file: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "alertmanager").mkdir()
    previous = out / "alertmanager" / "alertmanager.yml"
    previous.write_text("# the running configuration\n")
    config = _config_dir(
        tmp_path, (DEMO / "routing.yaml").read_text().replace("teams: [rhone]", "teams: [south]")
    )
    result = CliRunner().invoke(
        app,
        [
            "config",
            "render",
            "--config",
            str(config),
            "--out",
            str(out),
            "--webhook-token-file",
            str(token_file),
        ],
    )
    assert result.exit_code == 1
    assert "routing.yaml" in result.output
    assert "unknown team 'south'" in result.output
    assert previous.read_text() == "# the running configuration\n"
    assert sorted(p.name for p in out.rglob("*")) == ["alertmanager", "alertmanager.yml"]


def test_render_refuses_a_routing_policy_that_names_an_unknown_site(
    tmp_path: Path, token_file: Path
) -> None:
    text = (DEMO / "routing.yaml").read_text()
    config = _config_dir(
        tmp_path,
        text.replace("sites: [geneva-depot, brussels-hq]", "sites: [geneva-depot, brussels]"),
    )
    result = CliRunner().invoke(
        app,
        [
            "config",
            "render",
            "--config",
            str(config),
            "--out",
            str(tmp_path / "out"),
            "--webhook-token-file",
            str(token_file),
        ],
    )
    line = 1 + text.splitlines().index("    sites: [geneva-depot, brussels-hq]")
    assert result.exit_code == 1
    assert (
        f"{config / 'routing.yaml'}:{line}: coverage[2].sites[1]: unknown site 'brussels' "
        "(not in the fleet file)"
    ) in result.output
    assert not (tmp_path / "out" / "prometheus").exists()


def test_render_cli_writes_both_sides_and_needs_the_token_file(
    tmp_path: Path, token_file: Path
) -> None:
    config = _config_dir(tmp_path)
    out = tmp_path / "out"
    base = ["config", "render", "--config", str(config), "--out", str(out)]
    missing = CliRunner().invoke(app, base)
    assert missing.exit_code == 1
    assert "--webhook-token-file" in missing.output
    assert not out.exists() or not any(out.iterdir())
    absent = CliRunner().invoke(app, [*base, "--webhook-token-file", str(tmp_path / "nope")])
    assert absent.exit_code == 1
    assert "does not exist" in absent.output
    done = CliRunner().invoke(
        app,
        [*base, "--webhook-token-file", str(token_file), "--webhook-url", "http://10.1.1.1:80"],
    )
    assert done.exit_code == 0, done.output
    assert str(out / "alertmanager" / "alertmanager.yml") in done.output
    assert str(out / "prometheus" / "prometheus.yml") in done.output
    document = yaml.safe_load((out / "alertmanager" / "alertmanager.yml").read_text())
    hook = document["receivers"][0]["webhook_configs"][0]
    assert hook["url"] == "http://10.1.1.1:80/api/v1/alertmanager/webhook"


def test_amtool_rejection_is_a_render_error(tmp_path: Path, token_file: Path) -> None:
    staging = tmp_path / "staging"
    (staging / "alertmanager").mkdir(parents=True)
    (staging / "alertmanager" / "alertmanager.yml").write_text(
        "route: {receiver: nobody}\nreceivers: [{name: somebody}]\n"
    )
    side = AlertmanagerSide(WebhookTarget("http://127.0.0.1:9095", token_file))
    with pytest.raises(RenderError, match=r"amtool rejected (.|\n)*undefined receiver \"nobody\""):
        side.check(staging)


def test_render_warns_about_times_when_critical_alerts_reach_nobody(
    tmp_path: Path, token_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    text = (DEMO / "routing.yaml").read_text()
    # Without the operations desk and the depot engineer, nights at Geneva are uncovered.
    cut = text.index("  - id: geneva-depot-eva")
    config = _config_dir(tmp_path, text[:cut] + text[text.index("# Alertmanager's timing") :])
    side = AlertmanagerSide(WebhookTarget("http://127.0.0.1:9095", token_file))
    with caplog.at_level("WARNING", logger="chargekeeper.config.render"):
        render(load_sources(config, NOW), tmp_path / "out", [side])
    gaps = [r.getMessage() for r in caplog.records]
    assert (
        f"{config / 'routing.yaml'}: critical 'disconnection' alerts at site 'geneva-depot' "
        "reach nobody at times such as Wednesday 2026-11-25 19:00 (Europe/Zurich)"
    ) in gaps
    # Lyon's nights are covered for disconnections (the out-of-hours technician)...
    assert not any("'disconnection' alerts at site 'lyon-part-dieu'" in gap for gap in gaps)
    # ...but not for a state-of-charge stall.
    assert any("'soc' alerts at site 'lyon-part-dieu'" in gap for gap in gaps)


def test_the_demo_policy_covers_every_critical_alert(
    tmp_path: Path, token_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    side = AlertmanagerSide(WebhookTarget("http://127.0.0.1:9095", token_file))
    with caplog.at_level("WARNING", logger="chargekeeper.config.render"):
        render(load_sources(_config_dir(tmp_path), NOW), tmp_path / "out", [side])
    assert caplog.records == []

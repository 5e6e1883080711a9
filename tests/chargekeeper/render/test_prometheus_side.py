"""``chargekeeper config render``: the Prometheus side rendered from the demo config, checked by
promtool, joined by the hand-written rules, atomic on failure, and live after a reload."""

from __future__ import annotations

import shutil
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from typer.testing import CliRunner

from chargekeeper.cli import app
from chargekeeper.net import free_port
from chargekeeper.render.prometheus import RULE_FILES, PrometheusSetup
from chargekeeper.render.stack import PrometheusSide, RenderError, load_sources, render
from tests.rules.conftest import RULES_DIR
from tests.support.paths import REPO
from tests.support.procs import ServerProcess, require_binary, wait_for_http

DEMO = REPO / "examples" / "demo"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def _first_chargers(count: int) -> tuple[str, ...]:
    """Ids of the demo fleet's first chargers (the fleet file is the source of its ids)."""
    return tuple(charger.id for charger in load_sources(DEMO, NOW).fleet.chargers[:count])


def _config_dir(tmp_path: Path, policy: str | None = None) -> Path:
    config = tmp_path / "config"
    config.mkdir(exist_ok=True)
    shutil.copy(DEMO / "fleet.yaml", config / "fleet.yaml")
    (config / "policy.yaml").write_text(
        policy if policy is not None else (DEMO / "policy.yaml").read_text()
    )
    return config


def _render(config: Path, out: Path, setup: PrometheusSetup | None = None) -> list[Path]:
    return render(load_sources(config, NOW), out, [PrometheusSide(setup or PrometheusSetup())])


def _thresholds(out: Path) -> list[dict[str, Any]]:
    document = yaml.safe_load((out / "prometheus" / "rules" / "thresholds.yml").read_text())
    rules: list[dict[str, Any]] = document["groups"][0]["rules"]
    return rules


def _value(rules: list[dict[str, Any]], record: str, **labels: str) -> float | None:
    found = [rule for rule in rules if rule["record"] == record and rule.get("labels") == labels]
    assert len(found) <= 1
    return float(found[0]["expr"].removeprefix("vector(").removesuffix(")")) if found else None


def test_render_writes_the_prometheus_side(tmp_path: Path) -> None:
    out = tmp_path / "out"
    written = _render(_config_dir(tmp_path), out, PrometheusSetup(exporters=("10.0.0.1:9100",)))
    assert sorted(path.relative_to(out).as_posix() for path in written) == [
        "prometheus/prometheus.yml",
        "prometheus/rules/availability.yml",
        "prometheus/rules/detection.yml",
        "prometheus/rules/meta.yml",
        "prometheus/rules/thresholds.yml",
        "prometheus/rules/upstream.yml",
    ]
    config = yaml.safe_load((out / "prometheus" / "prometheus.yml").read_text())
    assert config["global"] == {
        "scrape_interval": "5s",
        "scrape_timeout": "5s",
        "evaluation_interval": "5s",
    }
    jobs = {
        job["job_name"]: job["static_configs"][0]["targets"] for job in config["scrape_configs"]
    }
    assert jobs == {
        "chargekeeper-exporter": ["10.0.0.1:9100"],
        "prometheus": ["127.0.0.1:9090"],
        "alertmanager": ["127.0.0.1:9093"],
    }
    assert not list(out.glob(".render-*")), "the staging directory is removed"


def test_thresholds_follow_the_demo_policy(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _render(_config_dir(tmp_path), out)
    rules = _thresholds(out)
    record = "chargekeeper:threshold_disconnected_seconds"
    assert _value(rules, record, site="a7-valence", group="hpc", severity="warning") == 120
    assert _value(rules, record, site="paris-bercy", group="ac-dest", severity="critical") == 7200
    # Switched off for Lyon's AC chargers: no series, so the alert cannot fire there...
    assert _value(rules, record, site="lyon-part-dieu", group="ac-dest", severity="warning") is None
    # ...but the scope is still rendered, so ChargekeeperPolicyMissing stays quiet.
    assert _value(rules, "chargekeeper:policy_scope", site="lyon-part-dieu", group="ac-dest") == 1
    soc = "chargekeeper:threshold_soc_stalled_seconds"
    assert _value(rules, soc, site="geneva-depot", group="depot", severity="critical") == 1800
    assert _value(rules, soc, site="a9-nimes", group="hpc", severity="critical") is None
    assert _value(rules, "chargekeeper:threshold_site_offline_ratio", site="geneva-depot") == 0.5
    assert (
        _value(
            rules, "chargekeeper:threshold_flapping_reconnects", site="brussels-hq", group="ac-dest"
        )
        is None
    )
    assert (
        _value(
            rules,
            "chargekeeper:vendor_code_surfaced",
            vendor="Alfen BV",
            vendor_error_code="101",
            severity="critical",
        )
        == 1
    )
    maintenance = [rule for rule in rules if rule["record"] == "chargekeeper:maintenance_active"]
    sources = load_sources(DEMO, NOW)
    in_maintenance = {c.id for c in sources.fleet.chargers if c.site == "a9-nimes"}
    in_maintenance |= {w.charger for w in sources.policy.maintenance if w.charger is not None}
    assert len(in_maintenance) > 1
    assert {rule["labels"]["charge_point_id"] for rule in maintenance} == in_maintenance


def test_past_maintenance_windows_are_left_out(tmp_path: Path) -> None:
    past, current = _first_chargers(2)
    policy = f"""\
maintenance:
  - {{charger: {past}, start: 2026-11-01T08:00:00Z, end: 2026-11-01T09:00:00Z}}
  - {{charger: {current}, start: 2026-11-25T11:00:00Z, end: 2026-11-25T13:00:00Z}}
"""
    out = tmp_path / "out"
    _render(_config_dir(tmp_path, policy), out)
    maintenance = [r for r in _thresholds(out) if r["record"] == "chargekeeper:maintenance_active"]
    assert maintenance == [
        {
            "record": "chargekeeper:maintenance_active",
            "expr": "vector(1) and on () ((vector(time()) >= 1795604400 < 1795611600))",
            "labels": {"charge_point_id": current},
        }
    ]


def test_runbook_links_use_the_policy_base(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _render(_config_dir(tmp_path, "runbook_base_url: https://wiki.example.org/ck/runbook\n"), out)
    urls = {
        rule["annotations"]["runbook_url"]
        for name in RULE_FILES
        for group in yaml.safe_load((out / "prometheus" / "rules" / name).read_text())["groups"]
        for rule in group["rules"]
        if "alert" in rule
    }
    assert "https://wiki.example.org/ck/runbook#chargerdisconnected" in urls
    assert all(url.startswith("https://wiki.example.org/ck/runbook#") for url in urls)


def test_a_rejected_render_replaces_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _render(_config_dir(tmp_path), out)
    before = {path: path.read_text() for path in out.rglob("*.yml")}
    broken = tmp_path / "broken-rules"
    shutil.copytree(RULES_DIR, broken)
    (broken / "meta.yml").write_text(
        "groups:\n  - name: x\n    rules:\n      - alert: X\n        expr: (\n"
    )
    config = _config_dir(tmp_path, "defaults:\n  disconnected: {warning: 1m}\n")
    with pytest.raises(RenderError, match="promtool rejected"):
        _render(config, out, PrometheusSetup(rules_dir=broken))
    assert {path: path.read_text() for path in out.rglob("*.yml")} == before
    assert not list(out.glob(".render-*"))


def test_missing_rules_are_a_render_error(tmp_path: Path) -> None:
    with pytest.raises(RenderError, match=r"cannot read the hand-written rules: .*detection\.yml"):
        _render(_config_dir(tmp_path), tmp_path / "out", PrometheusSetup(rules_dir=tmp_path))


def test_cli_reports_policy_errors_with_file_and_line(tmp_path: Path) -> None:
    config = _config_dir(tmp_path, "overrides:\n  - group: trucks\n    faulted: {warning: 1m}\n")
    result = CliRunner().invoke(
        app, ["config", "render", "--config", str(config), "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 1
    assert f"{config}/policy.yaml:2: overrides[0]: unknown charger group 'trucks'" in result.output
    assert not (tmp_path / "out" / "prometheus").exists()


def _charger_series(charge_point_id: str, site: str, group: str) -> str:
    """A disconnected charger that the collector has known since long before the test."""
    target = f'job="chargekeeper-exporter",instance="a",charge_point_id="{charge_point_id}"'
    identity = f'site="{site}",client="c",group="{group}",vendor="V",model="M"'
    return f"""\
      - series: 'ocpp_charge_point_info{{{target},{identity}}}'
        values: '1x60'
      - series: 'ocpp_charge_point_connected{{{target}}}'
        values: '0x60'
      - series: 'ocpp_charge_point_connection_changed_timestamp_seconds{{{target}}}'
        values: '0x60'
      - series: 'ocpp_charge_point_connects_total{{{target}}}'
        values: '1x60'
"""


def _generated_rules_test(out: Path) -> str:
    """A promtool test over the rendered files: the demo's hpc chargers alert after 2 minutes,
    Lyon's AC chargers (switched off) never."""
    rules = out / "prometheus" / "rules"
    return f"""\
rule_files:
  - {rules / "detection.yml"}
  - {rules / "meta.yml"}
  - {rules / "thresholds.yml"}
evaluation_interval: 5s
group_eval_order:
  - chargekeeper-policy
  - chargekeeper-detection
  - chargekeeper-meta-alerts
tests:
  - interval: 5s
    input_series:
{_charger_series("A7-001", "a7-valence", "hpc")}\
{_charger_series("LYON-007", "lyon-part-dieu", "ac-dest")}\
    alert_rule_test:
      - eval_time: 115s
        alertname: ChargerDisconnected
        exp_alerts: []
      - eval_time: 120s
        alertname: ChargerDisconnected
        exp_alerts:
          - exp_labels:
              severity: warning
              family: disconnection
              charge_point_id: A7-001
              site: a7-valence
              client: c
              group: hpc
              vendor: V
              model: M
            exp_annotations:
              summary: A charger has had no OCPP connection for longer than its threshold.
              description: Charger A7-001 at site a7-valence has been disconnected for 2m 0s.
              runbook_url: /runbook#chargerdisconnected
              since: "0"
      - eval_time: 120s
        alertname: ChargekeeperPolicyMissing
        exp_alerts: []
"""


def test_rendered_thresholds_drive_the_hand_written_alerts(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _render(_config_dir(tmp_path), out)
    test_file = tmp_path / "generated_test.yml"
    test_file.write_text(_generated_rules_test(out))
    result = subprocess.run(
        [require_binary("promtool"), "test", "rules", str(test_file)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _query(port: int, expr: str) -> dict[str, float]:
    response = httpx.get(f"http://127.0.0.1:{port}/api/v1/query", params={"query": expr}, timeout=5)
    response.raise_for_status()
    return {
        sample["metric"].get("site", ""): float(sample["value"][1])
        for sample in response.json()["data"]["result"]
    }


def _eventually(check: Any, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


@pytest.mark.slow
def test_a_policy_change_is_live_after_reload_without_restart(tmp_path: Path) -> None:
    port = free_port()
    out = tmp_path / "out"
    config = _config_dir(tmp_path)
    cli = ["config", "render", "--config", str(config), "--out", str(out), "--interval", "1"]
    cli += ["--prometheus", f"127.0.0.1:{port}"]
    assert CliRunner().invoke(app, cli).exit_code == 0
    prometheus = ServerProcess(
        "prometheus",
        [
            require_binary("prometheus"),
            f"--config.file={out / 'prometheus' / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--web.enable-lifecycle",
        ],
        tmp_path,
    )
    try:
        wait_for_http(f"http://127.0.0.1:{port}/-/ready", proc=prometheus)
        expr = 'chargekeeper:threshold_disconnected_seconds{group="hpc",severity="warning"}'
        assert _eventually(lambda: _query(port, expr)) == {"a7-valence": 120, "a9-nimes": 120}
        policy = (config / "policy.yaml").read_text()
        (config / "policy.yaml").write_text(
            policy.replace(
                "disconnected: {warning: 2m, critical: 10m}", "disconnected: {warning: 45s}"
            )
        )
        started = time.monotonic()
        result = CliRunner().invoke(app, [*cli, "--reload"])
        assert result.exit_code == 0, result.output
        changed = _eventually(lambda: _query(port, expr) == {"a7-valence": 45, "a9-nimes": 45})
        assert changed, _query(port, expr)
        assert time.monotonic() - started < 60
        assert prometheus.popen.poll() is None, "Prometheus was reloaded, not restarted"
    finally:
        prometheus.stop()

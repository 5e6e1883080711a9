"""The committed dashboards are the generator's output, and follow the house conventions."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from chargekeeper.dashboards import DASHBOARDS_DIR, render_all
from chargekeeper.dashboards.stack import meta_alert_names
from tests.grafana.panels import content, dashboards

GRAFANA_DIR = DASHBOARDS_DIR.parent
EXPECTED_UIDS = {
    "fleet-overview.json": "chargekeeper-fleet",
    "site.json": "chargekeeper-site",
    "charger-detail.json": "chargekeeper-charger",
    "availability.json": "chargekeeper-availability",
    "stack-health.json": "chargekeeper-stack",
}
ALL = dashboards()


def test_committed_json_is_what_the_generator_writes() -> None:
    committed = {
        path.name: path.read_text(encoding="utf-8") for path in DASHBOARDS_DIR.glob("*.json")
    }
    rendered = render_all()
    assert sorted(committed) == sorted(rendered), "run: python -m chargekeeper.dashboards"
    for name, text in rendered.items():
        assert committed[name] == text, f"{name} is stale: run python -m chargekeeper.dashboards"


def test_the_entry_point_writes_every_dashboard(tmp_path: Path) -> None:
    (tmp_path / "removed-dashboard.json").write_text("{}")
    subprocess.run(
        [sys.executable, "-m", "chargekeeper.dashboards", "--out", str(tmp_path)],
        capture_output=True,
        check=True,
    )
    written = {path.name: path.read_text(encoding="utf-8") for path in tmp_path.glob("*.json")}
    assert written == render_all()


@pytest.mark.parametrize("name", sorted(EXPECTED_UIDS))
def test_identity_title_and_tag(name: str) -> None:
    board = ALL[name]
    assert board["uid"] == EXPECTED_UIDS[name]
    assert board["title"].startswith("Chargekeeper / ")
    assert board["tags"] == ["chargekeeper"]


def _variables(board: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {variable["name"]: variable for variable in board["templating"]["list"]}


@pytest.mark.parametrize("name", sorted(EXPECTED_UIDS))
def test_panels_have_units_and_datasource_variables(name: str) -> None:
    board = ALL[name]
    variables = _variables(board)
    ids = [panel["id"] for panel in board["panels"]]
    assert len(ids) == len(set(ids))
    for panel in content(board):
        where = f"{name} / {panel['title']}"
        assert panel["fieldConfig"]["defaults"]["unit"], f"{where}: no unit"
        uid = panel["datasource"]["uid"]
        assert re.fullmatch(r"\$\{\w+\}", uid), f"{where}: fixed datasource {uid}"
        source = variables[uid[2:-1]]
        assert source["type"] == "datasource" and source["query"] == panel["datasource"]["type"]
        for target in panel["targets"]:
            assert target["datasource"] == panel["datasource"], where
            text = target.get("expr") or target["query"]
            builtin = {"timeFilter", "__interval", "__rate_interval", "__range"}
            for used in re.findall(r"\$\{?([A-Za-z_]\w*)", text):
                assert used in variables or used in builtin, f"{where}: ${used} undefined"


@pytest.mark.parametrize("name", sorted(EXPECTED_UIDS))
def test_panels_read_recording_rules_not_raw_series(name: str) -> None:
    # Raw collector series only where no recording rule exists: the energy counter, whose
    # increase must be taken per instance before summing, and Stack health's CSMS row, whose
    # proxy-mode series are summed over the collectors chosen in $collector (a rule would have
    # to keep them per instance anyway).
    raw = {"ocpp_connector_energy_joules_total", "ocpp_charge_point_upstream_connected"}
    for panel in content(ALL[name]):
        for target in panel["targets"]:
            for metric in re.findall(r"\bocpp_\w+", target.get("expr", "")):
                allowed = metric in raw or (
                    name == "stack-health.json" and metric.startswith("ocpp_upstream_")
                )
                assert allowed, (panel["title"], metric)


def test_uids_are_unique() -> None:
    assert len({board["uid"] for board in ALL.values()}) == len(ALL)


def test_top_error_codes_show_translated_titles() -> None:
    [panel] = [p for p in ALL["fleet-overview.json"]["panels"] if p["title"] == "Top error codes"]
    [override] = panel["fieldConfig"]["overrides"]
    [mapping] = next(p["value"] for p in override["properties"] if p["id"] == "mappings")
    assert mapping["options"]["GroundFailure"]["text"] == (
        "GroundFailure: Earth fault / residual current trip"
    )


def test_provisioning_points_at_the_dashboards_and_both_datasources() -> None:
    sources = yaml.safe_load(
        (GRAFANA_DIR / "provisioning/datasources/chargekeeper.yml").read_text()
    )
    assert {source["type"] for source in sources["datasources"]} == {"prometheus", "influxdb"}
    providers = yaml.safe_load(
        (GRAFANA_DIR / "provisioning/dashboards/chargekeeper.yml").read_text()
    )
    [provider] = providers["providers"]
    assert provider["type"] == "file" and provider["options"]["path"]
    for name in EXPECTED_UIDS:
        assert json.loads((DASHBOARDS_DIR / name).read_text())["uid"] == EXPECTED_UIDS[name]


def test_data_links_open_a_dashboard_with_those_variables() -> None:
    by_uid = {board["uid"]: board for board in ALL.values()}
    links = [
        link["url"]
        for board in ALL.values()
        for panel in content(board)
        for link in panel["fieldConfig"]["defaults"].get("links", [])
    ]
    assert links
    for url in links:
        match = re.match(r"^/d/([\w-]+)\?(.*)$", url)
        assert match, url
        target = _variables(by_uid[match[1]])
        for name in re.findall(r"var-(\w+)=", match[2]):
            assert name in target, (url, name)


def test_rows_are_full_width_headers_above_their_panels() -> None:
    board = ALL["stack-health.json"]
    rows = [panel for panel in board["panels"] if panel["type"] == "row"]
    assert rows and board["panels"][0] in rows
    for header in rows:
        assert header["gridPos"]["x"] == 0 and header["gridPos"]["w"] == 24, header["title"]
        below = [
            panel
            for panel in content(board)
            if panel["gridPos"]["y"]
            < header["gridPos"]["y"]
            < panel["gridPos"]["y"] + panel["gridPos"]["h"]
        ]
        assert not below, f"{header['title']} cuts through {[p['title'] for p in below]}"


def _stack_exprs() -> list[str]:
    return [
        target["expr"] for panel in content(ALL["stack-health.json"]) for target in panel["targets"]
    ]


def test_stack_health_reads_no_per_charger_series() -> None:
    for expr in _stack_exprs():
        assert "charge_point_id" not in expr and "chargekeeper_charge_point" not in expr, expr
        assert "vendor_error_code" not in expr, expr  # up to 2,000 values per collector


def test_stack_health_counters_are_rates_and_collectors_follow_the_variable() -> None:
    for expr in _stack_exprs():
        for counter in re.findall(r"\b\w+_total\b", expr):
            assert re.search(
                rf"(rate|increase)\({counter}\{{[^}}]*\}}\[\$__(rate_interval|range)\]", expr
            ), expr
        if "chargekeeper_exporter_" in expr or 'job="chargekeeper-exporter"' in expr:
            assert 'instance=~"$collector"' in expr, expr
        for histogram in re.findall(r"histogram_quantile\(.*?sum by \(([^)]*)\)", expr, re.S):
            assert histogram.split(", ")[0] == "le", expr


def test_stack_health_lists_every_meta_alert() -> None:
    assert {"ChargekeeperCollectorDown", "Watchdog"} <= set(meta_alert_names())
    exprs = "\n".join(_stack_exprs())
    for name in meta_alert_names():
        assert name in exprs, name

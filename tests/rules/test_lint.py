"""Rules lint: what a reviewer would check by hand on every alert, checked on all of them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from alertmanager.watchdog import WATCHDOG_MISSING_ALERT
from chargekeeper.render.prometheus import RULE_FILES, SOURCE_RUNBOOK_BASE
from tests.rules.conftest import RULE_TEST_FILES, RULES_DIR

SEVERITIES = {"critical", "warning", "info"}
FAMILIES = {"disconnection", "error", "soc", "vendor_code", "energy", "fleet"}
# A recording rule's name as PromQL reads it: level:metric[:operations], never after a digit
# (so a subquery's `[5m:]` is not one).
RECORD_REFERENCE = re.compile(r"(?<![\w:])[a-zA-Z_]\w*:[\w:]+")
ANNOTATIONS = {"summary", "description", "runbook_url"}
# Annotations some alerts add (rules/README.md, "Alerts and labels"): `since`, the fault's
# start, on every alert whose condition has one; the SoC a stalled charge is stuck at.
EXTRA_ANNOTATIONS = {
    "ChargerDisconnected": {"since"},
    "ChargerFaulted": {"since"},
    "ChargerVendorErrorCode": {"since"},
    "ChargerNotDelivering": {"since"},
    "ChargerSocStalled": {"since", "soc_percent"},
}
# Annotations that query views: unix seconds or whole percent, digits only, "" when absent.
QUERIED_ANNOTATIONS = {"since", "soc_percent"}


def _groups() -> list[dict[str, Any]]:
    """Every rule group of the hand-written rule files."""
    return [
        group
        for name in RULE_FILES
        for group in yaml.safe_load((RULES_DIR / name).read_text())["groups"]
    ]


GROUPS = _groups()
ALERTS = [rule for group in GROUPS for rule in group["rules"] if "alert" in rule]
CHARGER_ALERTS = [rule for rule in ALERTS if rule["alert"].startswith("Charger")]
# Alerts on the chargers and sites, as opposed to meta-monitoring (family fleet).
DETECTION_ALERTS = [rule for rule in ALERTS if rule["labels"]["family"] != "fleet"]
GROUPS_BY_NAME = {group["name"]: group for group in GROUPS}
# Where each hand-written recording rule is: (group name, position in the group).
RECORDS = {
    rule["record"]: (group["name"], position)
    for group in GROUPS
    for position, rule in enumerate(group["rules"])
    if "record" in rule
}


def _alert_id(rule: dict[str, Any]) -> str:
    return f"{rule['alert']}-{rule['labels'].get('severity')}"


def _runbook_anchors() -> set[str]:
    """GitHub-style anchors of the level-2 headings of runbook.md."""
    headings = re.findall(r"^## (.+)$", (RULES_DIR / "runbook.md").read_text(), re.MULTILINE)
    return {re.sub(r"[^a-z0-9 _-]", "", heading.lower()).replace(" ", "-") for heading in headings}


def _alert_tests() -> Iterator[dict[str, Any]]:
    for path in RULE_TEST_FILES:
        for test in yaml.safe_load(path.read_text())["tests"]:
            yield from test.get("alert_rule_test", [])


def test_there_are_alerts() -> None:
    names = {rule["alert"] for rule in ALERTS}
    assert {
        "ChargerDisconnected",
        "ChargerFaulted",
        "ChargerSocStalled",
        "ChargerVendorErrorCode",
        "ChargerNotDelivering",
        "ChargerFlapping",
        "SiteOffline",
        "ChargerRegistrationRefused",
        "ChargekeeperUpstreamDown",
        "ChargekeeperUpstreamSlow",
        "ChargekeeperUpstreamAuthorizationsRejected",
        "Watchdog",
    } <= names


@pytest.mark.parametrize("rule", ALERTS, ids=_alert_id)
def test_labels_and_annotations(rule: dict[str, Any]) -> None:
    assert rule["labels"]["severity"] in SEVERITIES
    assert rule["labels"]["family"] in FAMILIES
    annotations = rule["annotations"]
    assert set(annotations) == ANNOTATIONS | EXTRA_ANNOTATIONS.get(rule["alert"], set())
    assert all(annotations[key].strip() for key in annotations)
    # The summary is a fixed headline for a grouped message: no templating.
    assert "{{" not in annotations["summary"]
    assert annotations["runbook_url"] == f"{SOURCE_RUNBOOK_BASE}#{rule['alert'].lower()}"


@pytest.mark.parametrize("rule", CHARGER_ALERTS, ids=_alert_id)
def test_charger_alerts_join_the_identity(rule: dict[str, Any]) -> None:
    expr = rule["expr"]
    assert "group_left (site, client, group, vendor, model)" in expr
    assert "chargekeeper_charge_point:info" in expr


def test_every_runbook_anchor_exists_and_every_section_has_an_alert() -> None:
    anchors = _runbook_anchors()
    alert_anchors = {rule["alert"].lower() for rule in ALERTS}
    assert alert_anchors <= anchors, alert_anchors - anchors
    # The receiver raises this one itself when no Watchdog arrives (alertmanager/watchdog.py).
    alert_anchors.add(WATCHDOG_MISSING_ALERT.lower())
    assert anchors <= alert_anchors, f"runbook sections without an alert: {anchors - alert_anchors}"


def test_variants_of_one_alert_share_annotations_and_family() -> None:
    by_name: dict[str, list[dict[str, Any]]] = {}
    for rule in ALERTS:
        by_name.setdefault(rule["alert"], []).append(rule)
    for name, rules in by_name.items():
        assert len({rule["labels"]["family"] for rule in rules}) == 1, name
        assert len({yaml.safe_dump(rule["annotations"]) for rule in rules}) == 1, name
        severities = [rule["labels"]["severity"] for rule in rules]
        assert len(severities) == len(set(severities)), f"{name} repeats a severity"


@pytest.mark.parametrize("rule", ALERTS, ids=_alert_id)
def test_every_alert_and_severity_has_promtool_cases(rule: dict[str, Any]) -> None:
    name, severity = rule["alert"], rule["labels"]["severity"]
    cases = [case for case in _alert_tests() if case["alertname"] == name]
    fires = [
        case
        for case in cases
        if any(alert["exp_labels"].get("severity") == severity for alert in case["exp_alerts"])
    ]
    assert fires, f"no promtool case where {name} fires as {severity}"
    for case in fires:
        for alert in case["exp_alerts"]:
            expected = ANNOTATIONS | EXTRA_ANNOTATIONS.get(name, set())
            assert set(alert["exp_annotations"]) == expected, f"{name}: {alert['exp_labels']}"
            for key in QUERIED_ANNOTATIONS & expected:
                assert re.fullmatch(r"[0-9]+", alert["exp_annotations"][key]), (name, key)
    if name != "Watchdog":
        assert any(not case["exp_alerts"] for case in cases), f"no must-not-fire case for {name}"


def _home(rule: dict[str, Any]) -> tuple[str, int]:
    """The group name and position of ``rule``."""
    for group in GROUPS:
        for position, candidate in enumerate(group["rules"]):
            if candidate is rule:
                return group["name"], position
    raise AssertionError(f"{rule} is in no group")


@pytest.mark.parametrize("rule", DETECTION_ALERTS, ids=_alert_id)
def test_detection_alerts_read_views_evaluated_just_before_them(rule: dict[str, Any]) -> None:
    """Every hand-written view a charger or site alert reads, directly or through other views,
    is in the alert's group and before its reader, and so is every view its `since` or
    `soc_percent` annotation queries. Prometheus runs each group on its own
    schedule, so a view from another group can be an evaluation interval old when the alert
    reads it, and the alert fires that much later. promtool's group_eval_order hides this, so
    only this check catches it. Generated threshold series are constants and may live
    elsewhere."""
    group, position = _home(rule)
    queries = " ".join(rule["annotations"].get(key, "") for key in QUERIED_ANNOTATIONS)
    unread = [(f"{rule['expr']} {queries}", position)]
    while unread:
        expr, reader = unread.pop()
        for name in set(RECORD_REFERENCE.findall(expr)) & RECORDS.keys():
            home, written = RECORDS[name]
            assert home == group, f"{rule['alert']} reads {name} from group {home}, not {group}"
            # Equal positions: a view reading its own previous value.
            assert written <= reader, f"{name} is evaluated after a rule of {group} reading it"
            if written < reader:
                record = next(r for r in GROUPS_BY_NAME[group]["rules"] if r.get("record") == name)
                unread.append((record["expr"], written))

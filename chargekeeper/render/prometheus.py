"""The Prometheus side of ``config render``: prometheus.yml, the hand-written rule files and the
threshold rules generated from the alert policy.

Thresholds reach the hand-written alerts as series (rules/README.md): one recording rule per
(site, charger group) and knob, ``vector(<value>)`` with the labels the alerts join on. A
changed policy is a new rule file and a Prometheus reload, never a restart or a rule edit.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from chargekeeper.config.fleet import Fleet, UnknownChargers
from chargekeeper.config.policy import MaintenanceWindow, Policy

EXPORTER_JOB = "chargekeeper-exporter"
PROMETHEUS_JOB = "prometheus"
ALERTMANAGER_JOB = "alertmanager"
RECEIVER_JOB = "chargekeeper-receiver"

# The hand-written rules, in the order Prometheus should load them, and the generated one.
RULE_FILES = ("detection.yml", "availability.yml", "meta.yml", "upstream.yml")
THRESHOLDS_FILE = "thresholds.yml"
# Every runbook_url in the hand-written rules starts with this; render swaps in the policy's base.
SOURCE_RUNBOOK_BASE = "https://chargekeeper.example/rules/runbook.md"
# Chargers the collector accepts without a fleet entry are labelled with this site and group.
UNKNOWN = "unknown"
# The repository's rules/ folder (the rules ship next to the code that renders them).
DEFAULT_RULES_DIR = Path(__file__).resolve().parents[2] / "rules"


@dataclass(frozen=True)
class PrometheusSetup:
    """Where the Prometheus side finds its peers, and how often it scrapes and evaluates."""

    exporters: Sequence[str] = ("127.0.0.1:9101",)
    alertmanagers: Sequence[str] = ("127.0.0.1:9093",)
    receivers: Sequence[str] = ()
    prometheus: str = "127.0.0.1:9090"
    # ARCHITECTURE 5: scrape and rule evaluation every 5 s; detection speed is the product.
    interval_seconds: int = 5
    rules_dir: Path = field(default=DEFAULT_RULES_DIR)


def prometheus_config(setup: PrometheusSetup) -> dict[str, Any]:
    """prometheus.yml, with rule files relative to it (``rules/…``)."""
    interval = f"{setup.interval_seconds}s"

    def job(name: str, targets: Sequence[str]) -> dict[str, Any]:
        return {"job_name": name, "static_configs": [{"targets": list(targets)}]}

    scrape_configs = [
        job(EXPORTER_JOB, setup.exporters),
        # Prometheus's own metrics carry prometheus_notifications_* for the meta alerts.
        job(PROMETHEUS_JOB, [setup.prometheus]),
        # alertmanager_notifications_* (webhooks to the receiver) and cluster membership.
        job(ALERTMANAGER_JOB, setup.alertmanagers),
    ]
    if setup.receivers:
        scrape_configs.append(job(RECEIVER_JOB, setup.receivers))
    return {
        "global": {
            "scrape_interval": interval,
            "scrape_timeout": interval,
            "evaluation_interval": interval,
        },
        "rule_files": [f"rules/{name}" for name in (*RULE_FILES, THRESHOLDS_FILE)],
        "alerting": {
            "alertmanagers": [{"static_configs": [{"targets": list(setup.alertmanagers)}]}]
        },
        "scrape_configs": scrape_configs,
    }


def hand_written_rules(rules_dir: Path, runbook_base_url: str) -> dict[str, str]:
    """Each rule file's text with the runbook links pointing at the policy's base URL."""
    rules: dict[str, str] = {}
    for name in RULE_FILES:
        text = (rules_dir / name).read_text(encoding="utf-8")
        rules[name] = text.replace(f"{SOURCE_RUNBOOK_BASE}#", f"{runbook_base_url}#")
    return rules


def _rule(record: str, value: float, labels: dict[str, str] | None = None) -> dict[str, Any]:
    rule: dict[str, Any] = {"record": record, "expr": f"vector({value:g})"}
    if labels:
        rule["labels"] = dict(labels)  # a copy each: shared dicts would become YAML aliases
    return rule


def scopes(fleet: Fleet) -> list[tuple[str, str]]:
    """Every (site, group) that has chargers, plus the collector's label for unknown chargers."""
    pairs = sorted({(charger.site, charger.group) for charger in fleet.chargers})
    if fleet.unknown_chargers is UnknownChargers.ACCEPT:
        pairs.append((UNKNOWN, UNKNOWN))
    return pairs


def _scope_rules(policy: Policy, site: str, group: str) -> Iterator[dict[str, Any]]:
    thresholds = policy.thresholds(site, group)
    scope = {"site": site, "group": group}
    yield _rule("chargekeeper:policy_scope", 1, scope)
    tiered = (
        ("chargekeeper:threshold_disconnected_seconds", thresholds.disconnected),
        ("chargekeeper:threshold_faulted_seconds", thresholds.faulted),
        ("chargekeeper:threshold_soc_stalled_seconds", thresholds.soc_stalled),
        ("chargekeeper:threshold_not_delivering_seconds", thresholds.not_delivering),
    )
    for record, condition in tiered:
        for severity, seconds in condition.durations().items():
            yield _rule(record, seconds, {**scope, "severity": severity})
    if thresholds.soc_stalled.enabled:
        yield _rule(
            "chargekeeper:threshold_soc_stalled_below_ratio", thresholds.soc_stalled.below, scope
        )
    if thresholds.vendor_code.enabled:
        yield _rule(
            "chargekeeper:threshold_vendor_code_seconds", thresholds.vendor_code.after, scope
        )
    if thresholds.flapping.enabled:
        yield _rule(
            "chargekeeper:threshold_flapping_reconnects", thresholds.flapping.reconnects, scope
        )


def _site_rules(policy: Policy, site: str) -> Iterator[dict[str, Any]]:
    settings = policy.site_offline(site)
    if not settings.enabled:
        return
    labels = {"site": site}
    yield _rule("chargekeeper:threshold_site_offline_seconds", settings.after, labels)
    yield _rule("chargekeeper:threshold_site_offline_ratio", settings.ratio, labels)
    yield _rule("chargekeeper:threshold_site_offline_min_chargers", settings.min_chargers, labels)


def _maintenance_rules(
    windows: Sequence[MaintenanceWindow], fleet: Fleet, now: datetime
) -> Iterator[dict[str, Any]]:
    """One rule per charger in maintenance, true while ``time()`` is inside any of its windows.

    Windows that ended before ``now`` are left out: availability samples already recorded
    keep their exclusion, and a past window cannot affect a future evaluation.
    """
    spans: dict[str, list[tuple[int, int]]] = {}
    for window in windows:
        if window.end <= now:
            continue
        for charge_point_id in window.charge_point_ids(fleet):
            spans.setdefault(charge_point_id, []).append(
                (int(window.start.timestamp()), int(window.end.timestamp()))
            )
    for charge_point_id, periods in sorted(spans.items()):
        inside = " or ".join(f"(vector(time()) >= {start} < {end})" for start, end in periods)
        yield {
            "record": "chargekeeper:maintenance_active",
            "expr": f"vector(1) and on () ({inside})",
            "labels": {"charge_point_id": charge_point_id},
        }


def threshold_rules(
    policy: Policy, fleet: Fleet, interval_seconds: int, now: datetime
) -> dict[str, Any]:
    """The generated rule file: thresholds, switches, surfaced codes and maintenance windows."""
    rules: list[dict[str, Any]] = [
        _rule("chargekeeper:evaluation_interval_seconds", interval_seconds),
        _rule("chargekeeper:collector_restart_grace_seconds", policy.collector_restart_grace),
    ]
    for site, group in scopes(fleet):
        rules.extend(_scope_rules(policy, site, group))
    sites = sorted({site for site, _ in scopes(fleet)})
    for site in sites:
        rules.extend(_site_rules(policy, site))
    for vendor, code, severity in policy.surfaced_codes():
        rules.append(
            _rule(
                "chargekeeper:vendor_code_surfaced",
                1,
                {"vendor": vendor, "vendor_error_code": code, "severity": severity},
            )
        )
    rules.extend(_maintenance_rules(policy.maintenance, fleet, now))
    return {"groups": [{"name": "chargekeeper-policy", "rules": rules}]}


def dump_yaml(document: dict[str, Any], header: str) -> str:
    """YAML text with a comment header; label values such as "210" stay strings."""
    body = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
    comment = "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines())
    return comment + body

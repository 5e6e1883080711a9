"""The preview's comparison logic (``would_fire`` mirrors the charger and site alerts of
rules/) on query results shaped like Prometheus's, and the comparison with ALERTS."""

from __future__ import annotations

import yaml

from chargekeeper.config.fleet import Fleet
from chargekeeper.config.policy import Policy
from console.prometheus import Sample
from console.rules.preview import AlertKey, LiveState, compare, firing_now, would_fire

FLEET = Fleet.model_validate(
    {
        "clients": [{"id": "acme"}],
        "sites": [{"id": "lyon", "client": "acme"}, {"id": "a9", "client": "acme"}],
        "chargers": [
            {"id": "LYON-1", "site": "lyon", "group": "ac", "vendor": "Alfen BV"},
            {"id": "LYON-2", "site": "lyon", "group": "ac"},
            {"id": "A9-1", "site": "a9", "group": "hpc", "vendor": "alpitronic GmbH"},
            {"id": "A9-2", "site": "a9", "group": "hpc"},
        ],
    }
)


def info(cp: str, site: str, group: str, vendor: str = "") -> Sample:
    labels = {"charge_point_id": cp, "site": site, "client": "acme", "group": group}
    if vendor:
        labels |= {"vendor": vendor, "model": "X"}
    return Sample(labels, 1)


def connector(cp: str, value: float, **labels: str) -> Sample:
    return Sample({"charge_point_id": cp, "connector_id": "1", **labels}, value)


# What Prometheus answers at one evaluation: LYON-1 disconnected for 400 s, A9-1 faulted with
# an alpitronic code for 120 s, LYON-2 charging with SoC stuck at 35 % for 25 minutes, A9-2
# flapping (5 reconnects) and delivering nothing for 11 minutes.
STATE = LiveState(
    {
        "info": [
            info("LYON-1", "lyon", "ac", "Alfen BV"),
            info("LYON-2", "lyon", "ac"),
            info("A9-1", "a9", "hpc", "alpitronic GmbH"),
            info("A9-2", "a9", "hpc"),
            info("STRAY-1", "unknown", "unknown"),  # not in the fleet: no threshold series
        ],
        "disconnected": [Sample({"charge_point_id": "LYON-1"}, 400)],
        "errors": [
            connector(
                "A9-1",
                120,
                error_code="OtherError",
                vendor_id="alpitronic",
                vendor_error_code="CX011",
            )
        ],
        "soc_stalled": [connector("LYON-2", 1500)],
        "soc_ratio": [connector("LYON-2", 0.35)],
        "not_delivering": [connector("A9-2", 660)],
        "reconnects": [
            Sample({"charge_point_id": "A9-2"}, 5),
            Sample({"charge_point_id": "STRAY-1"}, 9),
        ],
        "site_counts": [
            Sample({"site": "lyon", "client": "acme"}, 2),
            Sample({"site": "a9", "client": "acme"}, 2),
        ],
        "firing": [
            Sample(
                {
                    "alertname": "ChargerDisconnected",
                    "alertstate": "firing",
                    "severity": "warning",
                    "family": "disconnection",
                    "charge_point_id": "LYON-1",
                    "site": "lyon",
                    "client": "acme",
                    "group": "ac",
                },
                400,
            ),
            Sample({"alertname": "Watchdog", "alertstate": "firing", "severity": "info"}, 1),
        ],
    }
)


def policy(text: str) -> Policy:
    return Policy.model_validate(yaml.safe_load(text) or {}, context={"fleet": FLEET})


def names(keys: set[AlertKey] | list[AlertKey]) -> set[tuple[str, str, str]]:
    return {(k.alertname, k.severity, k.charge_point_id or k.site) for k in keys}


def test_defaults_fire_what_the_rules_would() -> None:
    fired = would_fire(Policy(), FLEET, STATE)
    assert names(fired) == {
        ("ChargerDisconnected", "warning", "LYON-1"),  # 400 s >= 5 min, < 30 min
        ("ChargerFaulted", "warning", "A9-1"),  # 120 s >= 1 min
        ("ChargerSocStalled", "warning", "LYON-2"),  # 25 min >= 20 min at 35 % < 40 %
        ("ChargerNotDelivering", "warning", "A9-2"),  # 11 min >= 10 min
        ("ChargerFlapping", "warning", "A9-2"),  # 5 >= 4; STRAY-1 has no thresholds
    }
    faulted = next(k for k in fired if k.alertname == "ChargerFaulted")
    assert (faulted.connector_id, faulted.error_code, faulted.vendor_error_code) == (
        "1",
        "OtherError",
        "CX011",
    )


def test_proposed_thresholds_change_what_fires() -> None:
    proposed = policy(
        """
defaults:
  soc_stalled: {below: 0.30}
overrides:
  - {group: ac, disconnected: {warning: 10m}}
  - {site: a9, flapping: {enabled: false}, not_delivering: {warning: 3m, critical: 10m}}
vendor_codes:
  - {vendor: alpitronic GmbH, codes: [CX011], severity: critical}
"""
    )
    assert names(would_fire(proposed, FLEET, STATE)) == {
        ("ChargerFaulted", "warning", "A9-1"),
        # The code's vendor is the charger's (from info), matched with the surfaced list.
        ("ChargerVendorErrorCode", "critical", "A9-1"),
        ("ChargerNotDelivering", "warning", "A9-2"),
        ("ChargerNotDelivering", "critical", "A9-2"),
    }


def test_site_offline_needs_the_share_and_the_minimum() -> None:
    state = LiveState(
        {
            **STATE.results,
            "disconnected": [
                Sample({"charge_point_id": "A9-1"}, 200),
                Sample({"charge_point_id": "A9-2"}, 90),
            ],
        }
    )
    fired = {k for k in would_fire(Policy(), FLEET, state) if k.alertname == "SiteOffline"}
    assert fired == set()  # one of two chargers past 2 min: 50 % < 60 %
    half = policy("overrides:\n  - {site: a9, site_offline: {ratio: 0.5}}\n")
    fired = {k for k in would_fire(half, FLEET, state) if k.alertname == "SiteOffline"}
    assert fired == {AlertKey("SiteOffline", "critical", "a9")}
    bigger = policy("overrides:\n  - {site: a9, site_offline: {ratio: 0.5, min_chargers: 3}}\n")
    assert not {k for k in would_fire(bigger, FLEET, state) if k.alertname == "SiteOffline"}


def test_comparison_with_what_fires_now() -> None:
    now = firing_now(STATE)
    assert names(now) == {("ChargerDisconnected", "warning", "LYON-1")}  # Watchdog ignored
    quieter = policy(
        "defaults:\n  disconnected: {warning: 1h, critical: 2h}\n  faulted: {enabled: false}\n"
    )
    result = compare(would_fire(quieter, FLEET, STATE), now)
    assert names(result.stops) == {("ChargerDisconnected", "warning", "LYON-1")}
    assert ("ChargerFaulted", "warning", "A9-1") not in names(result.starts)
    assert result.stays == []
    same = compare(would_fire(Policy(), FLEET, STATE), now)
    assert names(same.stays) == {("ChargerDisconnected", "warning", "LYON-1")}

"""The policy as the Rules page and ``GET /api/v1/rules`` show it: per alert type, the fleet
defaults, every override that sets it, and the values in effect for each site and group."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chargekeeper.config.fleet import Fleet
from chargekeeper.config.policy import Flapping, Policy, SiteOffline, Thresholds, Tiered, VendorCode
from chargekeeper.render.prometheus import scopes
from console.rules.catalog import ALERT_TYPES, AlertType, format_value
from console.rules.document import Scope

Section = Tiered | VendorCode | Flapping | SiteOffline


@dataclass(frozen=True)
class Row:
    """One line of an alert type's table: a scope, on/off, and a text per knob."""

    scope: Scope
    enabled: str  # "on", "off", or "" when an override leaves it inherited
    values: dict[str, str]  # knob -> shown value ("" when an override leaves it inherited)


@dataclass(frozen=True)
class AlertTypeView:
    alert_type: AlertType
    fleet: Row
    overrides: list[Row]
    effective: list[Row]


def overview(policy: Policy, fleet: Fleet) -> list[AlertTypeView]:
    """Every alert type of :data:`ALERT_TYPES`, in that order."""
    defaults = Thresholds().merged(policy.defaults)
    pairs = scopes(fleet)
    sites = sorted({site for site, _ in pairs})
    views = []
    for alert_type in ALERT_TYPES:
        overrides = [
            _row(Scope(o.site, o.group), alert_type, getattr(o, alert_type.key), explicit=True)
            for o in policy.overrides
            if alert_type.key in o.model_fields_set
        ]
        if alert_type.site_only:
            effective = [
                _row(Scope(site), alert_type, policy.site_offline(site), explicit=False)
                for site in sites
            ]
        else:
            effective = [
                _row(
                    Scope(site, group),
                    alert_type,
                    getattr(policy.thresholds(site, group), alert_type.key),
                    explicit=False,
                )
                for site, group in pairs
            ]
        fleet_row = _row(Scope(), alert_type, getattr(defaults, alert_type.key), explicit=False)
        views.append(AlertTypeView(alert_type, fleet_row, overrides, effective))
    return views


def _row(scope: Scope, alert_type: AlertType, section: Section, *, explicit: bool) -> Row:
    shown = section.model_fields_set if explicit else set(type(section).model_fields)
    enabled = section.enabled
    return Row(
        scope,
        ("on" if enabled else "off") if "enabled" in shown else "",
        {
            knob.name: format_value(knob.kind, getattr(section, knob.name))
            if knob.name in shown
            else ""
            for knob in alert_type.knobs
        },
    )


def effective_json(policy: Policy, fleet: Fleet) -> dict[str, Any]:
    """Thresholds in effect per (site, group) and site-offline settings per site, in the
    policy file's units (seconds, ratios)."""
    pairs = scopes(fleet)
    return {
        "scopes": [
            {
                "site": site,
                "group": group,
                "thresholds": policy.thresholds(site, group).model_dump(
                    mode="json", exclude={"site_offline"}
                ),
            }
            for site, group in pairs
        ],
        "site_offline": {
            site: policy.site_offline(site).model_dump(mode="json")
            for site in sorted({site for site, _ in pairs})
        },
    }

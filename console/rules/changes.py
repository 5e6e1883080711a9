"""What a policy edit changed, in plain language, for the audit log and the page's message.

The comparison is between the two validated policies, not their text: a reworded value
("1800" → "30m") is no change, and every change reads like "faulted at site lyon: warning
1m → 2m".
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from chargekeeper.config.policy import Override, Policy, Thresholds
from console.rules.catalog import ALERT_TYPES, KnobKind, format_value
from console.rules.document import Scope

_KINDS = {
    (alert_type.key, knob.name): knob.kind
    for alert_type in ALERT_TYPES
    for knob in alert_type.knobs
}
_NOT_SET = "inherited"


def describe_changes(before: Policy, after: Policy) -> list[str]:
    """One line per changed setting; empty when the two policies mean the same."""
    lines = _section_changes(
        "the fleet",
        Thresholds().merged(before.defaults),
        Thresholds().merged(after.defaults),
        False,
    )
    old = {_scope(o): o for o in before.overrides}
    new = {_scope(o): o for o in after.overrides}
    for scope in [*old, *(s for s in new if s not in old)]:
        if scope not in new:
            lines.append(f"override for {scope.describe()} removed")
        elif scope not in old:
            lines.append(f"override for {scope.describe()} added")
            lines.extend(_section_changes(scope.describe(), Thresholds(), new[scope], True))
        else:
            lines.extend(_section_changes(scope.describe(), old[scope], new[scope], True))
    old_codes = {(v, c): s for v, c, s in before.surfaced_codes()}
    new_codes = {(v, c): s for v, c, s in after.surfaced_codes()}
    for (vendor, code), severity in new_codes.items():
        if (vendor, code) not in old_codes:
            lines.append(f"vendor code {vendor} {code} surfaced as {severity}")
        elif old_codes[(vendor, code)] != severity:
            lines.append(f"vendor code {vendor} {code}: {old_codes[(vendor, code)]} → {severity}")
    lines.extend(
        f"vendor code {vendor} {code} no longer surfaced"
        for vendor, code in old_codes
        if (vendor, code) not in new_codes
    )
    for name in ("runbook_base_url", "collector_restart_grace", "maintenance"):
        if getattr(before, name) != getattr(after, name):
            lines.append(f"{name} changed")
    return lines


def _scope(override: Override) -> Scope:
    return Scope(override.site, override.group)


def _section_changes(where: str, old: Thresholds, new: Thresholds, explicit: bool) -> list[str]:
    """Changed fields per section; ``explicit`` compares only what an override sets."""
    lines = []
    for alert_type in ALERT_TYPES:
        before = _fields(getattr(old, alert_type.key), explicit)
        after = _fields(getattr(new, alert_type.key), explicit)
        if explicit:
            before = before if alert_type.key in old.model_fields_set else {}
            after = after if alert_type.key in new.model_fields_set else {}
        changes = [
            f"{name} {_show(alert_type.key, name, before, has_before)} → "
            f"{_show(alert_type.key, name, after, name in after)}"
            for name in [*before, *(n for n in after if n not in before)]
            if (has_before := name in before) != (name in after)
            or before.get(name) != after.get(name)
        ]
        if changes:
            lines.append(f"{alert_type.key} at {where}: {', '.join(changes)}")
    return lines


def _fields(section: BaseModel, explicit: bool) -> dict[str, Any]:
    names = section.model_fields_set if explicit else type(section).model_fields
    return {name: getattr(section, name) for name in names}


def _show(key: str, name: str, values: dict[str, Any], present: bool) -> str:
    if not present:
        return _NOT_SET
    value = values[name]
    if name == "enabled":
        return "on" if value else "off"
    return format_value(_KINDS.get((key, name), KnobKind.COUNT), value)

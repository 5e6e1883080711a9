"""The Rules page's form → the changes to one policy section at one scope.

Every field is optional: a blank field keeps what the chosen scope has now, so changing one
value never copies or drops the others. "inherit" drops a value set at the scope (it then
comes from the fleet defaults, or Chargekeeper's own for the fleet); "off" stops a severity
firing there. Durations are typed as seconds (300) or with units ("5m", "1h30m"); SoC and site
ratios as percentages. Problems are reported per field, in words a maintenance lead can act on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from chargekeeper.config.policy import parse_duration
from console.rules.catalog import AlertType, Knob, KnobKind, format_duration
from console.rules.document import Scope, Value

Switch = Literal["keep", "on", "off", "inherit"]
OFF_WORDS = frozenset({"off", "none", "null"})
INHERIT_WORDS = frozenset({"inherit", "inherited", "default"})


@dataclass
class SectionForm:
    """What the user submitted for one alert type at one scope, and what it parsed to."""

    alert_type: AlertType
    scope: Scope
    switch: Switch
    fields: dict[str, str]
    values: dict[str, Value] = field(default_factory=dict)
    cleared: set[str] = field(default_factory=set)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def parse_section_form(
    alert_type: AlertType,
    site: str,
    group: str,
    switch: Switch,
    fields: Mapping[str, str],
) -> SectionForm:
    """Parse the submitted fields of ``alert_type``; errors are keyed by knob (or "scope")."""
    scope = Scope(site.strip() or None, group.strip() or None)
    form = SectionForm(
        alert_type, scope, switch, {k.name: fields.get(k.name, "") for k in alert_type.knobs}
    )
    if alert_type.site_only and scope.group is not None:
        form.errors["scope"] = (
            f"{alert_type.key} is set for the fleet or per site, not per charger group"
        )
    if switch in ("on", "off"):
        form.values["enabled"] = switch == "on"
    elif switch == "inherit":
        form.cleared.add("enabled")
    for knob in alert_type.knobs:
        text = form.fields[knob.name].strip()
        if not text:
            continue
        if text.lower() in INHERIT_WORDS:
            form.cleared.add(knob.name)
            continue
        try:
            form.values[knob.name] = parse_knob(knob, text)
        except ValueError as exc:
            form.errors[knob.name] = str(exc)
    return form


def parse_knob(knob: Knob, text: str) -> Value:
    """One typed value → what policy.yaml holds; ValueError says what to type instead."""
    if knob.kind is KnobKind.SEVERITY_DURATION and text.lower() in OFF_WORDS:
        return None
    if knob.kind in (KnobKind.DURATION, KnobKind.SEVERITY_DURATION):
        return _duration(text, allow_off=knob.kind is KnobKind.SEVERITY_DURATION)
    if knob.kind is KnobKind.PERCENT:
        return _percent(text)
    return _count(text)


def _duration(text: str, *, allow_off: bool) -> Value:
    off = ", or 'off' so that this severity does not fire" if allow_off else ""
    hint = f"write seconds (300) or units d, h, m, s ('5m', '1h30m'){off}"
    try:
        seconds = float(text)
    except ValueError:
        try:
            parsed = parse_duration(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a duration: {hint}") from None
        assert isinstance(parsed, int)
        seconds = parsed
    if seconds < 0:
        raise ValueError(f"{text!r}: a duration cannot be negative")
    # Whole seconds are written the way people read them; a fraction stays a number.
    return format_duration(seconds) if seconds == int(seconds) else seconds


def _percent(text: str) -> Value:
    number = text.removesuffix("%").strip().replace(",", ".")
    try:
        percent = float(number)
    except ValueError:
        raise ValueError(f"{text!r} is not a percentage: write a number such as 40") from None
    if not 0 < percent <= 100:
        raise ValueError(f"{text!r}: a percentage here is more than 0 and at most 100")
    return round(percent / 100, 6)


def _count(text: str) -> Value:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a whole number") from None

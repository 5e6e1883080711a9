"""The alert types the Rules editor edits, the knobs of each, and how their values read.

One entry per section of the policy's ``Thresholds`` (chargekeeper/config/policy.py), with the
alert it controls in rules/detection.yml. The editor shows durations as "5m" or "1h30m" and
ratios as percentages: that is how a maintenance lead thinks about them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class KnobKind(StrEnum):
    DURATION = "duration"  # seconds, always set
    SEVERITY_DURATION = "severity_duration"  # seconds, or None: that severity does not fire
    PERCENT = "percent"  # a ratio in (0, 1], shown and typed as a percentage
    COUNT = "count"  # a whole number


@dataclass(frozen=True)
class Knob:
    """One field of a policy section (its name in the policy file) and what kind it is."""

    name: str
    kind: KnobKind

    @property
    def label_key(self) -> str:
        """Its label in the console's message catalog."""
        return f"knob_{self.name}"


@dataclass(frozen=True)
class AlertType:
    """One section of the policy's thresholds and the Prometheus alert it drives."""

    key: str
    alertname: str
    knobs: tuple[Knob, ...]
    # site_offline is a fact about a whole site: fleet-wide or per site, never per group.
    site_only: bool = False

    @property
    def title_key(self) -> str:
        """Its title in the console's message catalog (``help_key``: what it watches)."""
        return f"rule_{self.key}"

    @property
    def help_key(self) -> str:
        return f"rule_{self.key}_help"


_WARNING = Knob("warning", KnobKind.SEVERITY_DURATION)
_CRITICAL = Knob("critical", KnobKind.SEVERITY_DURATION)

ALERT_TYPES: tuple[AlertType, ...] = (
    AlertType("disconnected", "ChargerDisconnected", (_WARNING, _CRITICAL)),
    AlertType("faulted", "ChargerFaulted", (_WARNING, _CRITICAL)),
    AlertType(
        "soc_stalled", "ChargerSocStalled", (Knob("below", KnobKind.PERCENT), _WARNING, _CRITICAL)
    ),
    AlertType("not_delivering", "ChargerNotDelivering", (_WARNING, _CRITICAL)),
    AlertType("vendor_code", "ChargerVendorErrorCode", (Knob("after", KnobKind.DURATION),)),
    AlertType("flapping", "ChargerFlapping", (Knob("reconnects", KnobKind.COUNT),)),
    AlertType(
        "site_offline",
        "SiteOffline",
        (
            Knob("after", KnobKind.DURATION),
            Knob("ratio", KnobKind.PERCENT),
            Knob("min_chargers", KnobKind.COUNT),
        ),
        site_only=True,
    ),
)
ALERT_TYPES_BY_KEY = {alert_type.key: alert_type for alert_type in ALERT_TYPES}
ALERTNAMES = frozenset(alert_type.alertname for alert_type in ALERT_TYPES)

_UNITS = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))


def format_duration(seconds: float) -> str:
    """300 → "5m", 5400 → "1h30m", 0 → "0s"; a fraction of a second stays a number."""
    if seconds != int(seconds):
        return f"{seconds:g}s"
    remaining = int(seconds)
    parts = []
    for unit, size in _UNITS:
        count, remaining = divmod(remaining, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"


def format_percent(ratio: float) -> str:
    """0.4 → "40 %"."""
    return f"{ratio * 100:g} %"


def format_value(kind: KnobKind, value: object) -> str:
    """A knob's value as the page shows it; None (a severity turned off) is "off"."""
    if value is None:
        return "off"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if kind in (KnobKind.DURATION, KnobKind.SEVERITY_DURATION):
        return format_duration(value)
    if kind is KnobKind.PERCENT:
        return format_percent(value)
    return f"{value:g}"

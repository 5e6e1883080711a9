"""The alert policy: thresholds and on/off switches per site and charger group, the manufacturer
codes to surface and the maintenance windows (ARCHITECTURE 4.5).

The defaults below are the one place where Chargekeeper's shipped thresholds live; each says why
it has its value. A policy file overrides them for the whole fleet (``defaults``) and then per
charger group, per site, and per site and group (``overrides``, most specific last). A switch
that is off, or a severity whose duration is ``null``, renders no threshold series, so the
alert cannot fire there (rules/README.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    ValidationError,
    ValidationInfo,
    model_validator,
)

from chargekeeper.config.fleet import ChargePointId, Fleet, Slug, Strict
from chargekeeper.config.loader import ConfigError, read_yaml, validation_problems

_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
_UNIT_SECONDS = (86400, 3600, 60, 1)


def parse_duration(value: object) -> object:
    """``"90s"``, ``"5m"``, ``"1h30m"``, ``"2d"`` or a number of seconds → seconds (int)."""
    if isinstance(value, bool):
        raise ValueError("a duration is a number of seconds or a text such as '5m' or '1h30m'")
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        match = _DURATION.match(value.strip())
        if match and any(match.groups()):
            return sum(
                int(part) * unit
                for part, unit in zip(match.groups(), _UNIT_SECONDS, strict=True)
                if part
            )
        raise ValueError(
            f"{value!r} is not a duration: write seconds (300) or units d, h, m, s ('1h30m')"
        )
    return value


def _non_negative(value: float) -> float:
    if value < 0:
        raise ValueError("a duration cannot be negative")
    return value


Seconds = Annotated[float, BeforeValidator(parse_duration), AfterValidator(_non_negative)]
Ratio = Annotated[float, Field(gt=0, le=1)]
Severity = Literal["warning", "critical"]


class Tiered(Strict):
    """A condition that alerts as a warning after one duration and as critical after another.

    ``null`` for a severity turns that variant off; ``enabled: false`` turns off both.
    """

    enabled: bool = True
    warning: Seconds | None = None
    critical: Seconds | None = None

    @model_validator(mode="after")
    def _critical_after_warning(self) -> Self:
        if self.warning is not None and self.critical is not None and self.critical < self.warning:
            raise ValueError(
                f"critical ({self.critical:g} s) comes before warning ({self.warning:g} s): "
                "the critical duration must be at least the warning one"
            )
        return self

    def durations(self) -> dict[Severity, float]:
        """The severities that can fire, with their durations."""
        if not self.enabled:
            return {}
        tiers: dict[Severity, float | None] = {"warning": self.warning, "critical": self.critical}
        return {severity: seconds for severity, seconds in tiers.items() if seconds is not None}


class Disconnected(Tiered):
    # Chargers drop their websocket on mobile-network hiccups and reconnect within a minute or
    # two; five minutes is a real outage a technician should know about, thirty an urgent one.
    warning: Seconds | None = 300
    critical: Seconds | None = 1800


class Faulted(Tiered):
    # Many faults (RCD trips, overvoltage) clear themselves within seconds when the charger
    # retries; one minute filters those out. Fifteen minutes of fault means a site visit.
    warning: Seconds | None = 60
    critical: Seconds | None = 900


class SocStalled(Tiered):
    # The seed's example: "if SoC < 40 % and no progress for 20 minutes, notify". Above 40 %
    # a slow or flat SoC is usually the car's own taper, so no critical variant by default.
    warning: Seconds | None = 1200
    critical: Seconds | None = None
    below: Ratio = 0.40


class NotDelivering(Tiered):
    # Charging at 0 W for ten minutes is not a car pausing (that is SuspendedEV): a contactor,
    # power module or meter has failed and the driver is being charged for nothing.
    warning: Seconds | None = 600
    critical: Seconds | None = 1800


class VendorCode(Strict):
    enabled: bool = True
    # A code that clears within half a minute is the charger's own retry succeeding.
    after: Seconds = 30


class Flapping(Strict):
    enabled: bool = True
    # Reconnects or boots in the 15-minute window (fixed in the rule). A collector restart or
    # a move to another collector instance adds one; four is a charger that cannot stay up.
    reconnects: Annotated[int, Field(ge=2)] = 4


class SiteOffline(Strict):
    """Per site only: a site-wide outage is a fact about the site, not a charger group."""

    enabled: bool = True
    # Long enough for a reconnect storm after a network blip to settle, short enough to be
    # the first message the technician gets instead of one per charger.
    after: Seconds = 120
    # "Most" of the site's chargers; two chargers is the smallest site that can have "most".
    ratio: Ratio = 0.6
    min_chargers: Annotated[int, Field(ge=1)] = 2


class Thresholds(Strict):
    """Every knob of every charger alert; a policy file sets only what it changes."""

    disconnected: Disconnected = Field(default_factory=Disconnected)
    faulted: Faulted = Field(default_factory=Faulted)
    soc_stalled: SocStalled = Field(default_factory=SocStalled)
    not_delivering: NotDelivering = Field(default_factory=NotDelivering)
    vendor_code: VendorCode = Field(default_factory=VendorCode)
    flapping: Flapping = Field(default_factory=Flapping)
    site_offline: SiteOffline = Field(default_factory=SiteOffline)

    def merged(self, changes: Thresholds) -> Thresholds:
        """These thresholds with every field that ``changes`` sets explicitly replaced."""
        updates: dict[str, Any] = {}
        for section in changes.model_fields_set & set(Thresholds.model_fields):
            changed = getattr(changes, section)
            values = {name: getattr(changed, name) for name in changed.model_fields_set}
            updates[section] = getattr(self, section).model_copy(update=values)
        return self.model_copy(update=updates)


def _fleet(info: ValidationInfo) -> Fleet | None:
    context = info.context
    if isinstance(context, dict):
        fleet = context.get("fleet")
        if isinstance(fleet, Fleet):
            return fleet
    return None


class Override(Thresholds):
    """Thresholds for one site, one charger group, or one group at one site."""

    site: Slug | None = None
    group: Slug | None = None

    @model_validator(mode="after")
    def _scope(self, info: ValidationInfo) -> Self:
        if self.site is None and self.group is None:
            raise ValueError("an override needs a site, a group or both")
        if self.group is not None and "site_offline" in self.model_fields_set:
            raise ValueError("site_offline is set per site: put it in an override with only a site")
        fleet = _fleet(info)
        if fleet is not None:
            if self.site is not None and fleet.site(self.site) is None:
                raise ValueError(f"unknown site {self.site!r}: it is not in the fleet file")
            groups = {charger.group for charger in fleet.chargers}
            if self.group is not None and self.group not in groups:
                known = ", ".join(sorted(groups)) or "none"
                raise ValueError(f"unknown charger group {self.group!r} (fleet groups: {known})")
        return self

    @property
    def precedence(self) -> int:
        """Group-wide overrides apply first, then site-wide ones, then site-and-group ones."""
        return 2 * (self.site is not None) + (self.group is not None)


class SurfacedCodes(Strict):
    """Manufacturer codes that alert as ChargerVendorErrorCode while their error is active."""

    # The vendor exactly as the charger names itself in BootNotification (chargePointVendor,
    # 2.0.1 vendorName): a code means nothing without its vendor.
    vendor: Annotated[str, Field(min_length=1, max_length=128)]
    codes: Annotated[list[Annotated[str, Field(min_length=1, max_length=128)]], Field(min_length=1)]
    severity: Severity = "warning"


class MaintenanceWindow(Strict):
    """A planned period where a site or a charger is excluded from availability."""

    site: Slug | None = None
    charger: ChargePointId | None = None
    start: datetime
    end: datetime
    reason: str = ""

    @model_validator(mode="after")
    def _valid(self, info: ValidationInfo) -> Self:
        if (self.site is None) == (self.charger is None):
            raise ValueError("a maintenance window names either a site or a charger")
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("start and end need a UTC offset, e.g. 2026-12-01T06:00:00+01:00")
        if self.end <= self.start:
            raise ValueError("end must be after start")
        fleet = _fleet(info)
        if fleet is not None:
            if self.site is not None and fleet.site(self.site) is None:
                raise ValueError(f"unknown site {self.site!r}: it is not in the fleet file")
            if self.charger is not None and fleet.charger(self.charger) is None:
                raise ValueError(f"unknown charger {self.charger!r}: it is not in the fleet file")
        return self

    def charge_point_ids(self, fleet: Fleet) -> list[str]:
        if self.charger is not None:
            return [self.charger]
        return [charger.id for charger in fleet.chargers if charger.site == self.site]


class Policy(Strict):
    # Alerts link to <runbook_base_url>#<alert name in lower case>; point it at wherever the
    # operator publishes rules/runbook.md. A path (/runbook) is on the console, which serves
    # the runbook: the receiver and the console make it absolute with their console URL.
    runbook_base_url: Annotated[str, Field(pattern=r"^(https?://\S+|/[^/\s]\S*)$")] = (
        "https://chargekeeper.example/rules/runbook.md"
    )
    # After a collector (re)starts, a charger it has not seen yet is only counted as
    # disconnected after this grace: chargers need a few minutes (backoff) to reconnect.
    collector_restart_grace: Seconds = 300
    defaults: Thresholds = Field(default_factory=Thresholds)
    overrides: list[Override] = Field(default_factory=list)
    vendor_codes: list[SurfacedCodes] = Field(default_factory=list)
    maintenance: list[MaintenanceWindow] = Field(default_factory=list)

    def thresholds(self, site: str, group: str) -> Thresholds:
        """The thresholds that apply to the chargers of ``group`` at ``site``."""
        result = Thresholds().merged(self.defaults)
        matching = [
            o for o in self.overrides if o.site in (None, site) and o.group in (None, group)
        ]
        for override in sorted(matching, key=lambda o: o.precedence):
            result = result.merged(override)
        return result

    def site_offline(self, site: str) -> SiteOffline:
        """Site-offline settings: defaults, then the overrides naming only this site."""
        result = Thresholds().merged(self.defaults)
        for override in self.overrides:
            if override.site == site and override.group is None:
                result = result.merged(override)
        return result.site_offline

    def surfaced_codes(self) -> Iterable[tuple[str, str, Severity]]:
        """(vendor, code, severity), once each; a later entry's severity wins."""
        chosen: dict[tuple[str, str], Severity] = {}
        for entry in self.vendor_codes:
            for code in entry.codes:
                chosen[(entry.vendor, code)] = entry.severity
        return [(vendor, code, severity) for (vendor, code), severity in chosen.items()]


def load_policy(path: Path, fleet: Fleet) -> Policy:
    """Read ``path`` and check it against ``fleet``; raise ConfigError with file:line problems."""
    data, node = read_yaml(path)
    try:
        return Policy.model_validate(data if data is not None else {}, context={"fleet": fleet})
    except ValidationError as exc:
        raise ConfigError(path, validation_problems(path, node, exc)) from None

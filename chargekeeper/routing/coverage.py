"""The coverage check: the times at which a site's critical alerts would reach nobody.

``chargekeeper config render`` warns about each such gap before the policy goes live.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from chargekeeper.config.fleet import Fleet
from chargekeeper.config.routing import FAMILIES, Family, RoutingPolicy
from chargekeeper.routing.plan import RoutingView
from chargekeeper.routing.recipients import operations_contacts

# The families a technician acts on; 'fleet' is Chargekeeper's own health, not a site's.
SITE_FAMILIES: tuple[Family, ...] = tuple(f for f in FAMILIES if f != "fleet")
# Schedules are set in minutes but shifts start on the quarter hour in practice; a coarser
# step could step over a short gap, a finer one costs time on large fleets.
GAP_STEP = timedelta(minutes=15)


def coverage_gaps(routing: RoutingPolicy, fleet: Fleet, start: datetime) -> list[str]:
    """Sites whose critical alerts would reach nobody at some time in the week from ``start``.

    One line per site and family with the first such time in the site's zone. Sites that
    every route treats alike are checked once, so a large fleet costs little more than a
    small one.
    """
    view = RoutingView.of(routing, fleet)
    start = start if start.tzinfo is not None else start.replace(tzinfo=UTC)
    steps = [start + GAP_STEP * i for i in range(int(timedelta(days=7) / GAP_STEP))]
    first_gap: dict[tuple[tuple[int, ...], str, str], datetime | None] = {}
    gaps: list[str] = []
    for site in fleet.sites:
        signature = tuple(i for i, r in enumerate(view.plan) if not r.sites or site.id in r.sites)
        for family in SITE_FAMILIES:
            key = (signature, site.timezone, family)
            if key not in first_gap:
                labels = {"site": site.id, "client": site.client, "family": family}
                labels["severity"] = "critical"
                first_gap[key] = next(
                    (at for at in steps if not view.who_is_told(labels, at)), None
                )
            gap = first_gap[key]
            if gap is not None:
                local = gap.astimezone(ZoneInfo(site.timezone))
                gaps.append(
                    f"critical {family!r} alerts at site {site.id!r} reach nobody at times "
                    f"such as {local:%A %Y-%m-%d %H:%M} ({site.timezone})"
                )
    return gaps + operations_gaps(routing)


def operations_gaps(routing: RoutingPolicy) -> list[str]:
    """The channels on which Chargekeeper's own alerts (and the receiver's missing-Watchdog
    notice) reach no operations contact: a broken channel cannot report itself."""
    channels = {c for contact in operations_contacts(routing) for c in contact.channels}
    if not channels:
        return [
            "Chargekeeper's own alerts (family 'fleet') and a missing Watchdog reach nobody: "
            "name operations contacts in routing.yaml (operations: {technicians: [...]}) or "
            "cover family 'fleet' fleet-wide"
        ]
    return [
        f"Chargekeeper's own alerts reach no operations contact by {name}: when the other "
        f"channel fails, nobody is told; add an operations contact with {address}"
        for channel, name, address in (
            ("email", "email", "an email address"),
            ("sms", "SMS", "a phone number"),
        )
        if channel not in channels
    ]

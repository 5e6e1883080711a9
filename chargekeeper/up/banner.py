"""What ``chargekeeper up`` prints once the stack runs: only addresses that answer, and who is
on call at this moment.

Each web address is fetched before it is printed, so a page the local build lacks (Debian's
Prometheus has no new UI, its Alertmanager no UI at all) is never offered to a new user.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx

from chargekeeper.config.fleet import Fleet
from chargekeeper.config.routing import CHANNELS, RoutingPolicy
from chargekeeper.routing import (
    OPERATIONS_COVERAGE,
    RoutingView,
    operations_contacts,
    recipients_for,
)

PROBE_TIMEOUT_S = 2.0


@dataclass(frozen=True)
class Link:
    """A banner line: its label and the addresses to try, the first that answers is shown."""

    label: str
    candidates: tuple[str, ...]
    note: str = ""


async def answering(client: httpx.AsyncClient, candidates: Sequence[str]) -> str | None:
    """The first of ``candidates`` that answers with a success (after redirects), or None."""
    for url in candidates:
        try:
            response = await client.get(url)
        except httpx.HTTPError:
            continue
        if response.is_success:
            return url
    return None


async def link_lines(links: Sequence[Link], probe_timeout: float = PROBE_TIMEOUT_S) -> list[str]:
    """``label  url note`` for every link that answers; the others are left out."""
    lines = []
    async with httpx.AsyncClient(timeout=probe_timeout, follow_redirects=True) as client:
        for link in links:
            url = await answering(client, link.candidates)
            if url is not None:
                lines.append(f"  {link.label:<22} {url}{' ' + link.note if link.note else ''}")
    return lines


def on_call_now(routing: RoutingPolicy | None, fleet: Fleet, at: datetime) -> str:
    """Who the routing policy tells at ``at``: each person, channels and the schedules in force.

    ``noc (email, always), bruno (SMS, night)``: a route without schedules is ``always``; a
    scheduled one names the schedules that contain ``at`` in the route's own time zone.
    """
    if routing is None:
        return "nobody (the config directory has no routing.yaml)"
    view = RoutingView.of(routing, fleet)
    channels: dict[str, set[str]] = {}
    when: dict[str, set[str]] = {}
    for route in view.plan:
        # The operations contacts hear of the stack's own health only: not on call for chargers.
        if route.coverage_id == OPERATIONS_COVERAGE or not view.active(route, at):
            continue
        active = [s for s in route.schedules if _schedule_active(view, route.timezone, s, at)]
        for person in recipients_for(route.receiver, routing):
            channels.setdefault(person.technician_id, set()).update(person.channels)
            when.setdefault(person.technician_id, set()).update(active or ["always"])
    if not channels:
        return "nobody at this hour (no coverage's schedule is in force)"
    return ", ".join(
        f"{person} ({'+'.join(_channel(c) for c in CHANNELS if c in channels[person])}, "
        f"{'/'.join(sorted(when[person]))})"
        for person in sorted(channels)
    )


def operations_line(routing: RoutingPolicy | None) -> str:
    """Who hears of the stack's own health (meta alerts, a missing Watchdog), on which channels."""
    contacts = operations_contacts(routing) if routing is not None else []
    if not contacts:
        return "nobody (name operations contacts in routing.yaml)"
    return ", ".join(
        f"{c.technician_id} ({'+'.join(_channel(ch) for ch in c.channels)})" for c in contacts
    )


def _schedule_active(view: RoutingView, zone: str, schedule: str, at: datetime) -> bool:
    local = at.astimezone(ZoneInfo(zone))
    return any(window.contains(local) for window in view.windows.get(schedule, ()))


def _channel(channel: str) -> str:
    return "SMS" if channel == "sms" else channel

"""The route plan: every Alertmanager route the policy makes, and who an alert reaches.

Everything Alertmanager needs is derived from one plan (:func:`route_plan`): the generated
``alertmanager.yml`` (:mod:`chargekeeper.routing.alertmanager_config`) renders it, and
:func:`who_is_told` evaluates it in Python for the console's preview, so the two cannot drift
apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from chargekeeper.config.fleet import Fleet
from chargekeeper.config.routing import Channel, Coverage, RoutingPolicy
from chargekeeper.routing.recipients import (
    DEAD_MANS_SWITCH_RECEIVER,
    OPERATIONS_RECEIVER,
    Recipient,
    merge_recipients,
    operations_contacts,
    receiver_name,
    recipients_for,
)
from chargekeeper.routing.schedule import Window, schedule_windows

# The always-firing heartbeat alert: it goes to the dead man's switch, never to people.
WATCHDOG_ALERT = "Watchdog"
# Chargekeeper's own health: the collector, Prometheus, Alertmanager, the receiver, delivery.
META_FAMILY = "fleet"
# The meta alerts that page (the Watchdog, 'info', never reaches the coverage routes).
META_SEVERITIES = ("critical", "warning")
# The operations route's coverage id: not a slug, so no coverage of the policy (and none of
# its escalation tiers) can share it.
OPERATIONS_COVERAGE = "operations contacts"


@dataclass(frozen=True)
class PlannedRoute:
    """One Alertmanager route: a recipient set for some sites, families and severities.

    ``sites`` empty means every site (and alerts without one). ``schedules`` empty means at all
    times; otherwise they are evaluated in ``timezone``, and ``mute_on_holidays`` mutes the
    route on the holidays of the policy.
    """

    receiver: str
    coverage_id: str
    sites: tuple[str, ...]
    families: tuple[str, ...]
    severities: tuple[str, ...]
    schedules: tuple[str, ...]
    timezone: str
    mute_on_holidays: bool


def _sites_by_zone(
    coverage: Coverage, fleet: Fleet, default_zone: str
) -> dict[str, tuple[str, ...]]:
    if not coverage.sites and not coverage.clients:
        return {default_zone: ()}
    wanted = [
        site for site in fleet.sites if site.id in coverage.sites or site.client in coverage.clients
    ]
    zones: dict[str, list[str]] = {}
    for site in wanted:
        zones.setdefault(site.timezone, []).append(site.id)
    return {zone: tuple(ids) for zone, ids in sorted(zones.items())}


def _recipient_sets(coverage: Coverage, channels: Sequence[Channel]) -> list[str]:
    return [receiver_name("tech", t, channels) for t in coverage.technicians] + [
        receiver_name("team", t, channels) for t in coverage.teams
    ]


def route_plan(routing: RoutingPolicy, fleet: Fleet) -> list[PlannedRoute]:
    """Every route of the generated configuration, in order (all with ``continue: true``)."""
    plan: list[PlannedRoute] = []
    for coverage in routing.coverage:
        schedules = [s for s in (routing.schedule(i) for i in coverage.schedules) if s is not None]
        # A route's holiday mute applies to all its intervals: schedules that are off on
        # holidays get their own route. No schedules at all: one route, always active.
        muted = tuple(s.id for s in schedules if s.holidays == "exclude")
        unmuted = tuple(s.id for s in schedules if s.holidays != "exclude")
        groups = [(ids, mute) for ids, mute in ((muted, True), (unmuted, False)) if ids]
        groups = groups or [((), False)]
        zones = _sites_by_zone(coverage, fleet, routing.timezone)
        for subscription in coverage.subscriptions:
            for receiver in _recipient_sets(coverage, subscription.channels):
                for zone, sites in zones.items():
                    for schedule_ids, mute in groups:
                        plan.append(
                            PlannedRoute(
                                receiver=receiver,
                                coverage_id=coverage.id,
                                sites=sites,
                                families=tuple(subscription.families),
                                severities=tuple(subscription.severities),
                                schedules=schedule_ids,
                                timezone=zone,
                                mute_on_holidays=mute,
                            )
                        )
    if operations_contacts(routing):
        plan.append(operations_route(routing))
    return plan


def operations_route(routing: RoutingPolicy) -> PlannedRoute:
    """Meta alerts to the operations contacts on every channel they have, at all times: the
    channel that is broken (SMTP down: "notifications failing" by email) must not be the only
    one that reports it."""
    return PlannedRoute(
        receiver=OPERATIONS_RECEIVER,
        coverage_id=OPERATIONS_COVERAGE,
        sites=(),
        families=(META_FAMILY,),
        severities=META_SEVERITIES,
        schedules=(),
        timezone=routing.timezone,
        mute_on_holidays=False,
    )


def _label_matches(value: str | None, allowed: Sequence[str]) -> bool:
    return not allowed or value in allowed


def route_matches(route: PlannedRoute, labels: dict[str, str]) -> bool:
    """The route's matchers alone (what ``amtool config routes test`` evaluates)."""
    if labels.get("alertname") == WATCHDOG_ALERT:
        return False
    return (
        _label_matches(labels.get("site"), route.sites)
        and _label_matches(labels.get("family"), route.families)
        and _label_matches(labels.get("severity"), route.severities)
    )


@dataclass(frozen=True)
class RoutingView:
    """A policy's route plan and schedule windows, computed once to answer many questions
    (a webhook storm, the console's preview, the coverage check)."""

    routing: RoutingPolicy
    plan: tuple[PlannedRoute, ...]
    windows: dict[str, tuple[Window, ...]]
    holidays: frozenset[date]

    @classmethod
    def of(cls, routing: RoutingPolicy, fleet: Fleet) -> RoutingView:
        return cls(
            routing=routing,
            plan=tuple(route_plan(routing, fleet)),
            windows={s.id: tuple(schedule_windows(s, routing.holidays)) for s in routing.schedules},
            holidays=frozenset(h.date for h in routing.holidays),
        )

    def active(self, route: PlannedRoute, at: datetime) -> bool:
        """Whether the route's time intervals let a notification out at ``at`` (aware)."""
        local = at.astimezone(ZoneInfo(route.timezone))
        if route.mute_on_holidays and local.date() in self.holidays:
            return False
        if not route.schedules:
            return True
        return any(
            window.contains(local)
            for schedule_id in route.schedules
            for window in self.windows.get(schedule_id, ())
        )

    def matching(self, labels: dict[str, str], at: datetime | None = None) -> list[PlannedRoute]:
        """The routes ``labels`` match, active at ``at`` when given."""
        matched = [route for route in self.plan if route_matches(route, labels)]
        if at is None:
            return matched
        at = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
        return [route for route in matched if self.active(route, at)]

    def receivers(self, labels: dict[str, str], at: datetime | None = None) -> list[str]:
        """See :func:`receivers_for`."""
        if labels.get("alertname") == WATCHDOG_ALERT:
            return [DEAD_MANS_SWITCH_RECEIVER]
        return [route.receiver for route in self.matching(labels, at)]

    def who_is_told(self, labels: dict[str, str], at: datetime) -> list[Recipient]:
        """See :func:`who_is_told`."""
        told: list[Recipient] = []
        for receiver in dict.fromkeys(self.receivers(labels, at)):
            told += recipients_for(receiver, self.routing)
        return merge_recipients(told)


def receivers_for(
    routing: RoutingPolicy, fleet: Fleet, labels: dict[str, str], at: datetime | None = None
) -> list[str]:
    """The receiver of every coverage route that ``labels`` match (active at ``at``, when
    given): who may be told, empty when no coverage covers the alert.

    One entry per route, in route order, as ``amtool config routes test`` lists them after
    ``record`` (the recording route, which every alert but the Watchdog matches and which tells
    nobody): a receiver appears twice when two of its routes match (office hours and weekend
    duty). Without ``at`` time intervals are not evaluated, like amtool. ``deadman`` for the
    Watchdog.
    """
    return RoutingView.of(routing, fleet).receivers(labels, at)


def who_is_told(
    routing: RoutingPolicy, fleet: Fleet, labels: dict[str, str], at: datetime
) -> list[Recipient]:
    """The people an alert with ``labels`` firing at ``at`` reaches, with their channels,
    one entry per technician sorted by id.

    Mirrors the generated ``alertmanager.yml``: same matchers, same time intervals. A naive
    ``at`` is taken as UTC.
    """
    return RoutingView.of(routing, fleet).who_is_told(labels, at)

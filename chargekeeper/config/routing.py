"""The routing policy: who is told about which alert, when, and on which channel (ARCHITECTURE 4.5).

``routing.yaml`` in the config directory names the technicians and teams, the on-call
schedules (evaluated in each site's time zone), the public holidays, and the coverage: which
sites or clients a set of people covers, during which schedules, for which alert families and
severities, on which channels, and who is told next when a critical alert stays unacknowledged.

Everything Alertmanager needs is derived from one plan (:func:`route_plan`): the generated
``alertmanager.yml`` (``alertmanager/amconfig.py``) renders it, and :func:`who_is_told`
evaluates it in Python for the console's preview, so the two cannot drift apart.

Each Alertmanager receiver is one recipient set on a set of channels, named
``tech:<technician>:<channels>`` or ``team:<team>:<channels>`` with channels ``email``,
``sms`` or ``both`` (:func:`receiver_name`). The webhook receiver turns the name it gets
back into people with :func:`recipients_for`. The names avoid regex metacharacters other
than the '.' a slug may hold, because Alertmanager regex-escapes the receiver name in the
webhook payload (``QuoteMeta``): ``tech:j.doe:sms`` arrives as ``tech:j\\.doe:sms``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Literal, get_args
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BeforeValidator, Field, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from chargekeeper.config.fleet import Fleet, Slug, Strict, TimeZone
from chargekeeper.config.loader import ConfigError, read_yaml, validation_problems
from chargekeeper.config.policy import Seconds

Channel = Literal["email", "sms"]
Family = Literal["disconnection", "error", "soc", "vendor_code", "energy", "fleet"]
AlertSeverity = Literal["critical", "warning", "info"]
HolidayRule = Literal["ignore", "exclude", "include"]

CHANNELS: tuple[Channel, ...] = get_args(Channel)
FAMILIES: tuple[Family, ...] = get_args(Family)
SEVERITIES: tuple[AlertSeverity, ...] = get_args(AlertSeverity)
DAY_MINUTES = 24 * 60
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

# Receivers that notify nobody: the Watchdog heartbeat, and alerts that no coverage matches
# (the receiver still records them so the console shows them).
DEAD_MANS_SWITCH_RECEIVER = "deadman"
UNROUTED_RECEIVER = "unrouted"
WATCHDOG_ALERT = "Watchdog"

_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
# Deliberately loose: the SMTP relay is the judge of an address; this catches typos such as
# a missing '@' or a space, not every RFC 5322 corner.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_LANGUAGE = re.compile(r"^[a-z]{2}$")
_TIME = re.compile(r"^([01][0-9]|2[0-4]):([0-5][0-9])$")
_RECEIVER = re.compile(r"^(tech|team):([^:]+):(email|sms|both)$")
# Undoes Go's regexp.QuoteMeta, which Alertmanager applies to the payload's receiver name.
_QUOTED_META = re.compile(r"\\(.)")


def _phone(value: str) -> str:
    if not _E164.match(value):
        raise ValueError(
            f"{value!r} is not an E.164 phone number: write '+' then the country code and "
            "number, without spaces (e.g. '+33612345678')"
        )
    return value


def _email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError(f"{value!r} is not an email address such as 'alice@example.com'")
    return value


def _language(value: str) -> str:
    if not _LANGUAGE.match(value):
        raise ValueError(f"{value!r} is not a language: use a two-letter code such as 'en', 'fr'")
    return value


def _channels(value: object) -> object:
    """``"both"``, ``"email"``, ``"sms"`` or a list of channels → a list of channels."""
    if value == "both":
        return list(CHANNELS)
    if isinstance(value, str):
        return [value]
    return value


def _ordered_channels(value: tuple[Channel, ...]) -> tuple[Channel, ...]:
    if not value:
        raise ValueError("name at least one channel: email, sms or both")
    return tuple(channel for channel in CHANNELS if channel in value)


def _minutes(value: str) -> int:
    match = _TIME.match(value)
    if not match or (match.group(1) == "24" and match.group(2) != "00"):
        raise ValueError(f"{value!r} is not a time of day: write HH:MM from 00:00 to 24:00")
    return int(match.group(1)) * 60 + int(match.group(2))


def _unquoted_time(value: object) -> object:
    # YAML 1.1 reads an unquoted 19:00 as the base-60 number 1140 (08:00 stays a string).
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError(
            "a time of day must be quoted: write '19:00' (YAML reads 19:00 unquoted as a number)"
        )
    return value


def _time_of_day(value: str) -> str:
    _minutes(value)
    return value


def _weekday_range(value: str) -> str:
    parts = value.lower().split(":")
    if len(parts) > 2 or any(part not in WEEKDAYS for part in parts):
        raise ValueError(
            f"{value!r} is not a weekday or range: write e.g. 'monday' or 'monday:friday'"
        )
    return value.lower()


Phone = Annotated[str, AfterValidator(_phone)]
Email = Annotated[str, AfterValidator(_email)]
Language = Annotated[str, AfterValidator(_language)]
Channels = Annotated[
    tuple[Channel, ...], BeforeValidator(_channels), AfterValidator(_ordered_channels)
]
TimeOfDay = Annotated[str, BeforeValidator(_unquoted_time), AfterValidator(_time_of_day)]
WeekdayRange = Annotated[str, AfterValidator(_weekday_range)]


class Technician(Strict):
    id: Slug
    name: str
    email: Email | None = None
    phone: Phone | None = None
    language: Language = "en"
    # The technician's own zone, for timestamps in messages; schedules follow the site's zone.
    timezone: TimeZone = "UTC"


class Team(Strict):
    id: Slug
    name: str = ""
    members: list[Slug] = Field(min_length=1)


class TimeRange(Strict):
    """A span of the day; ``end`` before ``start`` crosses midnight (a night shift)."""

    start: TimeOfDay
    end: TimeOfDay

    @model_validator(mode="after")
    def _not_empty(self) -> TimeRange:
        if _minutes(self.start) == DAY_MINUTES:
            raise ValueError("start 24:00 is the end of the day: start the range at 00:00")
        if _minutes(self.start) == _minutes(self.end):
            raise ValueError(f"start and end are both {self.start}: the range would be empty")
        return self


class Schedule(Strict):
    """When a coverage applies, in the time zone of the alert's site.

    ``holidays``: ``exclude`` (off on public holidays, e.g. the weekday day shift),
    ``include`` (also on at these times on every holiday, e.g. the weekend duty) or
    ``ignore`` (holidays change nothing, e.g. nights).
    """

    id: Slug
    description: str = ""
    weekdays: list[WeekdayRange] = Field(default_factory=lambda: ["monday:sunday"], min_length=1)
    times: list[TimeRange] = Field(
        default_factory=lambda: [TimeRange(start="00:00", end="24:00")], min_length=1
    )
    holidays: HolidayRule = "ignore"


class Holiday(Strict):
    date: date
    name: str = ""


def _paging_severities() -> list[AlertSeverity]:
    # 'info' (the Watchdog's severity) informs dashboards; nobody is woken for it by default.
    return ["critical", "warning"]


class Subscription(Strict):
    """Which alerts the people of a coverage are told about, and how. Empty means all."""

    families: list[Family] = Field(default_factory=list)
    severities: list[AlertSeverity] = Field(default_factory=_paging_severities)
    channels: Channels


class People(Strict):
    """Technicians and teams, named by id."""

    technicians: list[Slug] = Field(default_factory=list)
    teams: list[Slug] = Field(default_factory=list)


class EscalationTier(People):
    """Told when a critical alert is still unacknowledged ``after`` the previous tier was."""

    after: Seconds
    channels: Channels = ("email", "sms")


class Coverage(People):
    """A set of people covering some sites and/or clients (all of the fleet if neither)."""

    id: Slug
    sites: list[Slug] = Field(default_factory=list)
    clients: list[Slug] = Field(default_factory=list)
    # Omitted: at all times.
    schedules: list[Slug] = Field(default_factory=list)
    subscriptions: list[Subscription] = Field(min_length=1)
    escalation: list[EscalationTier] = Field(default_factory=list)


class Timing(Strict):
    """Alertmanager's notification timing (ARCHITECTURE 5: seconds of pipeline overhead)."""

    # One rule evaluation (5 s): alerts of one evaluation arrive together, and a whole site
    # going down is SiteOffline (which inhibits the per-charger alerts), so waiting longer only
    # delays the first message; bench.detect_latency measured a 12-15 s median at 10 s.
    group_wait: Seconds = 5
    # New alerts joining an already notified group (the rest of a site going down) are sent
    # as one update a minute later, not one message per charger.
    group_interval: Seconds = 60
    # A reminder for what is still firing; escalation, not repetition, handles urgency.
    repeat_interval: Seconds = 4 * 3600


class Watchdog(Strict):
    """The always-firing ``Watchdog`` alert goes to a dead man's switch, never to people."""

    # A heartbeat service (e.g. a healthchecks ping URL). Omitted: the Chargekeeper receiver
    # gets it under the receiver name 'deadman' and records the heartbeat.
    url: str | None = None
    # Must be shorter than the heartbeat service's timeout.
    repeat_interval: Seconds = 60


class RoutingPolicy(Strict):
    # Zone of schedules for fleet-wide coverage of alerts that have no site (collector down).
    timezone: TimeZone = "UTC"
    technicians: list[Technician] = Field(default_factory=list)
    teams: list[Team] = Field(default_factory=list)
    schedules: list[Schedule] = Field(default_factory=list)
    holidays: list[Holiday] = Field(default_factory=list)
    coverage: list[Coverage] = Field(default_factory=list)
    timing: Timing = Field(default_factory=Timing)
    watchdog: Watchdog = Field(default_factory=Watchdog)

    def technician(self, technician_id: str) -> Technician | None:
        return next((t for t in self.technicians if t.id == technician_id), None)

    def team(self, team_id: str) -> Team | None:
        return next((t for t in self.teams if t.id == team_id), None)

    def schedule(self, schedule_id: str) -> Schedule | None:
        return next((s for s in self.schedules if s.id == schedule_id), None)


# --- references --------------------------------------------------------------------------

Loc = tuple[int | str, ...]


def _duplicates(
    items: Sequence[Technician | Team | Schedule | Coverage], kind: str, at: str
) -> Iterable[tuple[Loc, str]]:
    seen: set[str] = set()
    for index, item in enumerate(items):
        if item.id in seen:
            yield (at, index, "id"), f"duplicate {kind} id {item.id!r}"
        seen.add(item.id)


def _unknown_people(routing: RoutingPolicy, people: People, loc: Loc) -> Iterable[tuple[Loc, str]]:
    tech_ids = {t.id for t in routing.technicians}
    for index, tech_id in enumerate(people.technicians):
        if tech_id not in tech_ids:
            yield (*loc, "technicians", index), f"unknown technician {tech_id!r}"
    for index, team_id in enumerate(people.teams):
        if routing.team(team_id) is None:
            yield (*loc, "teams", index), f"unknown team {team_id!r}"


def _unreachable(
    routing: RoutingPolicy, people: People, channels: Sequence[Channel], loc: Loc
) -> Iterable[tuple[Loc, str]]:
    for tech in _members(routing, people):
        if "email" in channels and tech.email is None:
            yield loc, f"technician {tech.id!r} has no email address but is to be told by email"
        if "sms" in channels and tech.phone is None:
            yield loc, f"technician {tech.id!r} has no phone number but is to be told by SMS"


def reference_problems(routing: RoutingPolicy, fleet: Fleet) -> list[tuple[Loc, str]]:
    """Every reference to an unknown site, client, technician, team or schedule, with its place."""
    problems: list[tuple[Loc, str]] = []
    problems += _duplicates(routing.technicians, "technician", "technicians")
    problems += _duplicates(routing.teams, "team", "teams")
    problems += _duplicates(routing.schedules, "schedule", "schedules")
    problems += _duplicates(routing.coverage, "coverage", "coverage")
    tech_ids = {t.id for t in routing.technicians}
    for t_index, team in enumerate(routing.teams):
        for m_index, member in enumerate(team.members):
            if member not in tech_ids:
                problems.append(
                    (("teams", t_index, "members", m_index), f"unknown technician {member!r}")
                )
    site_ids = {s.id for s in fleet.sites}
    client_ids = {c.id for c in fleet.clients}
    for c_index, cov in enumerate(routing.coverage):
        loc: Loc = ("coverage", c_index)
        if not cov.technicians and not cov.teams:
            problems.append((loc, "names nobody: add technicians or teams"))
        for index, site in enumerate(cov.sites):
            if site not in site_ids:
                problems.append(
                    ((*loc, "sites", index), f"unknown site {site!r} (not in the fleet file)")
                )
        for index, client in enumerate(cov.clients):
            if client not in client_ids:
                problems.append(
                    ((*loc, "clients", index), f"unknown client {client!r} (not in the fleet file)")
                )
        covered = [s for s in fleet.sites if s.id in cov.sites or s.client in cov.clients]
        if cov.clients and not covered:
            problems.append(((*loc, "clients"), "covers no site: these clients have no sites"))
        for index, schedule in enumerate(cov.schedules):
            if routing.schedule(schedule) is None:
                problems.append(((*loc, "schedules", index), f"unknown schedule {schedule!r}"))
        problems += _unknown_people(routing, cov, loc)
        for index, sub in enumerate(cov.subscriptions):
            sub_loc = (*loc, "subscriptions", index, "channels")
            problems += _unreachable(routing, cov, sub.channels, sub_loc)
        for index, tier in enumerate(cov.escalation):
            problems += _unknown_people(routing, tier, (*loc, "escalation", index))
            tier_loc = (*loc, "escalation", index, "channels")
            problems += _unreachable(routing, tier, tier.channels, tier_loc)
    return problems


def _as_validation_error(problems: Sequence[tuple[Loc, str]]) -> ValidationError:
    details = [
        InitErrorDetails(
            type=PydanticCustomError("reference", "{message}", {"message": message}),
            loc=loc,
            input=None,
        )
        for loc, message in problems
    ]
    return ValidationError.from_exception_data("RoutingPolicy", details)


def load_routing(path: Path, fleet: Fleet) -> RoutingPolicy:
    """Read ``path`` and check it against ``fleet``; raise ConfigError with file:line problems."""
    data, node = read_yaml(path)
    try:
        routing = RoutingPolicy.model_validate(data if data is not None else {})
    except ValidationError as exc:
        raise ConfigError(path, validation_problems(path, node, exc)) from None
    problems = reference_problems(routing, fleet)
    if problems:
        raise ConfigError(path, validation_problems(path, node, _as_validation_error(problems)))
    return routing


# --- recipients ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    """One technician and the channels to use for them."""

    technician_id: str
    name: str
    email: str | None
    phone: str | None
    language: str
    timezone: str
    channels: tuple[Channel, ...]


def _members(routing: RoutingPolicy, people: People) -> list[Technician]:
    """The technicians named directly or through a team, once each, in the order named."""
    ids: list[str] = list(people.technicians)
    for team_id in people.teams:
        team = routing.team(team_id)
        ids += team.members if team is not None else []
    found = (routing.technician(tech_id) for tech_id in dict.fromkeys(ids))
    return [tech for tech in found if tech is not None]


def _recipient(tech: Technician, channels: Sequence[Channel]) -> Recipient:
    return Recipient(
        technician_id=tech.id,
        name=tech.name,
        email=tech.email,
        phone=tech.phone,
        language=tech.language,
        timezone=tech.timezone,
        channels=tuple(channel for channel in CHANNELS if channel in channels),
    )


def receiver_name(kind: Literal["tech", "team"], ident: str, channels: Sequence[Channel]) -> str:
    """``tech:alice:sms``, ``team:rhone:both``: one Alertmanager receiver per recipient set."""
    wanted = [c for c in CHANNELS if c in channels]
    return f"{kind}:{ident}:{'both' if len(wanted) == len(CHANNELS) else wanted[0]}"


class UnknownReceiverError(ValueError):
    """A receiver name that this routing policy does not produce (stale or foreign config)."""


def recipients_for(receiver: str, routing: RoutingPolicy) -> list[Recipient]:
    """The people behind an Alertmanager receiver name, each with the channels to use.

    ``receiver`` may be the name as configured or as the webhook payload carries it
    (regex-escaped). ``deadman`` and ``unrouted`` notify nobody (empty list). A name that does
    not parse, or names a technician or team that the policy does not have, raises
    UnknownReceiverError.
    """
    receiver = _QUOTED_META.sub(r"\1", receiver)
    if receiver in (DEAD_MANS_SWITCH_RECEIVER, UNROUTED_RECEIVER):
        return []
    match = _RECEIVER.match(receiver)
    if match is None:
        raise UnknownReceiverError(f"{receiver!r} is not a Chargekeeper receiver name")
    kind, ident, channel_text = match.groups()
    channels = (
        list(CHANNELS) if channel_text == "both" else [c for c in CHANNELS if c == channel_text]
    )
    if kind == "tech":
        tech = routing.technician(ident)
        if tech is None:
            raise UnknownReceiverError(f"receiver {receiver!r}: no technician {ident!r}")
        return [_recipient(tech, channels)]
    team = routing.team(ident)
    if team is None:
        raise UnknownReceiverError(f"receiver {receiver!r}: no team {ident!r}")
    return [_recipient(t, channels) for t in _members(routing, People(teams=[ident]))]


def merge_recipients(recipients: Iterable[Recipient]) -> list[Recipient]:
    """One entry per technician with the union of their channels, sorted by technician id."""
    merged: dict[str, Recipient] = {}
    for r in recipients:
        previous = merged.get(r.technician_id)
        if previous is not None:
            channels = set(previous.channels) | set(r.channels)
            r = _recipient_with(previous, tuple(c for c in CHANNELS if c in channels))
        merged[r.technician_id] = r
    return [merged[key] for key in sorted(merged)]


def _recipient_with(r: Recipient, channels: tuple[Channel, ...]) -> Recipient:
    return Recipient(r.technician_id, r.name, r.email, r.phone, r.language, r.timezone, channels)


# --- schedules as windows ------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """Minutes [start, end) of the days given by weekday indexes (0 = Monday) or one date."""

    start: int
    end: int
    weekdays: frozenset[int] = frozenset()
    on_date: date | None = None

    def contains(self, local: datetime) -> bool:
        minute = local.hour * 60 + local.minute
        if not self.start <= minute < self.end:
            return False
        if self.on_date is not None:
            return local.date() == self.on_date
        return local.weekday() in self.weekdays


def weekday_indexes(ranges: Iterable[str]) -> frozenset[int]:
    days: set[int] = set()
    for text in ranges:
        first, _, last = text.partition(":")
        start = WEEKDAYS.index(first)
        stop = WEEKDAYS.index(last or first)
        span = (stop - start) % 7
        days.update((start + offset) % 7 for offset in range(span + 1))
    return frozenset(days)


def schedule_windows(schedule: Schedule, holidays: Sequence[Holiday]) -> list[Window]:
    """The schedule as plain windows; a range crossing midnight continues on the next day."""
    days = weekday_indexes(schedule.weekdays)
    windows: list[Window] = []
    holiday_dates = [h.date for h in holidays] if schedule.holidays == "include" else []
    for span in schedule.times:
        start, end = _minutes(span.start), _minutes(span.end)
        if start < end:
            windows.append(Window(start, end, weekdays=days))
            windows += [Window(start, end, on_date=day) for day in holiday_dates]
        else:
            windows.append(Window(start, DAY_MINUTES, weekdays=days))
            if end > 0:
                next_days = frozenset((day + 1) % 7 for day in days)
                windows.append(Window(0, end, weekdays=next_days))
            for day in holiday_dates:
                windows.append(Window(start, DAY_MINUTES, on_date=day))
                if end > 0:
                    windows.append(Window(0, end, on_date=day + timedelta(days=1)))
    return windows


# --- the route plan -------------------------------------------------------------------------


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
    return plan


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
        if not self.matching(labels):
            return [UNROUTED_RECEIVER]
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
    """The receiver of every route that ``labels`` match (active at ``at``, when given).

    One entry per route, in route order, as ``amtool config routes test`` lists them: a
    receiver appears twice when two of its routes match (office hours and weekend duty).
    Without ``at`` time intervals are not evaluated, like amtool. ``deadman`` for the
    Watchdog, ``unrouted`` when no route matches.
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


# --- coverage check ------------------------------------------------------------------------

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
    return gaps


# --- escalation --------------------------------------------------------------------------


@dataclass(frozen=True)
class EscalationStep:
    """Tell ``recipients`` when a critical alert is unacknowledged ``delay_seconds`` after the
    first notification (the sum of the tiers' delays up to this one)."""

    coverage_id: str
    tier: int
    delay_seconds: float
    recipients: tuple[Recipient, ...]


def escalation_for(
    routing: RoutingPolicy, fleet: Fleet, labels: dict[str, str], at: datetime
) -> list[EscalationStep]:
    """The escalation steps of every coverage that told someone about this critical alert."""
    if labels.get("severity") != "critical":
        return []
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    covering = dict.fromkeys(
        route.coverage_id for route in RoutingView.of(routing, fleet).matching(labels, at)
    )
    steps: list[EscalationStep] = []
    for coverage in routing.coverage:
        if coverage.id not in covering:
            continue
        delay = 0.0
        for index, tier in enumerate(coverage.escalation):
            delay += tier.after
            people = [_recipient(t, tier.channels) for t in _members(routing, tier)]
            steps.append(EscalationStep(coverage.id, index + 1, delay, tuple(people)))
    return sorted(steps, key=lambda step: (step.delay_seconds, step.coverage_id))

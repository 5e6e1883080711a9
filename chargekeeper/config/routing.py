"""The routing policy: who is told about which alert, when, and on which channel (ARCHITECTURE 4.5).

``routing.yaml`` in the config directory names the technicians and teams, the on-call
schedules (evaluated in each site's time zone), the public holidays, and the coverage: which
sites or clients a set of people covers, during which schedules, for which alert families and
severities, on which channels, and who is told next when a critical alert stays unacknowledged.

This module is the configuration: the model, its validation and :func:`load_routing`. What
the policy means (recipients, schedule windows, the Alertmanager route plan, who is told,
coverage gaps and escalation) is the routing domain, :mod:`chargekeeper.routing`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Annotated, Literal, get_args

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

_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
# Deliberately loose: the SMTP relay is the judge of an address; this catches typos such as
# a missing '@' or a space, not every RFC 5322 corner.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_LANGUAGE = re.compile(r"^[a-z]{2}$")
_TIME = re.compile(r"^([01][0-9]|2[0-4]):([0-5][0-9])$")


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


def minutes_of_day(value: str) -> int:
    """``"HH:MM"`` (00:00 to 24:00) → minutes since midnight; ValueError for anything else."""
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
    minutes_of_day(value)
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
        if minutes_of_day(self.start) == DAY_MINUTES:
            raise ValueError("start 24:00 is the end of the day: start the range at 00:00")
        if minutes_of_day(self.start) == minutes_of_day(self.end):
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
    # gets it under the receiver name 'deadman' and tells the operations contacts itself when
    # it stops arriving (receiver.yaml ``watchdog_timeout``, alertmanager/README.md).
    url: str | None = None
    # Must be comfortably shorter than the timeout of whoever expects the heartbeat
    # (``chargekeeper.routing.watchdog_timing_problem``).
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
    # Who hears of Chargekeeper's own health (family ``fleet``) on every channel they have, and
    # of a missing Watchdog straight from the receiver. Omitted: the people of the fleet-wide
    # coverages subscribed to family ``fleet`` (:meth:`operations_people`).
    operations: People | None = None

    def operations_people(self) -> People:
        """The operations contacts as named, or by default whoever covers the whole fleet
        (no sites, no clients) for family ``fleet``, at any severity or schedule."""
        if self.operations is not None:
            return self.operations
        technicians: list[str] = []
        teams: list[str] = []
        for cov in self.coverage:
            fleet_wide = not cov.sites and not cov.clients
            if fleet_wide and any(
                not s.families or "fleet" in s.families for s in cov.subscriptions
            ):
                technicians += cov.technicians
                teams += cov.teams
        return People(
            technicians=list(dict.fromkeys(technicians)), teams=list(dict.fromkeys(teams))
        )

    def technician(self, technician_id: str) -> Technician | None:
        return next((t for t in self.technicians if t.id == technician_id), None)

    def team(self, team_id: str) -> Team | None:
        return next((t for t in self.teams if t.id == team_id), None)

    def schedule(self, schedule_id: str) -> Schedule | None:
        return next((s for s in self.schedules if s.id == schedule_id), None)

    def members(self, people: People) -> list[Technician]:
        """The technicians named directly or through a team, once each, in the order named."""
        ids: list[str] = list(people.technicians)
        for team_id in people.teams:
            team = self.team(team_id)
            ids += team.members if team is not None else []
        found = (self.technician(tech_id) for tech_id in dict.fromkeys(ids))
        return [tech for tech in found if tech is not None]


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
    for tech in routing.members(people):
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
    if routing.operations is not None:
        problems += _unknown_people(routing, routing.operations, ("operations",))
        for tech in routing.members(routing.operations):
            if tech.email is None and tech.phone is None:
                problems.append(
                    (
                        ("operations",),
                        f"technician {tech.id!r} has neither email nor phone: an operations "
                        "contact must be reachable on at least one channel",
                    )
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

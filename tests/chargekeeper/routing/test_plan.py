"""The routing policy model: loading with file:line errors, recipients behind a receiver name,
and ``who_is_told`` against hand-worked cases (weekday, weekend, night, holidays, site zones)."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest

from chargekeeper.config.fleet import Fleet, load_fleet
from chargekeeper.config.loader import ConfigError
from chargekeeper.config.routing import (
    Recipient,
    RoutingPolicy,
    UnknownReceiverError,
    escalation_for,
    load_routing,
    receivers_for,
    recipients_for,
    who_is_told,
)

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo"


@pytest.fixture(scope="module")
def fleet() -> Fleet:
    return load_fleet(DEMO / "fleet.yaml")


@pytest.fixture(scope="module")
def demo(fleet: Fleet) -> RoutingPolicy:
    return load_routing(DEMO / "routing.yaml", fleet)


def _write(tmp_path: Path, text: str, name: str = "routing.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip())
    return path


def _told(recipients: list[Recipient]) -> dict[str, tuple[str, ...]]:
    return {r.technician_id: r.channels for r in recipients}


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


LYON_DOWN = {
    "alertname": "SiteOffline",
    "site": "lyon-part-dieu",
    "client": "retailco",
    "family": "disconnection",
    "severity": "critical",
}
LYON_FAULT_WARNING = {**LYON_DOWN, "alertname": "ChargerFaulted", "family": "error"}
LYON_FAULT_WARNING["severity"] = "warning"
GENEVA_FAULT_WARNING = {**LYON_FAULT_WARNING, "site": "geneva-depot", "client": "transitco"}


# 2026-11-25 is a Wednesday; Paris and Zurich are UTC+1 in November.
@pytest.mark.parametrize(
    ("labels", "at", "expected"),
    [
        # Wednesday 11:00 in Paris: office hours, the Rhône team on both channels.
        (
            LYON_DOWN,
            "2026-11-25T10:00",
            {"alice": ("email", "sms"), "bruno": ("email", "sms"), "noc": ("email",)},
        ),
        # 18:59 is still office hours, 19:00 is the night shift (end is exclusive).
        (
            LYON_DOWN,
            "2026-11-25T17:59",
            {"alice": ("email", "sms"), "bruno": ("email", "sms"), "noc": ("email",)},
        ),
        (LYON_DOWN, "2026-11-25T18:00", {"bruno": ("sms",), "noc": ("email",)}),
        # 03:00 on Thursday: the night shift that began on Wednesday.
        (LYON_DOWN, "2026-11-26T02:00", {"bruno": ("sms",), "noc": ("email",)}),
        # Saturday 11:00: weekend duty.
        (LYON_DOWN, "2026-11-28T10:00", {"bruno": ("sms",), "noc": ("email",)}),
        # Christmas is a Friday: office hours are off, weekend duty covers the holiday.
        (LYON_DOWN, "2026-12-25T10:00", {"bruno": ("sms",), "noc": ("email",)}),
        # A warning in office hours: the team by email; at the weekend nobody is woken.
        (LYON_FAULT_WARNING, "2026-11-25T10:00", {"alice": ("email",), "bruno": ("email",)}),
        (LYON_FAULT_WARNING, "2026-11-28T10:00", {}),
        # Geneva at 08:30 Zurich time: the northern team by email and the depot's engineer.
        (
            GENEVA_FAULT_WARNING,
            "2026-11-25T07:30",
            {"chloe": ("email",), "dan": ("email",), "eva": ("sms",)},
        ),
        # 07:30 Zurich time: only the depot's engineer, who covers it at all hours.
        (GENEVA_FAULT_WARNING, "2026-11-25T06:30", {"eva": ("sms",)}),
        # Chargekeeper's own health has no site: the fleet-wide coverage only.
        (
            {"alertname": "ChargekeeperCollectorDown", "family": "fleet", "severity": "critical"},
            "2026-11-28T03:00",
            {"noc": ("email",)},
        ),
        # The Watchdog never reaches people.
        ({"alertname": "Watchdog", "family": "fleet", "severity": "info"}, "2026-11-25T10:00", {}),
    ],
)
def test_who_is_told_follows_the_schedules_in_the_sites_zone(
    demo: RoutingPolicy,
    fleet: Fleet,
    labels: dict[str, str],
    at: str,
    expected: dict[str, tuple[str, ...]],
) -> None:
    assert _told(who_is_told(demo, fleet, labels, _utc(at))) == expected


def test_recipients_carry_everything_the_receiver_needs(demo: RoutingPolicy) -> None:
    assert recipients_for("team:north:both", demo) == [
        Recipient(
            technician_id="chloe",
            name="Chloé Roux",
            email="chloe@chargekeeper.example",
            phone="+33612345003",
            language="fr",
            timezone="Europe/Paris",
            channels=("email", "sms"),
        ),
        Recipient(
            technician_id="dan",
            name="Dan Peeters",
            email="dan@chargekeeper.example",
            phone="+32470123004",
            language="en",
            timezone="Europe/Brussels",
            channels=("email", "sms"),
        ),
    ]
    [eva] = recipients_for("tech:eva:sms", demo)
    assert (eva.technician_id, eva.phone, eva.channels) == ("eva", "+41791234005", ("sms",))
    assert recipients_for("deadman", demo) == []
    assert recipients_for("unrouted", demo) == []


@pytest.mark.parametrize(
    "name", ["tech:zed:sms", "team:south:email", "tech:alice:fax", "console-only", "tech:alice"]
)
def test_a_receiver_name_the_policy_does_not_produce_is_refused(
    demo: RoutingPolicy, name: str
) -> None:
    with pytest.raises(UnknownReceiverError, match="receiver"):
        recipients_for(name, demo)


def test_every_generated_receiver_resolves_to_people(demo: RoutingPolicy, fleet: Fleet) -> None:
    names = {
        name
        for labels in (LYON_DOWN, LYON_FAULT_WARNING, GENEVA_FAULT_WARNING)
        for name in receivers_for(demo, fleet, labels)
    }
    assert names == {
        "team:rhone:both",
        "team:rhone:email",
        "tech:bruno:sms",
        "tech:noc:email",
        "team:north:email",
        "tech:eva:sms",
    }
    assert all(recipients_for(name, demo) for name in names)


def test_unmatched_alerts_go_to_the_unrouted_receiver(demo: RoutingPolicy, fleet: Fleet) -> None:
    labels = {**LYON_FAULT_WARNING, "site": "unknown", "client": ""}
    assert receivers_for(demo, fleet, labels) == ["unrouted"]
    assert who_is_told(demo, fleet, labels, _utc("2026-11-25T10:00")) == []


def test_escalation_tiers_add_up_their_delays(demo: RoutingPolicy, fleet: Fleet) -> None:
    steps = escalation_for(demo, fleet, LYON_DOWN, _utc("2026-11-25T10:00"))
    assert [(s.coverage_id, s.tier, s.delay_seconds) for s in steps] == [
        ("rhone-office-hours", 1, 900),
        ("rhone-office-hours", 2, 2700),
    ]
    assert _told(list(steps[0].recipients)) == {"chloe": ("sms",)}
    assert _told(list(steps[1].recipients)) == {"noc": ("email",)}
    night = escalation_for(demo, fleet, LYON_DOWN, _utc("2026-11-25T22:00"))
    assert [(s.coverage_id, s.delay_seconds) for s in night] == [("rhone-out-of-hours", 1200)]
    assert escalation_for(demo, fleet, LYON_FAULT_WARNING, _utc("2026-11-25T10:00")) == []


ZONES_FLEET = """
clients: [{id: acme}]
sites:
  - {id: tokyo, client: acme, timezone: Asia/Tokyo}
  - {id: paris, client: acme, timezone: Europe/Paris}
"""

ZONES_ROUTING = """
technicians:
  - {id: kim, name: Kim, phone: "+81312345678"}
schedules:
  - {id: office, weekdays: ["monday:friday"], times: [{start: "08:00", end: "19:00"}]}
  - id: weeknights
    weekdays: ["monday:friday"]
    times: [{start: "19:00", end: "07:30"}]
coverage:
  - id: office
    clients: [acme]
    technicians: [kim]
    schedules: [office]
    subscriptions: [{severities: [critical], channels: sms}]
  - id: weeknights
    sites: [paris]
    technicians: [kim]
    schedules: [weeknights]
    subscriptions: [{families: [error], severities: [critical], channels: sms}]
"""


@pytest.mark.parametrize(
    ("site", "family", "at", "told"),
    [
        # 00:30 UTC on Wednesday is 09:30 in Tokyo (office) and 01:30 in Paris (night).
        ("tokyo", "energy", "2026-11-25T00:30", True),
        ("paris", "energy", "2026-11-25T00:30", False),
        ("paris", "error", "2026-11-25T00:30", True),
        # Saturday 06:00 in Paris (05:00 UTC) is the end of Friday's night shift...
        ("paris", "error", "2026-11-28T05:00", True),
        # ... 07:30 is its end (exclusive), and Saturday evening has no shift at all.
        ("paris", "error", "2026-11-28T06:30", False),
        ("paris", "error", "2026-11-28T19:00", False),
        # Monday 06:00 in Paris follows Sunday evening, which no shift starts.
        ("paris", "error", "2026-11-30T05:00", False),
        # Friday 18:00 UTC is Saturday 03:00 in Tokyo: no office there.
        ("tokyo", "error", "2026-11-27T18:00", False),
    ],
)
def test_schedules_use_each_sites_time_zone_and_cross_midnight(
    tmp_path: Path, site: str, family: str, at: str, told: bool
) -> None:
    fleet = load_fleet(_write(tmp_path, ZONES_FLEET, "fleet.yaml"))
    routing = load_routing(_write(tmp_path, ZONES_ROUTING), fleet)
    labels = {"site": site, "client": "acme", "family": family, "severity": "critical"}
    assert bool(who_is_told(routing, fleet, labels, _utc(at))) is told


def test_an_invalid_policy_lists_every_problem_with_its_line(tmp_path: Path, fleet: Fleet) -> None:
    path = _write(
        tmp_path,
        """
        technicians:
          - {id: alice, name: Alice, email: alice@example.com}
          - {id: bob, name: Bob, email: bob@example.com}
        teams:
          - {id: rhone, members: [alice, carol]}
        schedules:
          - {id: day}
        coverage:
          - id: c1
            sites: [lyon-part-dieu, lyon-2]
            clients: [retailco, nobody]
            teams: [rhone]
            technicians: [bob, zed]
            schedules: [dya]
            subscriptions:
              - {channels: sms}
            escalation:
              - {after: 10m, teams: [north]}
        """,
    )
    with pytest.raises(ConfigError) as caught:
        load_routing(path, fleet)
    assert caught.value.problems == [
        f"{path}:5: teams[0].members[1]: unknown technician 'carol'",
        f"{path}:10: coverage[0].sites[1]: unknown site 'lyon-2' (not in the fleet file)",
        f"{path}:11: coverage[0].clients[1]: unknown client 'nobody' (not in the fleet file)",
        f"{path}:14: coverage[0].schedules[0]: unknown schedule 'dya'",
        f"{path}:13: coverage[0].technicians[1]: unknown technician 'zed'",
        f"{path}:16: coverage[0].subscriptions[0].channels: technician 'bob' has no phone "
        "number but is to be told by SMS",
        f"{path}:16: coverage[0].subscriptions[0].channels: technician 'alice' has no phone "
        "number but is to be told by SMS",
        f"{path}:18: coverage[0].escalation[0].teams[0]: unknown team 'north'",
    ]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            "technicians: [{id: a, name: A, phone: '0612345678'}]",
            ":1: technicians[0].phone: '0612345678' is not an E.164 phone number",
        ),
        (
            "technicians: [{id: a, name: A, email: 'a at example.com'}]",
            ":1: technicians[0].email: 'a at example.com' is not an email address",
        ),
        (
            "technicians: [{id: a, name: A, language: french}]",
            ":1: technicians[0].language: 'french' is not a language",
        ),
        (
            "technicians: [{id: a, name: A, timezone: Europe/Lyon}]",
            ":1: technicians[0].timezone: unknown time zone 'Europe/Lyon'",
        ),
        (
            "schedules:\n  - {id: s, times: [{start: '08:00', end: '25:00'}]}",
            ":2: schedules[0].times[0].end: '25:00' is not a time of day",
        ),
        (
            "schedules:\n  - {id: s, weekdays: [mon]}",
            ":2: schedules[0].weekdays[0]: 'mon' is not a weekday or range",
        ),
        (
            "schedules:\n  - {id: s, times: [{start: '08:00', end: '08:00'}]}",
            ":2: schedules[0].times[0]: start and end are both 08:00",
        ),
        (
            "coverage:\n  - {id: c, technicians: [a], subscriptions: [{channels: fax}]}",
            ":2: coverage[0].subscriptions[0].channels[0]: Input should be 'email' or 'sms'",
        ),
        (
            "coverage:\n  - {id: c, technicians: [a], subscriptions: []}",
            ":2: coverage[0].subscriptions: List should have at least 1 item",
        ),
        (
            "schedules:\n  - {id: s, times: [{start: 19:00, end: '08:00'}]}",
            ":2: schedules[0].times[0].start: a time of day must be quoted: write '19:00'",
        ),
        (
            "schedules:\n  - {id: s, times: [{start: '24:00', end: '08:00'}]}",
            ":2: schedules[0].times[0]: start 24:00 is the end of the day",
        ),
        (
            "schedules:\n  - {id: s, weekdays: []}",
            ":2: schedules[0].weekdays: List should have at least 1 item",
        ),
        ("tecnicians: []", ":1: tecnicians: Extra inputs are not permitted"),
    ],
)
def test_a_malformed_value_is_reported_where_it_is(
    tmp_path: Path, fleet: Fleet, text: str, problem: str
) -> None:
    path = _write(tmp_path, text + "\n")
    with pytest.raises(ConfigError) as caught:
        load_routing(path, fleet)
    assert any(p.startswith(f"{path}{problem}") for p in caught.value.problems), (
        caught.value.problems
    )


def test_channels_accept_both_and_keep_a_fixed_order(tmp_path: Path, fleet: Fleet) -> None:
    path = _write(
        tmp_path,
        """
        technicians: [{id: a, name: A, email: a@example.com, phone: "+33612345678"}]
        coverage:
          - {id: c1, technicians: [a], subscriptions: [{channels: both}]}
          - {id: c2, technicians: [a], subscriptions: [{channels: [sms, email]}]}
        """,
    )
    routing = load_routing(path, fleet)
    assert [c.subscriptions[0].channels for c in routing.coverage] == [
        ("email", "sms"),
        ("email", "sms"),
    ]
    # One receiver per recipient set and channels, listed once per route that reaches it.
    assert receivers_for(routing, fleet, {"severity": "critical"}) == ["tech:a:both"] * 2


def test_a_coverage_of_clients_without_sites_is_an_error(tmp_path: Path) -> None:
    fleet = load_fleet(_write(tmp_path, "clients: [{id: acme}, {id: newco}]\n", "fleet.yaml"))
    path = _write(
        tmp_path,
        """
        technicians: [{id: a, name: A, email: a@example.com}]
        coverage:
          - {id: c, clients: [newco], technicians: [a], subscriptions: [{channels: email}]}
        """,
    )
    with pytest.raises(ConfigError) as caught:
        load_routing(path, fleet)
    assert caught.value.problems == [
        f"{path}:3: coverage[0].clients: covers no site: these clients have no sites"
    ]

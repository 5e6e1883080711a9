"""Loading routing.yaml: every problem reported with its file and line, references to the fleet
and within the policy checked, channels normalised."""

from __future__ import annotations

from pathlib import Path

import pytest

from chargekeeper.config.fleet import Fleet, load_fleet
from chargekeeper.config.loader import ConfigError
from chargekeeper.config.routing import load_routing
from chargekeeper.routing import receivers_for
from tests.chargekeeper.routing.routing_support import write


def test_an_invalid_policy_lists_every_problem_with_its_line(tmp_path: Path, fleet: Fleet) -> None:
    path = write(
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
    path = write(tmp_path, text + "\n")
    with pytest.raises(ConfigError) as caught:
        load_routing(path, fleet)
    assert any(p.startswith(f"{path}{problem}") for p in caught.value.problems), (
        caught.value.problems
    )


def test_channels_accept_both_and_keep_a_fixed_order(tmp_path: Path, fleet: Fleet) -> None:
    path = write(
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
    fleet = load_fleet(write(tmp_path, "clients: [{id: acme}, {id: newco}]\n", "fleet.yaml"))
    path = write(
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


def test_operations_contacts_must_exist_and_be_reachable(tmp_path: Path, fleet: Fleet) -> None:
    path = write(
        tmp_path,
        """
        technicians:
          - {id: alice, name: Alice, email: alice@example.com}
          - {id: ghost, name: No address}
        operations:
          technicians: [alice, ghost, zed]
          teams: [nobody]
        """,
    )
    with pytest.raises(ConfigError) as caught:
        load_routing(path, fleet)
    assert caught.value.problems == [
        f"{path}:5: operations.technicians[2]: unknown technician 'zed'",
        f"{path}:6: operations.teams[0]: unknown team 'nobody'",
        f"{path}:5: operations: technician 'ghost' has neither email nor phone: an operations "
        "contact must be reachable on at least one channel",
    ]

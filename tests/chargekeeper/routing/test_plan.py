"""The route plan evaluated in Python: ``who_is_told`` against hand-worked cases (weekday,
weekend, night, holidays, site zones), and the receivers ``receivers_for`` lists."""

from __future__ import annotations

import pytest

from chargekeeper.config.fleet import Fleet
from chargekeeper.config.routing import RoutingPolicy
from chargekeeper.routing import receivers_for, recipients_for, who_is_told
from tests.chargekeeper.routing.routing_support import (
    GENEVA_FAULT_WARNING,
    LYON_DOWN,
    LYON_FAULT_WARNING,
    told,
    utc,
)


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
        # A warning in office hours: the team by email; at the weekend nobody is woken, the
        # desk reads it (it reads every warning and critical alert at any hour).
        (
            LYON_FAULT_WARNING,
            "2026-11-25T10:00",
            {"alice": ("email",), "bruno": ("email",), "noc": ("email",)},
        ),
        (LYON_FAULT_WARNING, "2026-11-28T10:00", {"noc": ("email",)}),
        # Geneva at 08:30 Zurich time: the northern team by email and the depot's engineer.
        (
            GENEVA_FAULT_WARNING,
            "2026-11-25T07:30",
            {"chloe": ("email",), "dan": ("email",), "eva": ("sms",), "noc": ("email",)},
        ),
        # 07:30 Zurich time: the depot's engineer and the desk, who cover it at all hours.
        (GENEVA_FAULT_WARNING, "2026-11-25T06:30", {"eva": ("sms",), "noc": ("email",)}),
        # Chargekeeper's own health has no site: the fleet-wide coverage, and the operations
        # contacts on every channel they have (the desk has no phone, Alice has).
        (
            {"alertname": "ChargekeeperCollectorDown", "family": "fleet", "severity": "critical"},
            "2026-11-28T03:00",
            {"noc": ("email",), "alice": ("email", "sms")},
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
    assert told(who_is_told(demo, fleet, labels, utc(at))) == expected


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


def test_an_alert_no_coverage_matches_has_no_receiver(demo: RoutingPolicy, fleet: Fleet) -> None:
    # An info alert at an unknown site: no subscription takes info (the desk reads warnings
    # and critical alerts) and no coverage names the site. Only the recording route, which
    # receivers_for leaves out, takes it.
    labels = {**LYON_FAULT_WARNING, "site": "unknown", "client": "", "severity": "info"}
    assert receivers_for(demo, fleet, labels) == []
    assert who_is_told(demo, fleet, labels, utc("2026-11-25T10:00")) == []

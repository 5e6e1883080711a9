"""Escalation: the tiers of the coverages that routed a critical alert, their delays added up."""

from __future__ import annotations

from chargekeeper.config.fleet import Fleet
from chargekeeper.config.routing import RoutingPolicy
from chargekeeper.routing import escalation_for
from tests.chargekeeper.routing.routing_support import LYON_DOWN, LYON_FAULT_WARNING, told, utc


def test_escalation_tiers_add_up_their_delays(demo: RoutingPolicy, fleet: Fleet) -> None:
    steps = escalation_for(demo, fleet, LYON_DOWN, utc("2026-11-25T10:00"))
    assert [(s.coverage_id, s.tier, s.delay_seconds) for s in steps] == [
        ("rhone-office-hours", 1, 900),
        ("rhone-office-hours", 2, 2700),
    ]
    assert told(list(steps[0].recipients)) == {"chloe": ("sms",)}
    assert told(list(steps[1].recipients)) == {"noc": ("email",)}
    night = escalation_for(demo, fleet, LYON_DOWN, utc("2026-11-25T22:00"))
    assert [(s.coverage_id, s.delay_seconds) for s in night] == [("rhone-out-of-hours", 1200)]
    assert escalation_for(demo, fleet, LYON_FAULT_WARNING, utc("2026-11-25T10:00")) == []

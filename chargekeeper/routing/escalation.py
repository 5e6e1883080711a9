"""Escalation: who is told next, and when, about a critical alert nobody acknowledged.

The coverages that routed the alert name their tiers in ``routing.yaml``; the receiver's
escalator tells each tier once its delay has passed since the first notification.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from chargekeeper.config.fleet import Fleet
from chargekeeper.config.routing import RoutingPolicy
from chargekeeper.routing.plan import RoutingView
from chargekeeper.routing.recipients import Recipient, recipient_of


@dataclass(frozen=True)
class EscalationStep:
    """Tell ``recipients`` when a critical alert is unacknowledged ``delay_seconds`` after the
    first notification (the sum of the tiers' delays up to this one).

    The receiver's escalator reads ``tier``, ``delay_seconds`` and ``recipients``.
    """

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
            people = [recipient_of(t, tier.channels) for t in routing.members(tier)]
            steps.append(EscalationStep(coverage.id, index + 1, delay, tuple(people)))
    return sorted(steps, key=lambda step: (step.delay_seconds, step.coverage_id))

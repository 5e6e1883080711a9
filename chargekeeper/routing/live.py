"""The routing policy in force, and the two questions the receiver asks it: who a receiver
name reaches, and which escalation tiers cover an alert."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from chargekeeper.config.fleet import Fleet
from chargekeeper.config.routing import RoutingPolicy
from chargekeeper.routing.escalation import EscalationStep, escalation_for
from chargekeeper.routing.recipients import Recipient, UnknownReceiverError, recipients_for

log = logging.getLogger(__name__)


class LiveRouting:
    """The routing policy in force, shared by the receiver, escalation and the console.

    The console's Routing editor calls :meth:`replace` once Alertmanager runs the new
    configuration, so the next webhook, escalation run and preview use the new policy without
    a restart. Readers take :attr:`current` once per question: swapping one reference is
    atomic, so a reader sees the old policy or the new one, never a mix.
    """

    def __init__(self, routing: RoutingPolicy) -> None:
        self._routing = routing

    @property
    def current(self) -> RoutingPolicy:
        return self._routing

    def replace(self, routing: RoutingPolicy) -> None:
        self._routing = routing


def _live(routing: RoutingPolicy | LiveRouting) -> LiveRouting:
    return routing if isinstance(routing, LiveRouting) else LiveRouting(routing)


# Alertmanager receiver name -> who it notifies. The CLI builds it from the routing policy.
RecipientResolver = Callable[[str], Sequence[Recipient]]

# (alert labels, when it was first notified) -> the tiers that cover it, in order.
EscalationPlan = Callable[[Mapping[str, str], datetime], Sequence[EscalationStep]]


def routing_resolver(routing: RoutingPolicy | LiveRouting) -> RecipientResolver:
    """Resolve receiver names with the routing policy (``recipients_for``), the live one's
    current version when given a :class:`LiveRouting`.

    A name the policy does not know (a stale ``alertmanager.yml``) notifies nobody and is
    logged: the alerts are stored all the same, so the console still shows them.
    """

    live = _live(routing)

    def resolve(receiver: str) -> list[Recipient]:
        try:
            return recipients_for(receiver, live.current)
        except UnknownReceiverError as exc:
            log.error("cannot notify: %s (regenerate alertmanager.yml?)", exc)
            return []

    return resolve


def routing_escalation(routing: RoutingPolicy | LiveRouting, fleet: Fleet) -> EscalationPlan:
    """The escalation tiers of the coverages that route an alert (``escalation_for``), read
    from the live policy at every call when given a :class:`LiveRouting`."""
    live = _live(routing)

    def plan(labels: Mapping[str, str], at: datetime) -> list[EscalationStep]:
        return escalation_for(live.current, fleet, dict(labels), at)

    return plan

"""Who a message goes to, as the pipeline needs it (the routing policy maps onto this)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from chargekeeper.config.fleet import Fleet
from chargekeeper.config.routing import (
    Recipient,
    RoutingPolicy,
    UnknownReceiverError,
    escalation_for,
    recipients_for,
)

log = logging.getLogger(__name__)

CHANNELS = ("email", "sms")


@dataclass(frozen=True)
class Addressee:
    """A technician with the channels a receiver should reach them on."""

    id: str
    name: str
    language: str
    timezone: str
    channels: tuple[str, ...]
    email: str | None = None
    phone: str | None = None

    def address(self, channel: str) -> str | None:
        """The address on ``channel``, or None when the technician has none there."""
        return self.email if channel == "email" else self.phone if channel == "sms" else None

    def other_channel(self, channel: str) -> str | None:
        """The other channel to fail over to, when the technician has an address there."""
        other = "sms" if channel == "email" else "email"
        return other if self.address(other) else None


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
RecipientResolver = Callable[[str], Sequence[Addressee]]


@dataclass(frozen=True)
class EscalationTier:
    """Who is told when a critical alert is unacknowledged ``delay_seconds`` after the first
    message about it."""

    tier: int
    delay_seconds: float
    recipients: Sequence[Addressee]


# (alert labels, when it was first notified) -> the tiers that cover it, in order.
EscalationPlan = Callable[[Mapping[str, str], datetime], Sequence[EscalationTier]]


def routing_resolver(routing: RoutingPolicy | LiveRouting) -> RecipientResolver:
    """Resolve receiver names with the routing policy (``recipients_for``), the live one's
    current version when given a :class:`LiveRouting`.

    A name the policy does not know (a stale ``alertmanager.yml``) notifies nobody and is
    logged: the alerts are stored all the same, so the console still shows them.
    """

    live = _live(routing)

    def resolve(receiver: str) -> list[Addressee]:
        try:
            recipients = recipients_for(receiver, live.current)
        except UnknownReceiverError as exc:
            log.error("cannot notify: %s (regenerate alertmanager.yml?)", exc)
            return []
        return [_addressee(r) for r in recipients]

    return resolve


def routing_escalation(routing: RoutingPolicy | LiveRouting, fleet: Fleet) -> EscalationPlan:
    """The escalation tiers of the coverages that route an alert (``escalation_for``), read
    from the live policy at every call when given a :class:`LiveRouting`."""
    live = _live(routing)

    def plan(labels: Mapping[str, str], at: datetime) -> list[EscalationTier]:
        steps = escalation_for(live.current, fleet, dict(labels), at)
        return [
            EscalationTier(
                tier=step.tier,
                delay_seconds=step.delay_seconds,
                recipients=[_addressee(r) for r in step.recipients],
            )
            for step in steps
        ]

    return plan


def _addressee(r: Recipient) -> Addressee:
    return Addressee(
        id=r.technician_id,
        name=r.name,
        language=r.language,
        timezone=r.timezone,
        channels=tuple(r.channels),
        email=r.email,
        phone=r.phone,
    )

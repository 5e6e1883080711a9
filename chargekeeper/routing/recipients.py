"""Recipients: the people behind an Alertmanager receiver name, with the channels to use.

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
from typing import Literal

from chargekeeper.config.routing import CHANNELS, Channel, People, RoutingPolicy, Technician

# Receivers that notify nobody; the receiver stores what they bring all the same.
# The Watchdog heartbeat:
DEAD_MANS_SWITCH_RECEIVER = "deadman"
# The recording route: every alert but the Watchdog, never muted, so the store (and the
# console) holds every firing alert whether or not a coverage is on duty for it.
RECORD_RECEIVER = "record"
# Configurations rendered before the recording route sent alerts that no coverage matched here;
# the name stays known so that webhooks stored (or still retried) under it are read as before.
UNROUTED_RECEIVER = "unrouted"
NOBODY_RECEIVERS = frozenset({DEAD_MANS_SWITCH_RECEIVER, RECORD_RECEIVER, UNROUTED_RECEIVER})
# Chargekeeper's own health (family ``fleet``) and the receiver's missing-Watchdog notice: the
# operations contacts, each on every channel they have an address on, so a dead SMTP relay is
# still reported by SMS and a dead SMS provider by email.
OPERATIONS_RECEIVER = "operations"

_RECEIVER = re.compile(r"^(tech|team):([^:]+):(email|sms|both)$")
# Undoes Go's regexp.QuoteMeta, which Alertmanager applies to the payload's receiver name.
_QUOTED_META = re.compile(r"\\(.)")


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

    def address(self, channel: str) -> str | None:
        """The address on ``channel``, or None when the technician has none there."""
        return self.email if channel == "email" else self.phone if channel == "sms" else None

    def other_channel(self, channel: str) -> str | None:
        """The other channel to fail over to, when the technician has an address there."""
        other = "sms" if channel == "email" else "email"
        return other if self.address(other) else None


def recipient_of(technician: Technician, channels: Sequence[Channel]) -> Recipient:
    """``technician`` to be told on ``channels`` (kept in the fixed order email, sms)."""
    return Recipient(
        technician_id=technician.id,
        name=technician.name,
        email=technician.email,
        phone=technician.phone,
        language=technician.language,
        timezone=technician.timezone,
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
    (regex-escaped). ``deadman``, ``record`` and the legacy ``unrouted`` notify nobody (empty
    list). A name that does not parse, or names a technician or team that the policy does not
    have, raises UnknownReceiverError.
    """
    receiver = _QUOTED_META.sub(r"\1", receiver)
    if receiver in NOBODY_RECEIVERS:
        return []
    if receiver == OPERATIONS_RECEIVER:
        return operations_contacts(routing)
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
        return [recipient_of(tech, channels)]
    team = routing.team(ident)
    if team is None:
        raise UnknownReceiverError(f"receiver {receiver!r}: no team {ident!r}")
    return [recipient_of(t, channels) for t in routing.members(People(teams=[ident]))]


def operations_contacts(routing: RoutingPolicy) -> list[Recipient]:
    """The operations contacts (``RoutingPolicy.operations_people``), each on every channel
    they have an address on; empty when the policy names none."""
    contacts = []
    for tech in routing.members(routing.operations_people()):
        channels = [c for c in CHANNELS if (tech.email if c == "email" else tech.phone)]
        if channels:
            contacts.append(recipient_of(tech, channels))
    return contacts


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

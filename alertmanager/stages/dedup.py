"""The one idempotency decision of the receiver.

Alertmanager delivers at least once, retries a webhook whose answer it did not see, repeats a
group every ``repeat_interval``, and an HA pair sends each group twice. The rule: **an alert
state — (fingerprint, status, startsAt) — is told to a recipient on a channel once.** A webhook
therefore produces, per recipient and channel, one message about the alert states that
recipient has not been told yet, or no message at all. The store enforces the same rule with a
unique constraint (``chargekeeper.store.NotifiedAlertState``), so even a race cannot break it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Set
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, order=True)
class AlertState:
    """What makes an alert notification distinct."""

    fingerprint: str
    status: str
    starts_at: datetime


def states_to_tell(states: Iterable[AlertState], already_told: Set[AlertState]) -> list[AlertState]:
    """The states of a webhook not yet told to one recipient on one channel, in a stable order."""
    return sorted({state for state in states if state not in already_told})


def delivery_key(recipient_id: str, channel: str, states: Iterable[AlertState]) -> str:
    """A stable key for the message telling ``states`` to a recipient on a channel."""
    digest = hashlib.sha256()
    digest.update(f"{recipient_id}\x00{channel}".encode())
    for state in sorted(states):
        digest.update(
            f"\x00{state.fingerprint}|{state.status}|{state.starts_at.isoformat()}".encode()
        )
    return digest.hexdigest()[:40]

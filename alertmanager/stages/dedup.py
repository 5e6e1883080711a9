"""The one idempotency decision of the receiver.

Alertmanager delivers at least once, retries a webhook whose answer it did not see, repeats a
group every ``repeat_interval``, and an HA pair sends each group twice. The rule: **an alert
state — (fingerprint, status, startsAt) — is told to a recipient on a channel once.** A webhook
therefore produces, per recipient and channel, one message about the alert states that
recipient has not been told yet, or no message at all. The store enforces the same rule with a
unique constraint (``chargekeeper.store.NotifiedAlertState``), so even a race cannot break it.

:class:`Dedup` is the pipeline's stage that applies the rule; the record stage keeps the
promise it relies on.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence, Set

from sqlalchemy import select
from sqlalchemy.orm import Session

from alertmanager.stages.base import AlertState, Notice
from chargekeeper.store import Alert, NotifiedAlertState


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


class Dedup:
    """Keep in each notice the alert states its recipient has not been told on its channel, in
    :func:`states_to_tell`'s order; a notice left with none goes no further."""

    def __call__(self, session: Session, notices: Sequence[Notice]) -> list[Notice]:
        passing = []
        for notice in notices:
            rows = [stored.row for stored in notice.alerts]
            told = already_told(session, notice.recipient.technician_id, notice.channel, rows)
            by_state = {stored.state: stored for stored in notice.alerts}
            to_tell = states_to_tell(by_state, told)
            if to_tell:
                notice.alerts = [by_state[state] for state in to_tell]
                passing.append(notice)
        return passing


def already_told(
    session: Session, recipient_id: str, channel: str, rows: Sequence[Alert]
) -> set[AlertState]:
    """The states of these alerts promised to the recipient on the channel already."""
    fingerprints = {row.fingerprint for row in rows}
    if not fingerprints:
        return set()
    told = session.execute(
        select(
            NotifiedAlertState.fingerprint,
            NotifiedAlertState.status,
            NotifiedAlertState.starts_at,
        ).where(
            NotifiedAlertState.recipient_id == recipient_id,
            NotifiedAlertState.channel == channel,
            NotifiedAlertState.fingerprint.in_(fingerprints),
        )
    ).all()
    return {AlertState(fp, status, starts) for fp, status, starts in told}

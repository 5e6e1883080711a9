"""Stage 'record': each rendered message goes into the outbox, with the promise that its alert
states are told (``NotifiedAlertState``, the store's half of the dedup rule), in the same
transaction. The deliver stage sends what is recorded here.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from alertmanager.stages.base import Notice
from alertmanager.stages.dedup import delivery_key
from chargekeeper.store import NotifiedAlertState


class Record:
    """Adds each notice's delivery and its promises to the session."""

    def __call__(self, session: Session, notices: Sequence[Notice]) -> list[Notice]:
        for notice in notices:
            delivery = notice.rendered()
            recipient_id = notice.recipient.technician_id
            states = [stored.state for stored in notice.alerts]
            delivery.dedup_key = delivery_key(recipient_id, notice.channel, states)
            session.add(delivery)
            for state in states:
                session.add(
                    NotifiedAlertState(
                        fingerprint=state.fingerprint,
                        status=state.status,
                        starts_at=state.starts_at,
                        recipient_id=recipient_id,
                        channel=notice.channel,
                        delivery=delivery,
                    )
                )
        return list(notices)

"""Failover: a message that keeps failing on its channel is sent on the recipient's other one.

The outbox asks for it after repeated failure (``outbox.FailoverFactory``). The news is the
failing message's, told again through the translate and render stages for the other channel;
a recipient who already hears about every one of these alert states there is not told twice.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from alertmanager.stages.base import AlertState, Notice, Origin, Stage, StoredAlert, run_stages
from alertmanager.stages.dedup import already_told, states_to_tell
from alertmanager.stages.render import Render
from alertmanager.stages.store import webhook_alert
from alertmanager.stages.translate import Translate
from chargekeeper.config.routing import CHANNELS
from chargekeeper.routing import Recipient
from chargekeeper.store import Alert, Delivery


class Failover:
    """Builds the failover delivery for a failing one (None when there is nothing to send)."""

    def __init__(self, translate: Translate, render: Render) -> None:
        self._stages: list[Stage] = [translate, render]

    def __call__(self, session: Session, failing: Delivery) -> Delivery | None:
        channel, address = failing.failover_channel, failing.failover_address
        if channel is None or address is None:
            return None
        rows = [session.get_one(Alert, link.alert_id) for link in failing.alerts]
        states = {AlertState(row.fingerprint, failing.status, row.starts_at) for row in rows}
        if not states_to_tell(states, already_told(session, failing.recipient_id, channel, rows)):
            return None
        recipient = Recipient(
            technician_id=failing.recipient_id,
            name=failing.recipient_name,
            email=address if channel == "email" else None,
            phone=address if channel == "sms" else None,
            language=failing.language,
            timezone=failing.timezone,
            channels=tuple(c for c in CHANNELS if c == channel),
        )
        notice = Notice(
            recipient,
            channel,
            address,
            failing.status,
            [StoredAlert(webhook_alert(row, failing.status), row) for row in rows],
            Origin(failing.receipt_id, failing.group_key),
            site=failing.site,
        )
        (told,) = run_stages(self._stages, session, [notice])
        delivery = told.rendered()
        delivery.dedup_key = f"failover-{failing.dedup_key}"[:128]
        delivery.failover_of_id = failing.id
        return delivery

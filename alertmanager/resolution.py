"""Resolutions Alertmanager never sends, told like the ones it does.

Alertmanager mutes a silenced alert's resolution as well as its repeats
(prometheus/alertmanager#226), so an acknowledged alert's resolution never arrives by webhook.
The console learns it from Alertmanager's API and hands it over through the kernel's
resolution feed (``chargekeeper.resolutions``); :func:`resolution_webhooks` makes the webhooks
Alertmanager would have sent, which ``ReceiverService.resolved`` stores and processes like
real ones.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Text, cast, select
from sqlalchemy.orm import Session

from alertmanager.payload import WebhookPayload
from alertmanager.stages.store import webhook_alert
from chargekeeper.store import Alert, WebhookReceipt

# The key a webhook body made up by Chargekeeper (not sent by Alertmanager) carries, saying who
# made it and why; Alertmanager's own bodies never have it, and the payload model ignores it.
SYNTHESIZED_KEY = "chargekeeperSynthesized"


def resolution_webhooks(
    session: Session, row: Alert, ends_at: datetime, source: str, reason: str
) -> list[tuple[WebhookPayload, dict[str, Any]]]:
    """The webhooks Alertmanager would have sent had it told the stored firing ``row``'s
    resolution: one per receiver that carried it, shaped like its latest webhook for it.

    Fed to the store and processing stages like a real one, such a webhook updates the same
    row, tells the same recipients under the same ``notify_resolved`` rule and the same dedup,
    so a real resolution arriving as well tells nobody twice. The body records ``source`` and
    ``reason`` under :data:`SYNTHESIZED_KEY`, and that receipt in the store shows where the
    resolution came from.
    """
    alert = webhook_alert(row, "resolved").model_dump(mode="json", by_alias=True)
    alert["endsAt"] = ends_at.isoformat()
    webhooks = []
    for receipt_id, raw in _latest_carrier_per_receiver(session, row).items():
        body: dict[str, Any] = {
            "version": "4",
            "receiver": raw["receiver"],
            "status": "resolved",
            "alerts": [alert],
            "groupLabels": raw.get("groupLabels", {}),
            "commonLabels": alert["labels"],
            "commonAnnotations": alert["annotations"],
            "externalURL": raw.get("externalURL", ""),
            "groupKey": raw.get("groupKey", ""),
            "truncatedAlerts": 0,
            SYNTHESIZED_KEY: {"by": source, "reason": reason, "firing_receipt": receipt_id},
        }
        webhooks.append((WebhookPayload.model_validate(body), body))
    return webhooks


def _latest_carrier_per_receiver(session: Session, row: Alert) -> dict[int, dict[str, Any]]:
    """The latest stored Alertmanager webhook per receiver that carried ``row`` firing, by
    receipt id.

    Receipts do not index their alerts: the text search narrows the receipts since the alert
    was first received to those naming its fingerprint, and their bodies are checked in full.
    """
    receipts = session.execute(
        select(WebhookReceipt.id, WebhookReceipt.payload)
        .where(
            WebhookReceipt.received_at >= row.first_received_at,
            cast(WebhookReceipt.payload, Text).contains(row.fingerprint),
        )
        .order_by(WebhookReceipt.id.desc())
    ).all()
    latest: dict[str, tuple[int, dict[str, Any]]] = {}
    for receipt_id, raw in receipts:
        if SYNTHESIZED_KEY in raw or raw.get("receiver") in latest:
            continue
        payload = WebhookPayload.model_validate(raw)
        if any(
            a.fingerprint == row.fingerprint
            and a.starts_at == row.starts_at
            and a.status == "firing"
            for a in payload.alerts
        ):
            latest[payload.receiver] = (receipt_id, raw)
    return dict(latest.values())

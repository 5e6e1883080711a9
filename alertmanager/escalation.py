"""Escalation: a critical alert nobody acknowledged goes to the next tier after its delay.

The delays count from the first message about the alert. Telling a tier goes through the
pipeline's stages and their idempotency rule, so each run may look at every alert again: a
tier already told is not told twice, and someone in two tiers hears about it once per channel.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, sessionmaker

from alertmanager.stages.base import Notice, Origin, StoredAlert
from alertmanager.stages.route import notices_for
from alertmanager.stages.store import webhook_alert
from chargekeeper.clock import Clock, utc_now
from chargekeeper.routing import EscalationPlan
from chargekeeper.store import Acknowledgement, Alert, Delivery, DeliveryAlert

log = logging.getLogger(__name__)

# The pipeline's stages after route (``Pipeline.tell``): the notices recorded.
Tell = Callable[[Session, Sequence[Notice]], list[Notice]]


class Escalator:
    """Checks unacknowledged critical alerts and tells the tiers that are due."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        tell: Tell,
        plan: EscalationPlan,
        clock: Clock = utc_now,
    ) -> None:
        self._sessions = sessions
        self._tell = tell
        self._plan = plan
        self._clock = clock

    def run_once(self) -> int:
        """Enqueue what is due now; return how many deliveries were enqueued."""
        now = self._clock()
        enqueued = 0
        with self._sessions.begin() as session:
            first_told = (
                select(func.min(Delivery.created_at))
                .join(DeliveryAlert, DeliveryAlert.delivery_id == Delivery.id)
                .where(DeliveryAlert.alert_id == Alert.id)
                .scalar_subquery()
            )
            rows = session.execute(
                select(Alert, first_told).where(
                    Alert.status == "firing",
                    Alert.severity == "critical",
                    ~exists().where(Acknowledgement.alert_id == Alert.id),
                )
            ).all()
            for alert, first in rows:
                since: datetime | None = first
                if since is None:
                    continue  # nobody was told: nothing to escalate from
                firing = [StoredAlert(webhook_alert(alert, "firing"), alert)]
                for tier in self._plan(alert.labels, since):
                    if since + timedelta(seconds=tier.delay_seconds) <= now:
                        origin = Origin(escalation_tier=tier.tier)
                        notices = notices_for(tier.recipients, firing, origin)
                        enqueued += len(self._tell(session, notices))
        if enqueued:
            log.info("escalated: %d deliveries enqueued", enqueued)
        return enqueued

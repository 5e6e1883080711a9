"""Escalation: a critical alert nobody acknowledged goes to the next tier after its delay.

The delays count from the first message about the alert. Telling a tier goes through the
pipeline's idempotency rule, so each run may look at every alert again: a tier already told is
not told twice, and someone in two tiers hears about it once per channel.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, sessionmaker

from alertmanager.pipeline import Pipeline
from alertmanager.recipients import EscalationPlan
from chargekeeper.clock import Clock, utc_now
from chargekeeper.store import Acknowledgement, Alert, Delivery, DeliveryAlert

log = logging.getLogger(__name__)


class Escalator:
    """Checks unacknowledged critical alerts and enqueues the tiers that are due."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        pipeline: Pipeline,
        plan: EscalationPlan,
        clock: Clock = utc_now,
    ) -> None:
        self._sessions = sessions
        self._pipeline = pipeline
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
            for alert, first_value in rows:
                first: datetime | None = first_value
                if first is None:
                    continue  # nobody was told: nothing to escalate from
                since = first
                for tier in self._plan(alert.labels, since):
                    if since + timedelta(seconds=tier.delay_seconds) <= now:
                        enqueued += self._pipeline.escalate(
                            session, alert, tier.recipients, tier.tier
                        )
        if enqueued:
            log.info("escalated: %d deliveries enqueued", enqueued)
        return enqueued

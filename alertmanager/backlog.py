"""The outbox backlog as Prometheus gauges, counted in the store at each scrape.

Counters say how many messages went out; only the store knows how many are still waiting and
for how long. With several receiver replicas sharing one database every replica reports the
same backlog, so dashboards and alerts take ``max`` across instances, not ``sum``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from chargekeeper.config.routing import CHANNELS
from chargekeeper.store import Delivery, DeliveryState

log = logging.getLogger(__name__)

WAITING = (DeliveryState.PENDING, DeliveryState.SENDING)


class OutboxBacklog(Collector):
    """``chargekeeper_outbox_deliveries`` and ``chargekeeper_outbox_oldest_age_seconds``."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.sessions = sessions
        self.now = now
        self._failing = False

    def describe(self) -> list[Metric]:
        return []  # registering must not query the store

    def collect(self) -> Iterator[Metric]:
        query = (
            select(Delivery.channel, Delivery.state, func.count(), func.min(Delivery.created_at))
            .where(Delivery.state.in_(WAITING))
            .group_by(Delivery.channel, Delivery.state)
        )
        try:
            with self.sessions() as session:
                rows = session.execute(query).all()
        except SQLAlchemyError as exc:
            # The scrape still answers with the counters; the gauges are missing, not zero.
            if not self._failing:
                log.warning("cannot count the outbox backlog for /metrics: %s", exc)
            self._failing = True
            return
        self._failing = False
        counts: dict[tuple[str, str], int] = {
            (channel, state.value): 0 for channel in CHANNELS for state in WAITING
        }
        oldest: dict[str, datetime] = {}
        for channel, state, count, created in rows:
            counts[(channel, DeliveryState(state).value)] = count
            if channel not in oldest or created < oldest[channel]:
                oldest[channel] = created
        deliveries = GaugeMetricFamily(
            "chargekeeper_outbox_deliveries",
            "Deliveries waiting in the outbox, by channel and state (pending: until its next"
            " attempt time; sending: leased to a worker).",
            labels=["channel", "state"],
        )
        for (channel, state_name), count in sorted(counts.items()):
            deliveries.add_metric([channel, state_name], count)
        yield deliveries
        age = GaugeMetricFamily(
            "chargekeeper_outbox_oldest_age_seconds",
            "Age of the oldest delivery waiting in the outbox, per channel (0 when none waits):"
            " how late the latest message to a technician is.",
            labels=["channel"],
        )
        now = self.now()
        for channel in sorted({channel for channel, _ in counts}):
            since = oldest.get(channel)
            age.add_metric([channel], (now - since).total_seconds() if since else 0.0)
        yield age

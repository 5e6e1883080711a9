"""The receiver's pipeline, shaped like Alertmanager's notify pipeline: small stages, one file
each (``alertmanager/stages/``), assembled in :class:`Pipeline`'s first lines.

    in the webhook request     validate → store                  (a 200 means stored)
    after the answer           route → dedup → translate → render → record
    in the outbox worker       deliver (retry; failover to the other channel)

``process`` runs on every stored webhook not processed yet, each in one transaction, and is
idempotent: it may run again after a crash and records nothing twice (the dedup stage).
Escalation (``alertmanager.escalation``) feeds its notices through the same stages;
:mod:`alertmanager.failover` uses translate and render.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alertmanager.failover import Failover
from alertmanager.messages import Renderer
from alertmanager.payload import WebhookPayload
from alertmanager.stages.base import Notice, Origin, Stage, run_stages
from alertmanager.stages.dedup import Dedup
from alertmanager.stages.record import Record
from alertmanager.stages.render import Render
from alertmanager.stages.route import Route
from alertmanager.stages.store import StoreStage, stored_alerts
from alertmanager.stages.translate import Translate
from chargekeeper.clock import Clock, utc_now
from chargekeeper.links import Links
from chargekeeper.routing import OPERATIONS_RECEIVER, RecipientResolver
from chargekeeper.store import WebhookReceipt
from translator import Translator, UnknownCodeRecorder

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PipelineConfig:
    links: Links = field(default_factory=Links)
    site_names: Mapping[str, str] = field(default_factory=dict)
    # Families whose resolution is worth a message; None means every family.
    notify_resolved: Collection[str] | None = None


class Pipeline:
    """Stored webhooks through the stages, wired to the store, translator, routing and
    templates."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        translator: Translator,
        resolve: RecipientResolver,
        renderer: Renderer,
        config: PipelineConfig = PipelineConfig(),
        recorder: UnknownCodeRecorder | None = None,
        clock: Clock = utc_now,
    ) -> None:
        translate = Translate(translator, config.links, config.site_names, recorder)
        render = Render(renderer, config.links, clock)
        self.storing = StoreStage(sessions, clock)
        self.route = Route(resolve)
        self.stages: list[Stage] = [Dedup(), translate, render, Record()]
        self.failover = Failover(translate, render)
        self.sessions = sessions
        self._translate = translate
        self._notify_resolved = config.notify_resolved
        self._clock = clock

    def store(self, payload: WebhookPayload, raw: dict[str, Any]) -> int:
        """Keep one webhook and its alerts; return the receipt id. Raises only if storing failed."""
        (receipt_id,) = self.storing.batch([(payload, raw)])
        return receipt_id

    def store_batch(self, webhooks: Sequence[tuple[WebhookPayload, dict[str, Any]]]) -> list[int]:
        """Keep several webhooks in one transaction (the group commit); their receipt ids."""
        return self.storing.batch(webhooks)

    def tell(self, session: Session, notices: Sequence[Notice]) -> list[Notice]:
        """Pass notices through dedup, translate, render and record; those recorded."""
        return run_stages(self.stages, session, notices)

    def process_pending(self, limit: int = 100) -> int:
        """Process stored webhooks not processed yet, oldest first; return deliveries enqueued."""
        return sum(self.process_or_note(receipt_id) for receipt_id in self.pending(limit))

    def pending(self, limit: int = 100) -> list[int]:
        """The ids of stored webhooks not processed yet, oldest first."""
        with self.sessions() as session:
            return list(
                session.scalars(
                    select(WebhookReceipt.id)
                    .where(WebhookReceipt.processed_at.is_(None))
                    .order_by(WebhookReceipt.id)
                    .limit(limit)
                )
            )

    def process_or_note(self, receipt_id: int) -> int:
        """``process`` one stored webhook; a failure is noted on it and it stays pending."""
        try:
            return self.process(receipt_id)
        except Exception as exc:
            # Left unprocessed, so it is tried again; the others go on meanwhile.
            log.exception("processing webhook %d failed", receipt_id)
            with self.sessions.begin() as session:
                session.get_one(WebhookReceipt, receipt_id).error = repr(exc)[:2000]
            return 0

    def process(self, receipt_id: int) -> int:
        """Route, dedup, translate, render and record one stored webhook, in one transaction;
        how many deliveries were recorded.

        Everything is read and rendered before the first write (no autoflush), so SQLite's
        write lock is held only for the inserts and the webhook's own writes barely wait.
        """
        with self.sessions.begin() as session, session.no_autoflush:
            # Locked (on PostgreSQL) so a replica sharing the store waits, then sees it done.
            receipt = session.get_one(WebhookReceipt, receipt_id, with_for_update=True)
            if receipt.processed_at is not None:
                return 0
            payload = WebhookPayload.model_validate(receipt.payload)
            self._translate.note_unknown(payload)
            # The operations contacts hear every recovery of the pipeline they were told was
            # broken (the receiver's missing Watchdog included), whatever notify_resolved says.
            operations = payload.receiver == OPERATIONS_RECEIVER
            alerts = stored_alerts(session, payload, None if operations else self._notify_resolved)
            notices = self.route(payload.receiver, alerts, Origin(receipt.id, receipt.group_key))
            recorded = self.tell(session, notices)
            receipt.processed_at = self._clock()
            receipt.error = None
            return len(recorded)

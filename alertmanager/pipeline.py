"""The receiver's pipeline: store → translate → resolve recipients → render → enqueue.

``store`` runs inside the webhook request (so a 200 means the alerts are on disk);
``process_pending`` runs after it, on every stored webhook not processed yet, and is idempotent:
it may run again after a crash and enqueues nothing twice (see ``alertmanager.dedup``).
Delivery itself is the outbox worker's (``alertmanager.outbox``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alertmanager.dedup import AlertState, delivery_key, states_to_tell
from alertmanager.links import Links
from alertmanager.payload import WebhookAlert, WebhookPayload
from alertmanager.recipients import Addressee, RecipientResolver
from alertmanager.render import AlertView, MessageContext, Renderer
from console.store import (
    Alert,
    Delivery,
    DeliveryAlert,
    DeliveryState,
    NotifiedAlertState,
    WebhookReceipt,
)
from translator import Translation, Translator, UnknownCodeRecorder

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """SQLite hands datetimes back naive; everything the store holds is UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


@dataclass(frozen=True)
class PipelineConfig:
    links: Links = field(default_factory=Links)
    site_names: Mapping[str, str] = field(default_factory=dict)
    # Families whose resolution is worth a message; None means every family.
    notify_resolved: Collection[str] | None = None


class Pipeline:
    """The stages, each a small method, wired to the store, translator, routing and templates."""

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
        self.sessions = sessions
        self._translator = translator
        self._resolve = resolve
        self._renderer = renderer
        self._config = config
        self._recorder = recorder
        self._clock = clock

    # -- stage 1: store (inside the request) ---------------------------------------------------

    def store(self, payload: WebhookPayload, raw: dict[str, Any]) -> int:
        """Keep the webhook and its alerts; return the receipt id. Raises only if storing failed."""
        now = self._clock()
        with self.sessions.begin() as session:
            receipt = WebhookReceipt(
                received_at=now,
                receiver=payload.receiver,
                status=payload.status,
                group_key=payload.group_key,
                truncated_alerts=payload.truncated_alerts,
                payload=raw,
            )
            session.add(receipt)
            known = _alert_rows(session, payload.alerts)
            for alert in payload.alerts:
                key = (alert.fingerprint, alert.starts_at)
                known[key] = self._upsert_alert(
                    session, alert, known.get(key), now, truncated=payload.truncated_alerts > 0
                )
            session.flush()
            if payload.truncated_alerts:
                log.warning(
                    "webhook %s for %r left out %d alert(s) (max_alerts): stored and flagged",
                    receipt.id,
                    payload.group_key,
                    payload.truncated_alerts,
                )
            return receipt.id

    def _upsert_alert(
        self,
        session: Session,
        alert: WebhookAlert,
        row: Alert | None,
        now: datetime,
        *,
        truncated: bool,
    ) -> Alert:
        labels = alert.labels
        if row is None:
            row = Alert(
                fingerprint=alert.fingerprint,
                starts_at=alert.starts_at,
                first_received_at=now,
                alertname=labels.get("alertname", "")[:255],
                severity=labels.get("severity", "")[:16],
                family=labels.get("family", "")[:32],
                site=labels.get("site", "")[:255],
                charge_point_id=labels.get("charge_point_id", "")[:255],
            )
            session.add(row)
        # A late "firing" from an HA twin must not reopen an alert already resolved.
        if not (row.status == "resolved" and alert.status == "firing"):
            row.status = alert.status
            row.ends_at = alert.ends_at
        row.labels = dict(labels)
        row.annotations = dict(alert.annotations)
        row.generator_url = alert.generator_url
        row.last_received_at = now
        row.truncated = row.truncated or truncated
        return row

    # -- stages 2-5: after the answer ----------------------------------------------------------

    def process_pending(self, limit: int = 100) -> int:
        """Process stored webhooks not processed yet, oldest first; return deliveries enqueued."""
        enqueued = 0
        with self.sessions() as session:
            ids = session.scalars(
                select(WebhookReceipt.id)
                .where(WebhookReceipt.processed_at.is_(None))
                .order_by(WebhookReceipt.id)
                .limit(limit)
            ).all()
        for receipt_id in ids:
            try:
                enqueued += self.process(receipt_id)
            except Exception as exc:
                # Left unprocessed, so it is tried again; the others go on meanwhile.
                log.exception("processing webhook %d failed", receipt_id)
                self._note_error(receipt_id, repr(exc))
        return enqueued

    def _note_error(self, receipt_id: int, error: str) -> None:
        with self.sessions.begin() as session:
            session.get_one(WebhookReceipt, receipt_id).error = error[:2000]

    def process(self, receipt_id: int) -> int:
        """Translate, route, render and enqueue one stored webhook, in one transaction.

        Everything is read and rendered before the first write (no autoflush), so SQLite's
        write lock is held only for the inserts and the webhook's own writes barely wait.
        """
        with self.sessions.begin() as session, session.no_autoflush:
            receipt = session.get_one(WebhookReceipt, receipt_id)
            if receipt.processed_at is not None:
                return 0
            payload = WebhookPayload.model_validate(receipt.payload)
            alerts = self._stored_alerts(session, payload)
            self._record_unknown_codes(payload)
            enqueued = 0
            for recipient in _one_each(self._resolve(payload.receiver)):
                views = [self._translate(alert, row, recipient.language) for alert, row in alerts]
                for channel in recipient.channels:
                    enqueued += self._enqueue(session, receipt, recipient, channel, alerts, views)
            receipt.processed_at = self._clock()
            receipt.error = None
            return enqueued

    def _stored_alerts(
        self, session: Session, payload: WebhookPayload
    ) -> list[tuple[WebhookAlert, Alert]]:
        rows = _alert_rows(session, payload.alerts)
        return [
            (alert, rows[(alert.fingerprint, alert.starts_at)])
            for alert in payload.alerts
            if alert.status == "firing" or self._resolution_wanted(alert)
        ]

    def _resolution_wanted(self, alert: WebhookAlert) -> bool:
        families = self._config.notify_resolved
        return families is None or alert.labels.get("family", "") in families

    def _record_unknown_codes(self, payload: WebhookPayload) -> None:
        if self._recorder is None:
            return
        for alert in payload.alerts:
            if alert.status == "firing" and _has_code(alert.labels):
                translation = self._translate_codes(alert.labels, "en")
                self._recorder.record(translation, alert.labels.get("charge_point_id", "unknown"))

    def _translate_codes(self, labels: Mapping[str, str], language: str) -> Translation:
        return self._translator.translate(
            vendor=labels.get("vendor") or None,
            vendor_id=labels.get("vendor_id") or None,
            vendor_error_code=labels.get("vendor_error_code") or None,
            error_code=labels.get("error_code") or None,
            language=language,
        )

    def _translate(self, alert: WebhookAlert, row: Alert, language: str) -> AlertView:
        labels = alert.labels
        links = self._config.links
        site = labels.get("site", "")
        code = title = explanation = action = ""
        if _has_code(labels):
            translation = self._translate_codes(labels, language)
            code = " / ".join(
                value
                for value in (labels.get("error_code"), labels.get("vendor_error_code"))
                if value
            )
            title = translation.title
            meaning = next(iter(translation.meanings), translation.error_code_meaning)
            if meaning is not None:
                explanation, action = meaning.explanation, meaning.action
        return AlertView(
            alertname=labels.get("alertname", ""),
            status=alert.status,
            severity=labels.get("severity", ""),
            family=labels.get("family", ""),
            site=site,
            site_name=self._config.site_names.get(site, site) or "?",
            charge_point_id=labels.get("charge_point_id", ""),
            connector_id=labels.get("connector_id", ""),
            starts_at=alert.starts_at,
            ends_at=alert.ends_at,
            code=code,
            title=title,
            explanation=explanation,
            action=action,
            summary=alert.annotations.get("summary", ""),
            description=alert.annotations.get("description", ""),
            runbook_url=alert.annotations.get("runbook_url", ""),
            console_url=links.alert(row.id),
            dashboard_url=links.charger_dashboard(labels.get("charge_point_id", "")),
        )

    def _enqueue(
        self,
        session: Session,
        receipt: WebhookReceipt | None,
        recipient: Addressee,
        channel: str,
        alerts: Sequence[tuple[WebhookAlert, Alert]],
        views: Sequence[AlertView],
        escalation_tier: int | None = None,
    ) -> int:
        address = recipient.address(channel)
        if address is None:
            log.warning("technician %s has no %s address: skipped", recipient.id, channel)
            return 0
        told = _already_told(session, recipient.id, channel, [row for _, row in alerts])
        enqueued = 0
        for status in ("firing", "resolved"):
            chosen = [
                (alert, row, view)
                for (alert, row), view in zip(alerts, views, strict=True)
                if alert.status == status
            ]
            states = {_state(alert): (row, view) for alert, row, view in chosen}
            to_tell = states_to_tell(states, told)
            if not to_tell:
                continue
            told_views = [states[state][1] for state in to_tell]
            context = MessageContext(
                status=status,
                recipient_name=recipient.name,
                language=recipient.language,
                timezone=recipient.timezone,
                alerts=told_views,
                site_name=told_views[0].site_name,
                group_console_url=self._config.links.site(told_views[0].site)
                if len(told_views) > 1
                else "",
                escalation_tier=escalation_tier,
            )
            delivery = self._message(recipient, channel, address, status, context)
            delivery.dedup_key = delivery_key(recipient.id, channel, to_tell)
            delivery.receipt_id = receipt.id if receipt else None
            delivery.group_key = receipt.group_key if receipt else ""
            delivery.site = told_views[0].site
            delivery.alerts = [DeliveryAlert(alert_id=states[s][0].id) for s in to_tell]
            session.add(delivery)
            for state in to_tell:
                session.add(
                    NotifiedAlertState(
                        fingerprint=state.fingerprint,
                        status=state.status,
                        starts_at=state.starts_at,
                        recipient_id=recipient.id,
                        channel=channel,
                        delivery=delivery,
                    )
                )
            enqueued += 1
        return enqueued

    def escalate(
        self, session: Session, row: Alert, recipients: Sequence[Addressee], tier: int
    ) -> int:
        """Tell ``recipients`` (an escalation tier) about an unacknowledged firing alert.

        The same idempotency rule holds: someone already told on a channel is not told again.
        """
        alerts = [(_alert_of(row, "firing"), row)]
        enqueued = 0
        for recipient in recipients:
            views = [self._translate(alert, stored, recipient.language) for alert, stored in alerts]
            for channel in recipient.channels:
                enqueued += self._enqueue(
                    session, None, recipient, channel, alerts, views, escalation_tier=tier
                )
        return enqueued

    def failover(self, session: Session, failing: Delivery) -> Delivery | None:
        """The same news on the recipient's other channel, or None when there is none.

        Skipped when the recipient already hears about every one of these alert states on that
        channel anyway. Used by the outbox after repeated failure (``outbox.FailoverFactory``).
        """
        channel, address = failing.failover_channel, failing.failover_address
        if channel is None or address is None:
            return None
        rows = [session.get_one(Alert, link.alert_id) for link in failing.alerts]
        states = {
            AlertState(row.fingerprint, failing.status, as_utc(row.starts_at)) for row in rows
        }
        if not states_to_tell(states, _already_told(session, failing.recipient_id, channel, rows)):
            return None
        recipient = Addressee(
            id=failing.recipient_id,
            name=failing.recipient_name,
            language=failing.language,
            timezone=failing.timezone,
            channels=(channel,),
            email=address if channel == "email" else None,
            phone=address if channel == "sms" else None,
        )
        views = [
            self._translate(_alert_of(row, failing.status), row, failing.language) for row in rows
        ]
        context = MessageContext(
            status=failing.status,
            recipient_name=failing.recipient_name,
            language=failing.language,
            timezone=failing.timezone,
            alerts=views,
            site_name=views[0].site_name if views else "",
            group_console_url=self._config.links.site(failing.site) if len(views) > 1 else "",
        )
        delivery = self._message(recipient, channel, address, failing.status, context)
        delivery.dedup_key = f"failover-{failing.dedup_key}"[:128]
        delivery.receipt_id = failing.receipt_id
        delivery.group_key = failing.group_key
        delivery.site = failing.site
        delivery.failover_of_id = failing.id
        delivery.alerts = [DeliveryAlert(alert_id=row.id) for row in rows]
        return delivery

    def _message(
        self,
        recipient: Addressee,
        channel: str,
        address: str,
        status: str,
        context: MessageContext,
    ) -> Delivery:
        now = self._clock()
        if channel == "email":
            email = self._renderer.email(context)
            subject, text, html = email.subject, email.text, email.html
        else:
            subject, text, html = "", self._renderer.sms(context), ""
        other = recipient.other_channel(channel)
        return Delivery(
            status=status,
            recipient_id=recipient.id,
            recipient_name=recipient.name,
            channel=channel,
            address=address,
            language=recipient.language,
            subject=subject,
            body_text=text,
            body_html=html,
            state=DeliveryState.PENDING,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
            failover_channel=other,
            failover_address=recipient.address(other) if other else None,
            timezone=recipient.timezone,
        )


def _alert_of(row: Alert, status: str) -> WebhookAlert:
    """A stored alert in the shape the webhook gave it, for rendering it again."""
    return WebhookAlert.model_validate(
        {
            "status": status,
            "labels": row.labels,
            "annotations": row.annotations,
            "startsAt": as_utc(row.starts_at),
            "endsAt": as_utc(row.ends_at) if row.ends_at else None,
            "generatorURL": row.generator_url,
            "fingerprint": row.fingerprint,
        }
    )


def _alert_rows(
    session: Session, alerts: Sequence[WebhookAlert]
) -> dict[tuple[str, datetime], Alert]:
    """The stored rows of ``alerts`` by (fingerprint, start), in one query."""
    fingerprints = {alert.fingerprint for alert in alerts}
    if not fingerprints:
        return {}
    rows = session.scalars(select(Alert).where(Alert.fingerprint.in_(fingerprints)))
    return {(row.fingerprint, as_utc(row.starts_at)): row for row in rows}


def _one_each(recipients: Sequence[Addressee]) -> list[Addressee]:
    """One entry per technician, channels merged: a person named twice is told once."""
    merged: dict[str, Addressee] = {}
    for recipient in recipients:
        known = merged.get(recipient.id)
        if known is not None:
            channels = tuple(dict.fromkeys(known.channels + recipient.channels))
            recipient = replace(known, channels=channels)
        merged[recipient.id] = recipient
    return list(merged.values())


def _has_code(labels: Mapping[str, str]) -> bool:
    return bool(labels.get("error_code") or labels.get("vendor_error_code"))


def _state(alert: WebhookAlert) -> AlertState:
    return AlertState(alert.fingerprint, alert.status, alert.starts_at)


def _already_told(
    session: Session, recipient_id: str, channel: str, rows: Sequence[Alert]
) -> set[AlertState]:
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
    return {AlertState(fp, status, as_utc(starts)) for fp, status, starts in told}

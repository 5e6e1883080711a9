"""The receiver's pipeline: store → translate → resolve recipients → render → enqueue.

``store`` runs inside the webhook request (so a 200 means the alerts are on disk);
``process_pending`` runs after it, on every stored webhook not processed yet, and is idempotent:
it may run again after a crash and enqueues nothing twice (see ``alertmanager.dedup``).
Delivery itself is the outbox worker's (``alertmanager.outbox``).
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Text, cast, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from alertmanager.dedup import AlertState, delivery_key, states_to_tell
from alertmanager.payload import WebhookAlert, WebhookPayload
from alertmanager.recipients import Addressee, RecipientResolver
from alertmanager.render import AlertView, MessageContext, Renderer
from chargekeeper.clock import Clock, utc_now
from chargekeeper.links import Links
from chargekeeper.store import (
    Alert,
    Delivery,
    DeliveryAlert,
    DeliveryState,
    NotifiedAlertState,
    WebhookReceipt,
)
from translator import Translation, Translator, UnknownCodeRecorder

log = logging.getLogger(__name__)

# The key a webhook body made up by Chargekeeper (not sent by Alertmanager) carries, saying who
# made it and why; Alertmanager's own bodies never have it, and the payload model ignores it.
SYNTHESIZED_KEY = "chargekeeperSynthesized"


def _first_values(alert: WebhookAlert, now: datetime, truncated: bool) -> dict[str, Any]:
    """The columns of an alert occurrence the store has not seen yet."""
    labels = alert.labels
    values: dict[str, Any] = {
        "fingerprint": alert.fingerprint,
        "starts_at": alert.starts_at,
        "first_received_at": now,
        "alertname": labels.get("alertname", "")[:255],
        "severity": labels.get("severity", "")[:16],
        "family": labels.get("family", "")[:32],
        "site": labels.get("site", "")[:255],
        "charge_point_id": labels.get("charge_point_id", "")[:255],
        "status": alert.status,
        "ends_at": alert.ends_at,
        "truncated": False,
    }
    _received_again(values, alert, now, truncated)
    return values


def _received_again(
    values: dict[str, Any], alert: WebhookAlert, now: datetime, truncated: bool
) -> None:
    """Update an alert occurrence's column ``values`` (at least status and truncated) for one
    more webhook carrying it."""
    # A late "firing" from an HA twin must not reopen an alert already resolved.
    if not (values["status"] == "resolved" and alert.status == "firing"):
        values["status"] = alert.status
        values["ends_at"] = alert.ends_at
    values["labels"] = dict(alert.labels)
    values["annotations"] = dict(alert.annotations)
    values["generator_url"] = alert.generator_url
    values["last_received_at"] = now
    values["truncated"] = values["truncated"] or truncated


def _update_row(row: Alert, alert: WebhookAlert, now: datetime, truncated: bool) -> None:
    values = {"status": row.status, "truncated": row.truncated}
    _received_again(values, alert, now, truncated)
    for name, value in values.items():
        setattr(row, name, value)


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
        """Keep one webhook and its alerts; return the receipt id. Raises only if storing failed."""
        (receipt_id,) = self.store_batch([(payload, raw)])
        return receipt_id

    def store_batch(self, webhooks: Sequence[tuple[WebhookPayload, dict[str, Any]]]) -> list[int]:
        """Keep several webhooks in one transaction (the group commit); their receipt ids, in order.

        Alerts seen before are updated through the ORM; new ones (all of a storm's) are inserted
        in one executemany, which costs a fraction of building an ORM object per alert and keeps
        the webhooks waiting on this commit to milliseconds. Webhooks of one batch may carry the
        same alert (an HA pair's twins arrive together): the second updates the first's values.
        A replica sharing the store may insert the same new alert at the same moment: see
        ``_insert_unseen``.
        """
        now = self._clock()
        with self.sessions.begin() as session:
            known = _alert_rows(session, [a for payload, _ in webhooks for a in payload.alerts])
            unseen: dict[tuple[str, datetime], list[tuple[WebhookAlert, bool]]] = {}
            receipts: list[WebhookReceipt] = []
            for payload, raw in webhooks:
                receipt = WebhookReceipt(
                    received_at=now,
                    receiver=payload.receiver,
                    status=payload.status,
                    group_key=payload.group_key,
                    truncated_alerts=payload.truncated_alerts,
                    payload=raw,
                )
                session.add(receipt)
                receipts.append(receipt)
                truncated = payload.truncated_alerts > 0
                for alert in payload.alerts:
                    key = (alert.fingerprint, alert.starts_at)
                    row = known.get(key)
                    if row is not None:
                        _update_row(row, alert, now, truncated)
                    else:
                        unseen.setdefault(key, []).append((alert, truncated))
            if unseen:
                _insert_unseen(session, unseen, now)
            session.flush()
            for receipt in receipts:
                if receipt.truncated_alerts:
                    log.warning(
                        "webhook %s for %r left out %d alert(s) (max_alerts): stored and flagged",
                        receipt.id,
                        receipt.group_key,
                        receipt.truncated_alerts,
                    )
            return [receipt.id for receipt in receipts]

    # -- stages 2-5: after the answer ----------------------------------------------------------

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
            self._note_error(receipt_id, repr(exc))
            return 0

    def _note_error(self, receipt_id: int, error: str) -> None:
        with self.sessions.begin() as session:
            session.get_one(WebhookReceipt, receipt_id).error = error[:2000]

    def process(self, receipt_id: int) -> int:
        """Translate, route, render and enqueue one stored webhook, in one transaction.

        Everything is read and rendered before the first write (no autoflush), so SQLite's
        write lock is held only for the inserts and the webhook's own writes barely wait.
        """
        with self.sessions.begin() as session, session.no_autoflush:
            # Locked (on PostgreSQL) so a replica sharing the store waits, then sees it done.
            receipt = session.get_one(WebhookReceipt, receipt_id, with_for_update=True)
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
            delivery.site = told_views[0].site[:255]  # the column's length (PostgreSQL enforces it)
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
        states = {AlertState(row.fingerprint, failing.status, row.starts_at) for row in rows}
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
            "startsAt": row.starts_at,
            "endsAt": row.ends_at if row.ends_at else None,
            "generatorURL": row.generator_url,
            "fingerprint": row.fingerprint,
        }
    )


def resolution_webhooks(
    session: Session, row: Alert, ends_at: datetime, source: str, reason: str
) -> list[tuple[WebhookPayload, dict[str, Any]]]:
    """The webhooks Alertmanager would have sent had it told the stored firing ``row``'s
    resolution: one per receiver that carried it, shaped like its latest webhook for it.

    For resolutions Alertmanager never sends (an alert silenced until it resolves: it mutes the
    resolved notification too). Fed to ``store``/``process`` like a real one, such a webhook
    updates the same row, tells the same recipients under the same ``notify_resolved`` rule and
    the same dedup, so a real resolution arriving as well tells nobody twice. The body records
    ``source`` and ``reason`` under :data:`SYNTHESIZED_KEY`, and that receipt in the store
    shows where the resolution came from.
    """
    alert = _alert_of(row, "resolved").model_dump(mode="json", by_alias=True)
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
    starts_at = row.starts_at
    latest: dict[str, tuple[int, dict[str, Any]]] = {}
    for receipt_id, raw in receipts:
        if SYNTHESIZED_KEY in raw or raw.get("receiver") in latest:
            continue
        payload = WebhookPayload.model_validate(raw)
        if any(
            a.fingerprint == row.fingerprint and a.starts_at == starts_at and a.status == "firing"
            for a in payload.alerts
        ):
            latest[payload.receiver] = (receipt_id, raw)
    return dict(latest.values())


def _insert_unseen(
    session: Session,
    unseen: Mapping[tuple[str, datetime], Sequence[tuple[WebhookAlert, bool]]],
    now: datetime,
) -> None:
    """Insert alert occurrences the store did not hold, each with every webhook's news of it
    (alert, truncated) in order; those another writer inserted first get that news as updates.

    Two receiver replicas sharing PostgreSQL may both find an occurrence new (Alertmanager sends
    a group to any receiver, an HA pair sends it twice): a plain INSERT would make the later one
    wait for the earlier's commit and then fail the whole batch on the unique constraint (a 5xx,
    and Alertmanager's retry). ``ON CONFLICT DO NOTHING`` waits the same way and then skips the
    row instead; RETURNING tells which rows were inserted, and the others are read back, now
    committed, and updated like any alert seen before. SQLite has the same clause; its single
    writer never races, so there it only costs the RETURNING.
    """
    values = []
    # In arrival order: alert ids follow the webhooks, and listings by id rely on it. Two
    # replicas inserting overlapping alerts in opposite orders can deadlock: PostgreSQL then
    # aborts one after deadlock_timeout (1 s), whose webhooks the group commit stores again
    # one by one, or answers 503 for Alertmanager to retry (nothing lost either way).
    for news in unseen.values():
        (first, truncated), *later = news
        row = _first_values(first, now, truncated)
        for alert, again in later:
            _received_again(row, alert, now, again)
        values.append(row)
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(Alert)
        .on_conflict_do_nothing(index_elements=[Alert.fingerprint, Alert.starts_at])
        .returning(Alert.fingerprint, Alert.starts_at)
    )
    inserted = {(fp, starts) for fp, starts in session.execute(statement, values)}
    raced = [news for key, news in unseen.items() if key not in inserted]
    if not raced:
        return
    log.info("%d alert(s) were stored by another writer at the same moment: updated", len(raced))
    rows = _alert_rows(session, [alert for news in raced for alert, _ in news])
    for news in raced:
        for alert, truncated in news:
            _update_row(rows[(alert.fingerprint, alert.starts_at)], alert, now, truncated)


# Fingerprints per IN (...) query: a batch of storm webhooks names thousands of alerts, more
# than older SQLite builds accept as bound parameters (999) in one statement.
_IN_CHUNK = 500


def _alert_rows(
    session: Session, alerts: Sequence[WebhookAlert]
) -> dict[tuple[str, datetime], Alert]:
    """The stored rows of ``alerts`` by (fingerprint, start), a query per 500 fingerprints."""
    fingerprints = sorted({alert.fingerprint for alert in alerts})
    found: dict[tuple[str, datetime], Alert] = {}
    for start in range(0, len(fingerprints), _IN_CHUNK):
        chunk = fingerprints[start : start + _IN_CHUNK]
        for row in session.scalars(select(Alert).where(Alert.fingerprint.in_(chunk))):
            found[(row.fingerprint, row.starts_at)] = row
    return found


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
    return {AlertState(fp, status, starts) for fp, status, starts in told}

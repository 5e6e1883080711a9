"""Stage 'store', inside the webhook request: keep each webhook and its alerts before answering.

A 200 means the alerts are on disk (Alertmanager will not send them again), so everything else
waits until after the answer. Concurrent webhooks share one commit (``alertmanager.groupcommit``
batches them into :meth:`StoreStage.batch`). The processing stages read back what was stored
with :func:`stored_alerts`.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from alertmanager.payload import WebhookAlert, WebhookPayload
from alertmanager.stages.base import StoredAlert
from chargekeeper.clock import Clock, utc_now
from chargekeeper.store import Alert, WebhookReceipt

log = logging.getLogger(__name__)

# Fingerprints per IN (...) query: a batch of storm webhooks names thousands of alerts, more
# than older SQLite builds accept as bound parameters (999) in one statement.
_IN_CHUNK = 500

Webhook = tuple[WebhookPayload, dict[str, Any]]


class StoreStage:
    """Stores webhooks (the body as it arrived) and the alert occurrences they carry."""

    def __init__(self, sessions: sessionmaker[Session], clock: Clock = utc_now) -> None:
        self._sessions = sessions
        self._clock = clock

    def batch(self, webhooks: Sequence[Webhook]) -> list[int]:
        """Keep several webhooks in one transaction (the group commit); their receipt ids, in order.

        Alerts seen before are updated through the ORM; new ones (all of a storm's) are inserted
        in one executemany, which costs a fraction of building an ORM object per alert and keeps
        the webhooks waiting on this commit to milliseconds. Webhooks of one batch may carry the
        same alert (an HA pair's twins arrive together): the second updates the first's values.
        A replica sharing the store may insert the same new alert at the same moment: see
        ``_insert_unseen``.
        """
        now = self._clock()
        with self._sessions.begin() as session:
            known = alert_rows(session, [a for payload, _ in webhooks for a in payload.alerts])
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


def stored_alerts(
    session: Session, payload: WebhookPayload, notify_resolved: Collection[str] | None
) -> list[StoredAlert]:
    """The alerts of a stored webhook worth telling, each with its row: every firing one, and
    the resolved ones of the families in ``notify_resolved`` (None: every family)."""
    rows = alert_rows(session, payload.alerts)
    return [
        StoredAlert(alert, rows[(alert.fingerprint, alert.starts_at)])
        for alert in payload.alerts
        if alert.status == "firing"
        or notify_resolved is None
        or alert.labels.get("family", "") in notify_resolved
    ]


def alert_rows(
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
    rows = alert_rows(session, [alert for news in raced for alert, _ in news])
    for news in raced:
        for alert, truncated in news:
            _update_row(rows[(alert.fingerprint, alert.starts_at)], alert, now, truncated)


def webhook_alert(row: Alert, status: str) -> WebhookAlert:
    """A stored alert in the shape a webhook gives it, to tell it again (escalation, failover,
    a resolution Alertmanager muted)."""
    return WebhookAlert.model_validate(
        {
            "status": status,
            "labels": row.labels,
            "annotations": row.annotations,
            "startsAt": row.starts_at,
            "endsAt": row.ends_at,
            "generatorURL": row.generator_url,
            "fingerprint": row.fingerprint,
        }
    )

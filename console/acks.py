"""Acknowledging from the console: the ack row and the Alertmanager silence go together.

An ack records who and when (``via="console"``), which stops escalation, and silences that
exact alert in Alertmanager until it resolves or until the chosen time. Unack deletes the
alert's acks and expires the silence; a resolved alert's silence is expired by
:meth:`AckService.expire_resolved`, so the same alert firing again is not hidden.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import Select, delete, select
from sqlalchemy.orm import Session, sessionmaker

from console.silences import SilenceClient
from console.store import Acknowledgement, Alert, AlertSilence

MAX_NOTE = 2000


class UnknownAlertError(LookupError):
    """No alert with that id."""


class AckTimeError(ValueError):
    """The chosen end of the silence is not in the future."""


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime) -> datetime:
    # SQLite hands datetimes back naive; the store keeps UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class AckService:
    """Ack and unack over the store and (when configured) Alertmanager's silences."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        silences: SilenceClient | None,
        silence_days: float = 7.0,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self._sessions = sessions
        self._silences = silences
        self._longest = timedelta(days=silence_days)
        self._clock = clock

    def acknowledge(
        self, alert_id: int, by: str, note: str = "", until: datetime | None = None
    ) -> Acknowledgement:
        """Record the ack and silence the alert; an alert already acked keeps its first ack.

        If Alertmanager refuses the silence, :class:`SilenceError` propagates and nothing
        is stored, so the user can retry. A naive ``until`` is taken as UTC.
        """
        now = self._clock()
        note = note.strip()[:MAX_NOTE]
        if until is not None:
            until = _aware(until)
            if until <= now:
                raise AckTimeError(f"silence end {until.isoformat()} is not in the future")
        with self._sessions.begin() as session:
            alert = session.get(Alert, alert_id)
            if alert is None:
                raise UnknownAlertError(alert_id)
            existing = session.scalar(
                select(Acknowledgement)
                .where(Acknowledgement.alert_id == alert_id)
                .order_by(Acknowledgement.at)
                .limit(1)
            )
            if existing is not None:
                return existing
            ack = Acknowledgement(alert_id=alert_id, by=by, at=now, via="console", note=note)
            session.add(ack)
            if self._silences is not None and alert.status == "firing":
                ends_at = min(until, now + self._longest) if until else now + self._longest
                silence_id = self._silences.create(
                    {str(k): str(v) for k, v in alert.labels.items()},
                    now,
                    ends_at,
                    by,
                    note or f"Acknowledged in the Chargekeeper console (alert {alert_id})",
                )
                session.add(AlertSilence(alert_id=alert_id, silence_id=silence_id, ends_at=ends_at))
        return ack

    def unacknowledge(self, alert_id: int) -> None:
        """Delete the alert's acks (escalation resumes) and expire its silences."""
        with self._sessions.begin() as session:
            if session.get(Alert, alert_id) is None:
                raise UnknownAlertError(alert_id)
            self._expire(session, select(AlertSilence).where(AlertSilence.alert_id == alert_id))
            session.execute(delete(Acknowledgement).where(Acknowledgement.alert_id == alert_id))

    def close(self) -> None:
        if self._silences is not None:
            self._silences.close()

    def expire_resolved(self) -> int:
        """Expire the silences of alerts that have resolved since; how many were expired."""
        with self._sessions.begin() as session:
            return self._expire(
                session,
                select(AlertSilence)
                .join(Alert, Alert.id == AlertSilence.alert_id)
                .where(Alert.status == "resolved"),
            )

    def _expire(self, session: Session, query: Select[AlertSilence]) -> int:
        rows = list(session.scalars(query.where(AlertSilence.expired_at.is_(None))))
        now = self._clock()
        for row in rows:
            if self._silences is not None and _aware(row.ends_at) > now:
                self._silences.expire(row.silence_id)
            row.expired_at = now
        return len(rows)

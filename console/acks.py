"""Acknowledging from the console: the ack row and the Alertmanager silence go together.

An ack records who and when (``via="console"``), which stops escalation, and silences that
exact alert in Alertmanager until it resolves or until the chosen time. Unack deletes the
alert's acks and expires the silence; a resolved alert's silence is expired by
:meth:`AckService.expire_resolved`, so the same alert firing again is not hidden.

Alertmanager mutes a silenced alert's resolution as well as its repeats
(prometheus/alertmanager#226), so no webhook ever says that an acked alert resolved.
:meth:`AckService.resolved_under_silence` learns it by asking Alertmanager whether the alert
is still active; the console's sweeper hands what it finds to the receiver through the
kernel's resolution feed (``chargekeeper.resolutions``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Select, delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from chargekeeper.clock import Clock, assume_utc, utc_now
from chargekeeper.store import Acknowledgement, Alert, AlertSilence
from console.auth.users import Role
from console.silences import SilenceClient

MAX_NOTE = 2000
# Alertmanager keeps alerts in memory only: once restarted, it lists a firing alert again when
# Prometheus resends it (every resend_delay after an evaluation: 1 min by default, 5 s under
# `chargekeeper up`). Until it has been up this long, an alert acked before it started is not
# taken as resolved for being absent.
ALERTMANAGER_SETTLE = timedelta(minutes=2)
RESOLVED_WHILE_SILENCED = (
    "acknowledged alert no longer active in Alertmanager, which mutes a silenced alert's resolution"
)


class UnknownAlertError(LookupError):
    """No alert with that id."""


class AckTimeError(ValueError):
    """The chosen end of the silence is not in the future."""


class AckForbidden(PermissionError):
    """The role may not acknowledge this alert (the stack's own alerts: admins only)."""


class AckService:
    """Ack and unack over the store and (when configured) Alertmanager's silences."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        silences: SilenceClient | None,
        silence_days: float = 7.0,
        clock: Clock = utc_now,
    ) -> None:
        self._sessions = sessions
        self._silences = silences
        self._longest = timedelta(days=silence_days)
        self._clock = clock

    def acknowledge(
        self,
        alert_id: int,
        by: str,
        note: str = "",
        until: datetime | None = None,
        role: Role = Role.TECHNICIAN,
    ) -> Acknowledgement:
        """Record the ack and silence the alert; an alert already acked keeps its first ack.

        If Alertmanager refuses the silence, :class:`SilenceError` propagates and nothing
        is stored, so the user can retry. A naive ``until`` is taken as UTC. An alert
        ``role`` may not acknowledge (``Role.may_acknowledge``) raises :class:`AckForbidden`.
        """
        now = self._clock()
        note = note.strip()[:MAX_NOTE]
        if until is not None:
            until = assume_utc(until)
            if until <= now:
                raise AckTimeError(f"silence end {until.isoformat()} is not in the future")
        with self._sessions.begin() as session:
            alert = session.get(Alert, alert_id)
            if alert is None:
                raise UnknownAlertError(alert_id)
            if not role.may_acknowledge(alert.family):
                raise AckForbidden(f"only an admin may acknowledge {alert.alertname!r}")
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

    def resolved_under_silence(self) -> list[tuple[int, datetime]]:
        """The acked alerts that resolved under their silence: (alert id, when observed).

        Every alert the store holds as firing with a console silence not expired yet is looked
        up in Alertmanager (one query each: acked alerts are few); one no longer active there
        has resolved, observed now. Absence proves nothing while a restarted Alertmanager
        may not have heard of the alert again (:data:`ALERTMANAGER_SETTLE`). The receiver then
        tells the resolution like Alertmanager's own, after which :meth:`expire_resolved`
        expires its silence. :class:`SilenceError` (Alertmanager unreachable or refusing)
        propagates before anything is returned: nothing is concluded from an error.
        """
        if self._silences is None:
            return []
        first_ack = (
            select(Acknowledgement.alert_id, func.min(Acknowledgement.at).label("at"))
            .group_by(Acknowledgement.alert_id)
            .subquery()
        )
        silenced = select(AlertSilence.alert_id).where(AlertSilence.expired_at.is_(None))
        with self._sessions() as session:
            acked = session.execute(
                select(Alert.id, Alert.fingerprint, Alert.labels, first_ack.c.at)
                .outerjoin(first_ack, first_ack.c.alert_id == Alert.id)
                .where(Alert.status == "firing", Alert.id.in_(silenced))
                .order_by(Alert.id)
            ).all()
        if not acked:
            return []
        started = self._silences.started_at()
        settled = started + ALERTMANAGER_SETTLE <= self._clock()
        gone: list[tuple[int, datetime]] = []
        for alert_id, fingerprint, labels, acked_at in acked:
            if not settled and (acked_at is None or acked_at < started):
                continue  # restarted since the ack: it may not know the alert again yet
            if not self._silences.is_active(
                {str(k): str(v) for k, v in labels.items()}, fingerprint
            ):
                gone.append((alert_id, self._clock()))
        return gone

    def _expire(self, session: Session, query: Select[AlertSilence]) -> int:
        rows = list(session.scalars(query.where(AlertSilence.expired_at.is_(None))))
        now = self._clock()
        for row in rows:
            if self._silences is not None and row.ends_at > now:
                self._silences.expire(row.silence_id)
            row.expired_at = now
        return len(rows)

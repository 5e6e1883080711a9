"""The durable outbox: deliveries in the store, claimed and sent by the deliver stage
(``alertmanager.stages.deliver``, one asyncio loop per channel).

A delivery is claimed (``sending``), handed to its channel's notifier in a thread, and then
marked ``sent``, rescheduled with backoff, failed over to the recipient's other channel, or
given up (``dead`` after ``max_attempts``; ``failed`` at once for a permanent error).

Several receiver replicas may share the store (ARCHITECTURE 6), so a claim is a lease: the
delivery records which worker process took it (``claimed_by``, named by
:mod:`alertmanager.leaseowner`) and when (``claimed_at``), and the worker renews it every
quarter of ``lease_timeout`` while the send lasts. A ``sending`` delivery goes back to
``pending`` only when its worker is gone:

- its lease was not renewed for ``lease_timeout`` (the worker died on another machine, or lost
  the store); every worker looks for such leases every quarter of the timeout;
- its worker was a process of this machine that no longer runs (a kill -9 and restart): the
  restarted receiver sees that at once rather than waiting for the lease to run out;
- it has no lease (left by a release before leases), or this very outbox took it and its
  worker is starting again.

Delivery stays at least once: the window for a duplicate is the moment between the provider's
acceptance and the commit, or a worker stalled for longer than its lease.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from alertmanager.leaseowner import process_is_gone, this_process
from alertmanager.notify import DeliveryError, OutgoingMessage
from chargekeeper.clock import Clock, utc_now
from chargekeeper.store import Delivery, DeliveryState

log = logging.getLogger(__name__)

# Builds the failover delivery for a failing one (None when there is nothing to fail over to).
FailoverFactory = Callable[[Session, Delivery], Delivery | None]


@dataclass(frozen=True)
class RetryPolicy:
    """Backoff doubling from ``base_delay`` up to ``max_delay``.

    With the defaults a message is tried 8 times over about 12 minutes before it is dead, and
    the other channel is tried from the 3rd failure on (about 6 s after the first attempt), so
    an SMTP outage reaches the technician by SMS quickly.

    ``lease_timeout``: how long a claim lasts unrenewed before another worker sends the message
    again. 60 s, renewed every 15 s while the send lasts. Renewal makes the lease independent
    of how long a send takes (smtplib's and Twilio's 10 s timeouts apply per network operation,
    so one SMTP exchange may legitimately take several times 10 s, plus a rate-limit wait); the
    timeout only has to outlast missed renewals: three in a row, a 45 s stall of the worker or
    of the store, before a live send loses its lease. Six times the notifiers' timeouts, so
    even an unrenewed ordinary timeout keeps it. Shorter would risk a duplicate on a busy
    machine; longer delays the message a replica dying on another machine was sending (at most
    one per channel; sent again within 75 s: the timeout plus one look). Replicas' clocks must
    agree to well within the 45 s margin (NTP does to milliseconds).
    """

    max_attempts: int = 8
    base_delay: float = 2.0
    max_delay: float = 300.0
    failover_after: int = 3
    lease_timeout: float = 60.0

    def delay(self, attempts: int) -> float:
        return float(min(self.max_delay, self.base_delay * 2 ** max(0, attempts - 1)))

    @property
    def lease_renewal(self) -> float:
        """Seconds between renewals of a lease, and between looks for abandoned ones."""
        return self.lease_timeout / 4


class Outbox:
    """The outbox's state changes, each one short transaction."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        policy: RetryPolicy = RetryPolicy(),
        failover: FailoverFactory | None = None,
        clock: Clock = utc_now,
        owner: str | None = None,
    ) -> None:
        self._sessions = sessions
        self.policy = policy
        self._failover = failover
        self._clock = clock
        # Who this outbox's leases name: the process, unless a test plays several replicas.
        self.owner = owner or this_process()

    def recover(self, starting: bool = True) -> int:
        """Put back in the queue what a worker that is gone left ``sending``; return how many.

        Gone: its lease ran out, it was a process of this machine that no longer runs, or the
        delivery has no lease (a release before leases left it). ``starting``: this outbox's
        worker is starting, so what this outbox claimed is not being sent either.
        """
        cutoff = self._clock() - timedelta(seconds=self.policy.lease_timeout)
        with self._sessions.begin() as session:
            owners = session.scalars(
                select(Delivery.claimed_by)
                .where(Delivery.state == DeliveryState.SENDING, Delivery.claimed_by.is_not(None))
                .distinct()
            ).all()
            gone = [owner for owner in owners if owner is not None and process_is_gone(owner)]
            if starting:
                gone.append(self.owner)
            abandoned = session.scalars(
                select(Delivery.id)
                .where(
                    Delivery.state == DeliveryState.SENDING,
                    or_(
                        Delivery.claimed_at.is_(None),
                        Delivery.claimed_at < cutoff,
                        Delivery.claimed_by.in_(gone),
                    ),
                )
                .order_by(Delivery.id)
                # A row another transaction holds is being renewed (its worker lives) or
                # recovered by another replica: leave it rather than wait (PostgreSQL).
                .with_for_update(skip_locked=True)
            ).all()
            if abandoned:
                session.execute(
                    update(Delivery)
                    .where(Delivery.id.in_(abandoned))
                    .values(state=DeliveryState.PENDING)
                )
        recovered = len(abandoned)
        if recovered:
            log.warning(
                "%d delivery(ies) left sending by a worker that is gone: queued again", recovered
            )
        return recovered

    def renew(self, delivery_id: int) -> bool:
        """Extend this outbox's lease on a delivery it is sending; False if the lease was lost
        (the delivery was recovered meanwhile: it may be sent twice)."""
        with self._sessions.begin() as session:
            result = session.execute(
                update(Delivery)
                .where(
                    Delivery.id == delivery_id,
                    Delivery.state == DeliveryState.SENDING,
                    Delivery.claimed_by == self.owner,
                )
                .values(claimed_at=self._clock())
            )
            return bool(getattr(result, "rowcount", 0))

    def claim(self, channel: str, limit: int = 20) -> list[OutgoingMessage]:
        """Mark due deliveries of ``channel`` as sending and return them, oldest first."""
        now = self._clock()
        with self._sessions.begin() as session:
            rows = session.scalars(
                select(Delivery)
                .where(
                    Delivery.channel == channel,
                    Delivery.state == DeliveryState.PENDING,
                    Delivery.next_attempt_at <= now,
                )
                .order_by(Delivery.next_attempt_at, Delivery.id)
                .limit(limit)
                # Replicas sharing PostgreSQL pass over rows another is claiming (SQLite's
                # single writer needs no row locks: SQLAlchemy leaves the clause out there).
                .with_for_update(skip_locked=True)
            ).all()
            for row in rows:
                row.state = DeliveryState.SENDING
                row.claimed_by = self.owner
                row.claimed_at = now
            return [_outgoing(row) for row in rows]

    def next_due(self, channel: str) -> datetime | None:
        """When the next pending delivery of ``channel`` is due."""
        with self._sessions() as session:
            return session.scalar(
                select(func.min(Delivery.next_attempt_at)).where(
                    Delivery.channel == channel, Delivery.state == DeliveryState.PENDING
                )
            )

    def mark_sent(self, delivery_id: int, provider_id: str) -> None:
        with self._sessions.begin() as session:
            row = session.get_one(Delivery, delivery_id)
            self._warn_if_lease_lost(row)
            row.state = DeliveryState.SENT
            row.attempts += 1
            row.sent_at = self._clock()
            row.provider_id = provider_id[:255]

    def mark_failed(self, delivery_id: int, error: DeliveryError) -> DeliveryState:
        """Record a failed attempt and decide what comes next; return the new state."""
        with self._sessions.begin() as session:
            row = session.get_one(Delivery, delivery_id)
            self._warn_if_lease_lost(row)
            row.attempts += 1
            row.failure_reason = error.reason
            row.failure_detail = error.detail[:2000]
            if not error.retryable:
                row.state = DeliveryState.FAILED
            elif row.attempts >= self.policy.max_attempts:
                row.state = DeliveryState.DEAD
            else:
                row.state = DeliveryState.PENDING
                delay = timedelta(seconds=self.policy.delay(row.attempts))
                row.next_attempt_at = self._clock() + delay
            if row.state != DeliveryState.PENDING or row.attempts == self.policy.failover_after:
                self.fail_over(session, row)
            return row.state

    def _warn_if_lease_lost(self, row: Delivery) -> None:
        # The outcome is recorded all the same: it is the truth about this attempt.
        if row.state != DeliveryState.SENDING or row.claimed_by != self.owner:
            log.warning(
                "delivery %d: lease lost during the send (now %s by %s): it may go out twice",
                row.id,
                row.state.value,
                row.claimed_by,
            )

    def fail_over(self, session: Session, row: Delivery) -> None:
        """Enqueue ``row``'s news on the recipient's other channel, once, if there is one."""
        if self._failover is None or row.failover_of_id is not None:
            return  # a failover delivery does not fail back
        already = session.scalar(select(Delivery.id).where(Delivery.failover_of_id == row.id))
        if already is not None:
            return
        other = self._failover(session, row)
        if other is not None:
            session.add(other)
            log.warning(
                "delivery %d (%s to %s) failing: failing over to %s",
                row.id,
                row.channel,
                row.recipient_id,
                other.channel,
            )


def _outgoing(row: Delivery) -> OutgoingMessage:
    return OutgoingMessage(
        delivery_id=row.id,
        dedup_key=row.dedup_key,
        channel=row.channel,
        address=row.address,
        recipient_name=row.recipient_name,
        language=row.language,
        subject=row.subject,
        body_text=row.body_text,
        body_html=row.body_html,
    )

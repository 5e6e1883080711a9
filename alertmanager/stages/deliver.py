"""Stage 'deliver', in the outbox worker: send what the record stage queued, with retry.

One loop per channel claims what is due (a lease, ``alertmanager.outbox``), hands it to the
channel's notifier in a thread, and records the outcome: sent, tried again later with backoff,
failed over to the recipient's other channel, or given up. A sender's rate (Twilio meters SMS
in segments per second) is kept by :class:`RateLimiter`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping

from alertmanager import gsm
from alertmanager.metrics import ReceiverMetrics
from alertmanager.notify import DeliveryError, Notifier, OutgoingMessage, RetryableDeliveryError
from alertmanager.outbox import Outbox
from chargekeeper.blocking import BlockingCalls
from chargekeeper.clock import Clock, utc_now
from chargekeeper.store import DeliveryState

log = logging.getLogger(__name__)


class RateLimiter:
    """At most ``rate`` units per second from one sender; callers queue in ``wait``.

    A send goes at once when the sender is idle and then holds it for ``units / rate`` seconds,
    as a provider releases a message: Twilio meters SMS in segments per second per sender.
    """

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._interval = 1.0 / rate if rate > 0 else 0.0
        self._clock = clock
        self._next = 0.0

    async def wait(self, units: float = 1.0) -> None:
        now = self._clock()
        if self._next > now:
            await asyncio.sleep(self._next - now)
            now = self._clock()
        self._next = max(now, self._next) + units * self._interval


def rate_units(message: OutgoingMessage) -> int:
    """What a message costs against its sender's rate: SMS segments, else one."""
    return gsm.segments(message.body_text) if message.channel == "sms" else 1


def _send_classified(notifier: Notifier, message: OutgoingMessage) -> str:
    try:
        return notifier.send(message)
    except DeliveryError:
        raise
    except Exception as exc:
        # A notifier bug must not stop the loop nor lose the message: retry it, loudly.
        log.exception("notifier %s raised unexpectedly", notifier.channel)
        raise RetryableDeliveryError("provider", repr(exc)) from exc


class OutboxWorker:
    """One loop per channel: claim what is due, send it, record the outcome."""

    def __init__(
        self,
        outbox: Outbox,
        notifiers: Mapping[str, Notifier],
        metrics: ReceiverMetrics,
        limiters: Mapping[str, RateLimiter] | None = None,
        poll_interval: float = 1.0,
        clock: Clock = utc_now,
        lease_renewal: float | None = None,
        blocking: BlockingCalls | None = None,
    ) -> None:
        self.outbox = outbox
        # Where the store and notifier calls run, so that stopping can wait for them.
        self.blocking = blocking or BlockingCalls("outbox")
        self._notifiers = notifiers
        self._metrics = metrics
        self._limiters = dict(limiters or {})
        self._poll = poll_interval
        self._clock = clock
        # Seconds between lease renewals and looks for abandoned leases (the policy's unless a
        # test with its own clock needs them faster).
        self._lease_renewal = lease_renewal or outbox.policy.lease_renewal
        self._wakeups = {channel: asyncio.Event() for channel in notifiers}

    def wake(self) -> None:
        """New deliveries are queued: look now rather than at the next poll."""
        for event in self._wakeups.values():
            event.set()

    async def run(self) -> None:
        """Run every channel's loop until cancelled."""
        await self.blocking.run(self.outbox.recover, True)
        async with asyncio.TaskGroup() as group:
            for channel in self._notifiers:
                group.create_task(self._channel_loop(channel), name=f"outbox-{channel}")
            group.create_task(self._recover_loop(), name="outbox-recover")

    async def _recover_loop(self) -> None:
        """Send again what a worker that is gone (another replica) left sending."""
        while True:
            await asyncio.sleep(self._lease_renewal)
            try:
                recovered = await self.blocking.run(self.outbox.recover, False)
            except Exception:
                log.exception("looking for abandoned deliveries failed: trying again later")
                continue
            if recovered:
                self.wake()

    @contextlib.asynccontextmanager
    async def _lease_kept(self, delivery_id: int) -> AsyncIterator[None]:
        """Renew the lease on ``delivery_id`` while the block runs."""
        renewing = asyncio.create_task(self._renew(delivery_id))
        try:
            yield
        finally:
            renewing.cancel()
            # Waited for without awaiting it: its CancelledError is not ours to catch, and a
            # cancellation of this task arriving meanwhile must go on (suppressing it here hung
            # the worker's shutdown).
            await asyncio.wait([renewing])

    async def _renew(self, delivery_id: int) -> None:
        while True:
            await asyncio.sleep(self._lease_renewal)
            try:
                kept = await self.blocking.run(self.outbox.renew, delivery_id)
            except Exception:
                log.exception("renewing the lease on delivery %d failed", delivery_id)
                continue
            if not kept:
                log.warning("delivery %d: lease lost while sending", delivery_id)
                return

    async def _channel_loop(self, channel: str) -> None:
        wakeup = self._wakeups[channel]
        while True:
            wakeup.clear()
            # One at a time: a killed process can then have at most one message per channel
            # in flight, which bounds the duplicates at-least-once delivery can cause.
            batch = await self.blocking.run(self.outbox.claim, channel, 1)
            for message in batch:
                await self._send(channel, message)
            if batch:
                continue
            await self._sleep_until_due(channel, wakeup)

    async def _sleep_until_due(self, channel: str, wakeup: asyncio.Event) -> None:
        due = await self.blocking.run(self.outbox.next_due, channel)
        timeout = self._poll
        if due is not None:
            timeout = min(timeout, max(0.0, (due - self._clock()).total_seconds()))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wakeup.wait(), timeout)

    async def _send(self, channel: str, message: OutgoingMessage) -> None:
        async with self._lease_kept(message.delivery_id):
            await self._send_leased(channel, message)

    async def _send_leased(self, channel: str, message: OutgoingMessage) -> None:
        limiter = self._limiters.get(channel)
        if limiter is not None:
            await limiter.wait(rate_units(message))
        notifier = self._notifiers[channel]
        try:
            provider_id = await self.blocking.run(_send_classified, notifier, message)
        except DeliveryError as error:
            self._metrics.failed.labels(channel, error.reason).inc()
            state = await self.blocking.run(self.outbox.mark_failed, message.delivery_id, error)
            log.warning(
                "delivery %d by %s to %s failed (%s): %s",
                message.delivery_id,
                channel,
                message.address,
                state.value,
                error,
            )
            if state in (DeliveryState.DEAD, DeliveryState.FAILED):
                self._metrics.dead.labels(channel).inc()
            self.wake()  # a failover delivery may be due now
            return
        self._metrics.sent.labels(channel).inc()
        await self.blocking.run(self.outbox.mark_sent, message.delivery_id, provider_id)

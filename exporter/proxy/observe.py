"""Watching a relayed conversation, after forwarding and off the forwarding path.

The relay hands every frame to :class:`Observer` once it has been sent on; the observer only
puts it in a bounded queue (never waits), and its own task does the parsing. A full queue
drops the observation, not the frame, and counts it; a frame that cannot be parsed or a bug
here is counted and logged and has no effect on the relay.

The charger's frames go through the same :class:`~exporter.session.Session` as in standalone
mode, so the fleet state reaches exactly what standalone mode reaches from the same frames; the
replies the session computes are discarded: in proxy mode the CSMS answers. The CSMS's
CALLRESULTs and CALLERRORs are paired with the charger's CALLs by message id and reported to
``on_answer`` with the action and the CSMS's response time (the seam for the metrics only a
proxy sees).

One answer does change the fleet state: in OCPP 1.6 the central system numbers transactions,
so the id the session gave a StartTransaction is replaced by the CSMS's from its CALLRESULT;
the charger's MeterValues and StopTransaction carry the CSMS's id, which must find it.

A message id the charger reuses while its CALL is still unanswered breaks OCPP-J's uniqueness
rule. Standalone mode has no rule of its own for it (it answers each CALL), and here the CSMS
decides: the frame is relayed, logged once per connection, and the earlier CALL stays the one
the answer is paired with.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chargekeeper.untrusted import MAX_CODE, clean
from exporter import frames
from exporter.frames import FrameError, MessageId
from exporter.proxy.metrics import DROPPED, OBSERVER_ERROR, UNPARSABLE, ProxyMetrics
from exporter.session import Session

log = logging.getLogger(__name__)

# Frames waiting to be watched per connection. OCPP allows one outstanding CALL per direction,
# so a conversation rarely has more than a few frames in flight; the bound only matters when
# the event loop is saturated, where dropping observations beats growing without limit.
QUEUE_SIZE = 64
# CALLs awaiting their answer per connection (same reasoning): an unanswered CALL is forgotten
# when this many newer ones are pending.
MAX_PENDING_CALLS = 16

START_TRANSACTION = "StartTransaction"  # 1.6 only: 2.0.1 chargers number their own

FROM_CHARGER = "charger"
FROM_CSMS = "csms"


@dataclass(frozen=True, slots=True)
class UpstreamAnswer:
    """The CSMS's answer to one of the charger's CALLs."""

    charge_point_id: str
    action: str
    seconds: float  # from forwarding the CALL to forwarding its answer
    payload: dict[str, Any] | None  # the CALLRESULT's payload; None for a CALLERROR
    error_code: str | None  # the CALLERROR's code as the CSMS spelled it, sanitised


AnswerSink = Callable[[UpstreamAnswer], None]


class Observer:
    """One relayed connection's watcher: :meth:`from_charger`/:meth:`from_csms` never block."""

    def __init__(
        self,
        session: Session,
        metrics: ProxyMetrics,
        on_answer: AnswerSink | None = None,
        *,
        queue_size: int = QUEUE_SIZE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.charge_point_id = session.charge_point_id
        self._session = session
        self._metrics = metrics
        self._on_answer = on_answer
        self._clock = clock
        self._queue: asyncio.Queue[tuple[str, str | bytes, float]] = asyncio.Queue(queue_size)
        # msg id -> (action, when forwarded, the session's own 1.6 transactionId or None)
        self._pending: OrderedDict[MessageId, tuple[str, float, int | None]] = OrderedDict()
        self._reuse_logged = False

    def from_charger(self, frame: str | bytes) -> None:
        self._enqueue(FROM_CHARGER, frame)

    def from_csms(self, frame: str | bytes) -> None:
        self._enqueue(FROM_CSMS, frame)

    def _enqueue(self, source: str, frame: str | bytes) -> None:
        try:
            self._queue.put_nowait((source, frame, self._clock()))
        except asyncio.QueueFull:
            self._metrics.observations_lost.labels(DROPPED).inc()

    async def run(self) -> None:
        """Watch queued frames until cancelled; nothing raised here reaches the relay."""
        while True:
            source, frame, at = await self._queue.get()
            self.observe(source, frame, at)

    def drain(self) -> None:
        """Watch what is still queued (the connection ended; the frames were forwarded)."""
        while not self._queue.empty():
            self.observe(*self._queue.get_nowait())

    def expire(self, timeout: float) -> list[str]:
        """The actions of the charger's CALLs unanswered for more than ``timeout`` seconds,
        oldest first, forgotten: an answer arriving later is not paired with them."""
        older_than = self._clock() - timeout
        expired = []
        pending = self._pending
        while pending:
            msg_id, (action, forwarded_at, _) = next(iter(pending.items()))
            if forwarded_at > older_than:
                break
            del pending[msg_id]
            expired.append(action)
        return expired

    def observe(self, source: str, frame: str | bytes, at: float) -> None:
        try:
            if source == FROM_CHARGER:
                self._charger_frame(frame, at)
            else:
                self._csms_frame(frame, at)
        except Exception:
            self._metrics.observations_lost.labels(OBSERVER_ERROR).inc()
            log.exception("charger %r: watching a relayed frame failed", self.charge_point_id)

    def _charger_frame(self, frame: str | bytes, at: float) -> None:
        # Replies discarded: the CSMS answers. Unparsable frames are counted by the session as
        # in standalone mode (protocol_errors_total, the CALLERROR it would have sent).
        try:
            message = frames.decode(frame)
        except FrameError:
            self._session.handle(frame)  # counted as standalone counts it
            return
        replies = self._session.handle_decoded(message, frame)
        if message[0] != frames.CALL:
            return
        try:
            msg_id = frames.message_id(message)
            action, _ = frames.call_parts(message, msg_id)
        except FrameError:
            return
        if msg_id in self._pending:
            self._reused(msg_id, action)
            return
        local_id = _own_transaction_id(replies) if action == START_TRANSACTION else None
        self._pending[msg_id] = (action, at, local_id)
        while len(self._pending) > MAX_PENDING_CALLS:
            self._pending.popitem(last=False)

    def _csms_frame(self, frame: str | bytes, at: float) -> None:
        try:
            message = frames.decode(frame)
            message_type = message[0]
            msg_id = frames.message_id(message)
        except FrameError as error:
            self._unparsable(frame, error.description)
            return
        if message_type == frames.CALL:
            return  # a CSMS-initiated CALL: the charger's answer is watched by the session
        if message_type not in (frames.CALLRESULT, frames.CALLERROR):
            self._unparsable(frame, "message type must be 2, 3 or 4")
            return
        pending = self._pending.pop(msg_id, None)
        if pending is None:
            return  # an answer to a CALL we did not see (dropped, or sent before a restart)
        action, called_at, local_id = pending
        if message_type == frames.CALLRESULT:
            payload = message[2] if len(message) > 2 and type(message[2]) is dict else None
            if local_id is not None and payload is not None:
                self._adopt_transaction_id(local_id, payload.get("transactionId"))
            answer = UpstreamAnswer(self.charge_point_id, action, at - called_at, payload, None)
        else:
            code = (clean(message[2], MAX_CODE) if len(message) > 2 else None) or "unreadable"
            answer = UpstreamAnswer(self.charge_point_id, action, at - called_at, None, code)
        if self._on_answer is not None:
            self._on_answer(answer)

    def _adopt_transaction_id(self, local_id: int, csms_id: object) -> None:
        """Track the transaction under the CSMS's id instead of the one the session gave."""
        if type(csms_id) is not int or csms_id == local_id:
            return  # no usable id: the charger cannot use it either
        # Session keeps its FleetState private; a public accessor is asked of its owner.
        state = self._session.state
        charger = state.charger(self.charge_point_id)
        connector_id = state.transaction_connector(charger, local_id)
        if connector_id is not None:
            state.start_transaction(charger, connector_id, csms_id)

    def _reused(self, msg_id: MessageId, action: str) -> None:
        if self._reuse_logged:
            return
        self._reuse_logged = True
        log.info(
            "charger %r: message id %r reused for %s while its earlier CALL is unanswered "
            "(relayed; the CSMS decides; logged once per connection)",
            self.charge_point_id,
            clean(msg_id, MAX_CODE),
            clean(action, MAX_CODE),
        )

    def _unparsable(self, frame: str | bytes, why: str) -> None:
        self._metrics.observations_lost.labels(UNPARSABLE).inc()
        log.info(
            "charger %r: the CSMS sent a frame that is not OCPP-J (%s), forwarded as is: %r",
            self.charge_point_id,
            why,
            frame[:120],
        )


def _own_transaction_id(replies: list[str]) -> int | None:
    """The transactionId the session's CALLRESULT to a StartTransaction carries, if any."""
    try:
        reply = frames.decode(replies[0]) if replies else None
    except FrameError:
        return None
    if reply is None or reply[0] != frames.CALLRESULT or type(reply[2]) is not dict:
        return None
    local_id = reply[2].get("transactionId")
    return local_id if type(local_id) is int else None

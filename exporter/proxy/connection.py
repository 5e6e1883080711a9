"""Proxy mode for one charger connection, from the opening handshake to the close.

:class:`Proxy` is what :class:`~exporter.server.OcppServer` calls when ``--upstream`` is set:
:meth:`Proxy.open` during the charger's handshake (after the server's own refusals: id,
subprotocol header, local authentication, fleet admission), :meth:`Proxy.subprotocol` to
complete it with the CSMS's choice, and :meth:`Proxy.relay` once the charger's websocket is
open. An upstream leg opened for a handshake that then fails is closed when the charger's TCP
connection goes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from websockets.asyncio.client import ClientConnection
from websockets.asyncio.server import ServerConnection
from websockets.frames import CloseCode
from websockets.typing import Subprotocol

from exporter.proxy.metrics import ProxyMetrics
from exporter.proxy.observe import AnswerSink, Observer
from exporter.proxy.relay import (
    LegOptions,
    Relay,
    UpstreamRefused,
    UpstreamUnreachable,
    open_upstream,
    refusal_status,
)
from exporter.proxy.upstream import Upstreams
from exporter.proxy.upstream_metrics import UpstreamMetrics
from exporter.security import Refusal
from exporter.session import Session

log = logging.getLogger(__name__)


class Proxy:
    """Relays each charger to its CSMS and watches the conversation."""

    def __init__(
        self,
        upstreams: Upstreams,
        options: LegOptions,
        metrics: ProxyMetrics,
        on_answer: AnswerSink | None = None,
        upstream_metrics: UpstreamMetrics | None = None,
    ) -> None:
        self.upstreams = upstreams
        self.options = options
        self.metrics = metrics
        self.upstream_metrics = upstream_metrics
        if on_answer is None and upstream_metrics is not None:
            on_answer = upstream_metrics.answer
        self.on_answer = on_answer
        # Upstream legs opened during a handshake, until the charger's websocket is open.
        self._pending: dict[ServerConnection, ClientConnection] = {}
        self._background: set[asyncio.Task[None]] = set()

    async def open(
        self,
        connection: ServerConnection,
        charge_point_id: str,
        offered: Sequence[Subprotocol],
        authorization: str | None,
    ) -> Refusal | None:
        """Open the upstream leg for a charger's handshake.

        ``offered`` is what the charger offered that the collector can watch; empty, nothing
        is opened (the server completes the handshake without a subprotocol and closes, as
        OCPP-J 3.2 requires). A CSMS refusal comes back as the :class:`Refusal` to answer the
        charger with; :class:`UpstreamUnreachable` means the charger's connection is dropped.
        """
        if not offered:
            return None
        url = self.upstreams.url_for(charge_point_id)
        upstream_metrics = self.upstream_metrics
        if upstream_metrics is not None:
            upstream_metrics.connecting(charge_point_id)
        try:
            upstream = await open_upstream(
                url, offered, authorization, self.options, self.upstreams.ssl_for(url)
            )
        except UpstreamRefused as refused:
            self.metrics.upstream_failures.labels("refused").inc()
            if upstream_metrics is not None:
                upstream_metrics.connect_failed(charge_point_id, "refused")
            log.info(
                "charger %r: the CSMS refused it with HTTP %d", charge_point_id, refused.status
            )
            return Refusal(
                refusal_status(refused.status), refused.body, "upstream_refused", refused.headers
            )
        except UpstreamUnreachable as unreachable:
            self.metrics.upstream_failures.labels("unreachable").inc()
            if upstream_metrics is not None:
                upstream_metrics.connect_failed(charge_point_id, "unreachable")
            log.warning("charger %r: cannot reach its CSMS: %s", charge_point_id, unreachable)
            raise
        self._pending[connection] = upstream
        connection.connection_lost_waiter.add_done_callback(lambda _: self.discard(connection))
        return None

    def subprotocol(self, connection: ServerConnection) -> Subprotocol | None:
        """The subprotocol the CSMS chose for this charger's handshake (None: it chose none)."""
        upstream = self._pending.get(connection)
        return upstream.subprotocol if upstream is not None else None

    def discard(self, connection: ServerConnection) -> None:
        """Close the upstream leg of a handshake that will not be relayed."""
        upstream = self._pending.pop(connection, None)
        if upstream is None:
            return
        task = asyncio.create_task(upstream.close(CloseCode.GOING_AWAY, "charger went away"))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def relay(self, charger: ServerConnection, session: Session) -> None:
        """Relay until either leg closes; both are closed on return."""
        upstream = self._pending.pop(charger, None)
        if upstream is None:  # the handshake's upstream leg already went away
            await charger.close(CloseCode.GOING_AWAY, "upstream connection closed")
            return
        charge_point_id = session.charge_point_id
        observer = Observer(session, self.metrics, self.on_answer)
        watching = asyncio.create_task(observer.run(), name=f"observe-{charge_point_id}")
        upstream_metrics = self.upstream_metrics
        expiring: asyncio.Task[None] | None = None
        if upstream_metrics is not None:
            upstream_metrics.leg_opened(charge_point_id)
            expiring = asyncio.create_task(
                _expire_unanswered(observer, upstream_metrics), name=f"expire-{charge_point_id}"
            )
        try:
            await Relay(charger, upstream, observer.from_charger, observer.from_csms).run()
            await asyncio.gather(charger.wait_closed(), upstream.wait_closed())
        finally:
            watching.cancel()
            observer.drain()
            if upstream_metrics is not None and expiring is not None:
                expiring.cancel()
                upstream_metrics.leg_closed(charge_point_id)

    async def stop(self) -> None:
        for connection in list(self._pending):
            self.discard(connection)
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)


async def _expire_unanswered(observer: Observer, metrics: UpstreamMetrics) -> None:
    """Count the charger's CALLs the CSMS leaves unanswered for ``metrics.call_timeout`` as
    error_code Timeout, and forget them: a later answer is not timed (the charger has given
    up on it)."""
    timeout = metrics.call_timeout
    while True:
        await asyncio.sleep(timeout / 4)  # so a timeout is counted at most a quarter late
        for action in observer.expire(timeout):
            metrics.timed_out(observer.charge_point_id, action)

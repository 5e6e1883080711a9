"""Proxy mode for one charger connection, from the opening handshake to the close.

:class:`Proxy` is what :class:`~exporter.server.OcppServer` calls when ``--upstream`` is set:
:meth:`Proxy.open` during the charger's handshake (after the server's own refusals: id,
subprotocol header, local authentication, fleet admission), :meth:`Proxy.subprotocol` to
complete it with the CSMS's choice, and :meth:`Proxy.relay` once the charger's websocket is
open. An upstream leg opened for a handshake that then fails is closed when the charger's TCP
connection goes.

Failed logins: a CSMS that answers a charger's handshake with 401 or 403 counts as a failed
login in the server's own limiter (:class:`~exporter.security.Authenticator`, per charger id
and remote address, as standalone), and a blocked charger is answered 429 before the CSMS is
contacted: a charger retrying with a wrong password, or someone guessing, does not reach the
CSMS (which may lock the charger's account) more often than it would reach a standalone one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from http import HTTPStatus

from websockets.asyncio.client import ClientConnection
from websockets.asyncio.server import ServerConnection
from websockets.frames import CloseCode
from websockets.typing import Subprotocol

from exporter.proxy.credentials import UpstreamCredentials
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
from exporter.security import Authenticator, Refusal
from exporter.session import Session

log = logging.getLogger(__name__)

# The CSMS's answers that mean "wrong credentials" (Basic auth or a refused account).
LOGIN_REFUSED = (HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN)


class Proxy:
    """Relays each charger to its CSMS and watches the conversation."""

    def __init__(
        self,
        upstreams: Upstreams,
        options: LegOptions,
        metrics: ProxyMetrics,
        on_answer: AnswerSink | None = None,
        upstream_metrics: UpstreamMetrics | None = None,
        *,
        logins: Authenticator | None = None,
        credentials: UpstreamCredentials | None = None,
    ) -> None:
        """``logins``: the server's authenticator, whose failed-login limiter the CSMS's
        refusals feed. ``credentials``: what the CSMS gets instead of the charger's
        ``Authorization`` header (the charger's password is then checked locally)."""
        self.upstreams = upstreams
        self.logins = logins
        self.credentials = credentials
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
        OCPP-J 3.2 requires). ``authorization`` is the charger's header, passed on unless
        :attr:`credentials` replace it. A charger blocked by the failed-login limiter is
        answered 429 without contacting the CSMS. A CSMS refusal comes back as the
        :class:`Refusal` to answer the charger with; :class:`UpstreamUnreachable` means the
        charger's connection is dropped.
        """
        if not offered:
            return None
        remote = remote_host(connection)
        if self.logins is not None:
            blocked = self.logins.blocked(charge_point_id, remote)
            if blocked is not None:
                return blocked
        if self.credentials is not None:
            authorization = self.credentials.authorization(charge_point_id)
            if authorization is None:
                log.warning(
                    "charger %r: refused, no line for it in --upstream-credentials %s (add "
                    "'<charge point id> <password>' with its CSMS password)",
                    charge_point_id,
                    self.credentials.path,
                )
                return Refusal(
                    HTTPStatus.FORBIDDEN,
                    "this proxy has no CSMS credentials for this charge point id\n",
                    "upstream_credentials_missing",
                )
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
            login_refused = refused.status in LOGIN_REFUSED
            if login_refused and self.logins is not None:
                self.logins.login_failed(charge_point_id, remote)
            if login_refused and self.credentials is not None:
                log.warning(
                    "charger %r: the CSMS refused the proxy's credentials for it with HTTP %d: "
                    "check its line in --upstream-credentials %s",
                    charge_point_id,
                    refused.status,
                    self.credentials.path,
                )
            else:
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
        if self.logins is not None:
            self.logins.login_succeeded(charge_point_id, remote)
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


def remote_host(connection: ServerConnection) -> str:
    """The charger's TCP peer address, the failed-login limiter's key (as the server's)."""
    address = connection.remote_address
    if isinstance(address, tuple) and address:
        return str(address[0])
    return "unknown"


async def _expire_unanswered(observer: Observer, metrics: UpstreamMetrics) -> None:
    """Count the charger's CALLs the CSMS leaves unanswered for ``metrics.call_timeout`` as
    error_code Timeout, and forget them: a later answer is not timed (the charger has given
    up on it)."""
    timeout = metrics.call_timeout
    while True:
        await asyncio.sleep(timeout / 4)  # so a timeout is counted at most a quarter late
        for action in observer.expire(timeout):
            metrics.timed_out(observer.charge_point_id, action)

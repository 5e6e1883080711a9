"""The two legs of a proxied charger and the frame pumps between them.

The upstream leg (to the CSMS) is opened during the charger's opening handshake, before the
charger gets its 101: the charger's subprotocols are offered to the CSMS, its
``Authorization`` header passed on unchanged, and the CSMS's answer decides the charger's.
A refusal with an HTTP status is passed back with that status (see :class:`UpstreamRefused`);
a CSMS that cannot be reached leaves the charger with a closed connection, as it would see
without the proxy.

Once both legs are open, :class:`Relay` runs one pump per direction. A pump sends each message
on as it came (a text frame as text, a binary frame as bytes, in order) and only then hands it
to the observer, whose ``from_*`` methods never block or raise. Pings stay per leg: each leg
runs its own keepalive, so a silent CSMS is found like a silent charger. When either leg
closes, the other is closed with the same code and reason; a leg that ended without a close
frame (dead TCP, keepalive timeout) has its counterpart's TCP connection dropped too, so each
peer sees what it would have seen from the other.

Injection (issue 13) plugs in here: a frame of our own is sent with ``leg.send`` (websockets
serialises whole messages), and the charger-to-CSMS pump is the one place where the charger's
results to our own message ids would be swallowed instead of forwarded.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http import HTTPStatus

from websockets.asyncio.client import ClientConnection, connect
from websockets.asyncio.connection import Connection
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
from websockets.frames import CloseCode
from websockets.typing import Subprotocol

from exporter.keepalive import KEEPALIVE_TIMEOUT_REASON, FailFastOnDeadLink

log = logging.getLogger(__name__)

# Headers of a CSMS's refusal that the charger needs to act on it (retry with credentials,
# come back later); the rest (cookies, server banners) stays between the proxy and the CSMS.
PASSED_BACK_HEADERS = ("WWW-Authenticate", "Retry-After")
MAX_REFUSAL_BODY = 1024


@dataclass(frozen=True, slots=True)
class LegOptions:
    """How the upstream leg is opened: the same bounds as the charger's leg."""

    ping_interval: float
    ping_timeout: float
    max_message_bytes: int
    open_timeout: float


class UpstreamRefused(Exception):
    """The CSMS answered the opening handshake with an HTTP status other than 101."""

    def __init__(self, status: int, body: str, headers: tuple[tuple[str, str], ...]) -> None:
        super().__init__(f"the CSMS answered HTTP {status}")
        self.status = status
        self.body = body
        self.headers = headers


class UpstreamUnreachable(Exception):
    """No websocket to the CSMS: connection refused, DNS, TLS, timeout or a broken handshake."""


class _UpstreamConnection(FailFastOnDeadLink, ClientConnection):
    """The CSMS leg gives up on a dead link as the server does with a charger's."""


async def open_upstream(
    url: str,
    offered: Sequence[Subprotocol],
    authorization: str | None,
    options: LegOptions,
    ssl_context: ssl.SSLContext | None,
) -> ClientConnection:
    """The upstream leg, or :class:`UpstreamRefused` / :class:`UpstreamUnreachable`."""
    headers = {"Authorization": authorization} if authorization is not None else None
    try:
        return await connect(
            url,
            subprotocols=list(offered),
            additional_headers=headers,
            ssl=ssl_context,
            compression=None,  # a LAN/datacentre link: not worth zlib's memory per charger
            ping_interval=options.ping_interval,
            ping_timeout=options.ping_timeout,
            max_size=options.max_message_bytes,
            open_timeout=options.open_timeout,
            user_agent_header=None,
            logger=logging.getLogger("exporter.websockets.upstream"),
            create_connection=_UpstreamConnection,
        )
    except InvalidStatus as exc:
        response = exc.response
        passed = tuple(
            (name, value)
            for name in PASSED_BACK_HEADERS
            for value in response.headers.get_all(name)
        )
        body = response.body.decode("utf-8", errors="replace")[:MAX_REFUSAL_BODY]
        raise UpstreamRefused(response.status_code, body, passed) from None
    except (OSError, TimeoutError, InvalidHandshake, ssl.SSLError) as exc:
        raise UpstreamUnreachable(str(exc) or type(exc).__name__) from None


def refusal_status(status: int) -> HTTPStatus:
    """The CSMS's status as one websockets can send (502 for a code HTTP does not define)."""
    try:
        return HTTPStatus(status)
    except ValueError:
        return HTTPStatus.BAD_GATEWAY


Tap = Callable[[str | bytes], None]


class Relay:
    """Frames both ways between a charger and its CSMS until either leg closes."""

    def __init__(
        self, charger: Connection, upstream: Connection, from_charger: Tap, from_csms: Tap
    ) -> None:
        self.charger = charger
        self.upstream = upstream
        self._from_charger = from_charger
        self._from_csms = from_csms

    async def run(self) -> None:
        to_csms = asyncio.create_task(self._pump(self.charger, self.upstream, self._from_charger))
        to_charger = asyncio.create_task(self._pump(self.upstream, self.charger, self._from_csms))
        try:
            done, _ = await asyncio.wait((to_csms, to_charger), return_when=asyncio.FIRST_COMPLETED)
            ended = (to_csms if to_csms in done else to_charger).result()
            await mirror_close(ended, self.upstream if ended is self.charger else self.charger)
            await asyncio.gather(to_csms, to_charger)
        finally:
            for task in (to_csms, to_charger):
                task.cancel()
            # Whatever ended the relay (including cancellation), neither leg outlives it.
            for leg in (self.charger, self.upstream):
                if leg.protocol.close_rcvd is None and leg.protocol.close_sent is None:
                    leg.transport.abort()

    @staticmethod
    async def _pump(source: Connection, sink: Connection, tap: Tap) -> Connection:
        """Forward until a leg closes; the leg that closed is returned."""
        try:
            async for frame in source:
                try:
                    await sink.send(frame)
                except ConnectionClosed:
                    return sink
                tap(frame)
        except ConnectionClosed:  # the source closed with an error code
            pass
        return source


async def mirror_close(closed: Connection, other: Connection) -> None:
    """Close ``other`` as ``closed`` was closed: same code and reason, or TCP dropped when
    ``closed`` ended without a close frame from its peer."""
    protocol = closed.protocol
    rcvd, sent = protocol.close_rcvd, protocol.close_sent
    if rcvd is None and (sent is None or sent.reason == KEEPALIVE_TIMEOUT_REASON):
        # The peer vanished (TCP gone, or silent past the ping timeout).
        other.transport.abort()
        await other.wait_closed()
        return
    # The close as its initiator sent it: the peer's frame, or ours (replaced, shutting down,
    # or a protocol failure such as 1009 for an oversized frame, sent without awaiting a reply).
    if rcvd is None or (sent is not None and protocol.close_rcvd_then_sent is False):
        assert sent is not None
        close = sent
    else:
        close = rcvd
    if close.code == CloseCode.NO_STATUS_RCVD:  # a close frame without a code: same again
        await other.close(code=None, reason="")  # type: ignore[arg-type]
    elif close.code in (CloseCode.ABNORMAL_CLOSURE, CloseCode.TLS_HANDSHAKE):
        other.transport.abort()
        await other.wait_closed()
    else:
        await other.close(close.code, close.reason)

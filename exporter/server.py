"""The OCPP websocket server: the only module that knows about websockets.

A charger connects to ``ws(s)://HOST:PORT/<anything>/<charge_point_id>`` offering the
subprotocol ``ocpp1.6`` and/or ``ocpp2.0.1``. Everything that can be refused is refused before
the websocket upgrade, with an HTTP status and a plain-text reason the charger may log:
an invalid id (400), a missing subprotocol header (400), failed authentication (401/403),
too many failed logins (429) and, once authenticated, a charger the fleet does not admit (404).

An accepted connection is registered with the fleet state (which counts connections and
disconnections), each frame goes through
:meth:`Session.handle` and its replies are sent in order, and the charger is unregistered in a
``finally`` whatever ended the connection.

Decisions written down here:

- When a charger offers both subprotocols, OCPP 2.0.1 is chosen: it is the newer protocol and
  reports more (EVSE-level status, NotifyEvent). The charger lists what it supports; the
  central system picks (OCPP-J, "Connection").
- A second connection for a connected charger id replaces the first, which is closed with
  reason "replaced": a charger whose link died silently reconnects before the old socket's
  ping times out, and must not be locked out meanwhile. Because authentication happens before
  the upgrade, only a connection that authenticated itself can replace another (with security
  profile 0 there is nothing to authenticate, which is why it is for trusted networks only).
- A charger that offers only subprotocols this central system does not speak (``ocpp1.2``)
  gets the handshake completed without a Sec-WebSocket-Protocol header and is closed at once
  (1002, naming the subprotocols it may offer): OCPP-J 1.6 section 3.2 and 2.0.1 part 4
  section 3.2 require exactly this instead of an HTTP error.
- permessage-deflate (RFC 7692) is accepted when a charger offers it, as OCPP 2.0.1 part 4
  section 3.3 requires of a CSMS: cellular chargers pay for every byte. Its cost is per charger
  that asks for it, so the windows are small (see :data:`DEFLATE`); ``max_size`` applies to
  the decompressed message, so ``--max-message-bytes`` still bounds what a frame can inflate to.
- In proxy mode (``--upstream``, exporter.proxy) the same refusals come first; then the
  charger's CSMS is connected before the charger's upgrade completes, the subprotocol is the
  one the CSMS chose among those the charger offered that this collector speaks, a CSMS
  refusal is passed back with its HTTP status and an unreachable CSMS drops the connection.
  Frames are then relayed rather than answered; the session only watches them.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import unquote

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed, ConnectionClosedOK
from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory
from websockets.frames import CloseCode
from websockets.http11 import Request, Response
from websockets.typing import Subprotocol

from chargekeeper.config.fleet import CHARGE_POINT_ID
from exporter.keepalive import KEEPALIVE_TIMEOUT_REASON, FailFastOnDeadLink
from exporter.proxy.connection import Proxy
from exporter.proxy.relay import UpstreamUnreachable
from exporter.security import Authenticator, AuthRequest, Refusal, certificate_common_name
from exporter.selfmetrics import ExporterMetrics
from exporter.session import Session
from exporter.state import FleetState

log = logging.getLogger(__name__)

# Server preference order (see the module docstring).
SUBPROTOCOLS = (Subprotocol("ocpp2.0.1"), Subprotocol("ocpp1.6"))
OCPP_VERSION_OF = {"ocpp1.6": "1.6", "ocpp2.0.1": "2.0.1"}
# Opening handshakes (TLS + HTTP, including queued password checks during a reconnect storm)
# that take longer than this are dropped; the charger retries.
OPEN_TIMEOUT = 20.0
# Frames buffered per connection before reading pauses (TCP back-pressure to the charger): the
# session handles frames one at a time, so a deep queue would only hold memory.
MAX_QUEUED_FRAMES = 4
# Pending TCP connections the kernel keeps for accept(): asyncio's default of 100 drops SYNs
# during a reconnect storm, and each dropped SYN costs the charger a 1-3-7 s retransmit.
# Linux caps this at net.core.somaxconn (4096 by default).
LISTEN_BACKLOG = 4096
# permessage-deflate with small windows: its zlib state lives as long as the connection
# (context takeover is what makes OCPP's repetitive JSON compress well, so it is kept), and is
# paid by every charger that asks for compression. Measured here (RSS after 40 MeterValues
# each way): 10 window bits and memLevel 4 hold a connection to about 24 KiB, websockets'
# defaults (12 bits, memLevel 5, a client that sets no window) to about 46 KiB and zlib's
# defaults to about 135 KiB. OCPP frames are mostly under 1 KiB, so a 1 KiB window still
# finds what a frame repeats from the previous one. A charger that does not offer
# client_max_window_bits compresses with up to 32 KiB windows, which costs our inflate more.
DEFLATE = ServerPerMessageDeflateFactory(
    server_max_window_bits=10,
    client_max_window_bits=10,
    compress_settings={"memLevel": 4},
)
# The close reason sent after completing a handshake for an unsupported subprotocol.
UNSUPPORTED_SUBPROTOCOL_REASON = "unsupported subprotocol: offer ocpp1.6 or ocpp2.0.1"


class _OcppConnection(FailFastOnDeadLink, ServerConnection):
    """A charger's connection (see :class:`exporter.keepalive.FailFastOnDeadLink`)."""


@dataclass(frozen=True, slots=True)
class ServerOptions:
    host: str
    port: int
    ping_interval: float
    ping_timeout: float
    max_message_bytes: int
    ssl_context: ssl.SSLContext | None = None


def charge_point_id_from_path(path: str) -> str | None:
    """The URL-decoded last path segment, or None when it is not a valid charge point id.

    The whole segment must match (``fullmatch``: a ``$`` would let ``CP1%0A`` through as
    "CP1\n"), and the dot segments ``.`` and ``..`` are refused: a proxy or log tool would
    resolve them as paths (RFC 3986 section 5.2.4) rather than name a charger.
    """
    segment = path.partition("?")[0].rpartition("/")[2]
    # Invalid UTF-8 decodes to U+FFFD, which no valid id contains.
    charge_point_id = unquote(segment, errors="replace")
    if charge_point_id in (".", "..") or not CHARGE_POINT_ID.fullmatch(charge_point_id):
        return None
    return charge_point_id


def offered_subprotocols(headers: Headers) -> list[str]:
    offered: list[str] = []
    for value in headers.get_all("Sec-WebSocket-Protocol"):
        offered.extend(item.strip() for item in value.split(",") if item.strip())
    return offered


def select_subprotocol(
    connection: ServerConnection, offered: Sequence[Subprotocol]
) -> Subprotocol | None:
    """The server's preferred subprotocol among those offered; None (the handshake completes
    without the header, then :meth:`OcppServer._handle` closes) when none is supported. A
    request without the header never gets here: it is refused with 400 before."""
    for subprotocol in SUBPROTOCOLS:
        if subprotocol in offered:
            return subprotocol
    return None


@dataclass(slots=True)
class _Live:
    """One accepted connection, as the server's registry of charger ids sees it."""

    websocket: ServerConnection
    replaced: bool = False


class OcppServer:
    """Accepts chargers' websockets and connects each to its :class:`Session`."""

    def __init__(
        self,
        options: ServerOptions,
        state: FleetState,
        metrics: ExporterMetrics,
        authenticator: Authenticator,
        proxy: Proxy | None = None,
    ) -> None:
        """With ``proxy``, each charger is relayed to its CSMS (exporter.proxy) instead of
        being answered here; without it, this is the standalone central system."""
        self.options = options
        self.state = state
        self.metrics = metrics
        self.authenticator = authenticator
        self.proxy = proxy
        self._live: dict[str, _Live] = {}
        self._server: Server | None = None
        self._background: set[asyncio.Task[None]] = set()
        # Websockets that ended since start, whatever the reason (exporter.gcschedule reads it).
        self.connections_closed = 0

    @property
    def port(self) -> int:
        """The bound port (useful when listening on port 0)."""
        assert self._server is not None, "start() first"
        return int(self._server.sockets[0].getsockname()[1])

    def connected_ids(self) -> Sequence[str]:
        return list(self._live)

    @property
    def connection_count(self) -> int:
        return len(self._live)

    async def start(self) -> None:
        """Listen; raises OSError when the address cannot be bound."""
        self._server = await serve(
            self._handle,
            self.options.host,
            self.options.port,
            select_subprotocol=self._select_subprotocol,
            process_request=self._process_request,
            compression=None,  # enabled through extensions, with DEFLATE's windows
            extensions=[DEFLATE],
            ping_interval=self.options.ping_interval,
            ping_timeout=self.options.ping_timeout,
            max_size=self.options.max_message_bytes,
            max_queue=MAX_QUEUED_FRAMES,
            open_timeout=OPEN_TIMEOUT,
            ssl=self.options.ssl_context,
            logger=logging.getLogger("exporter.websockets"),
            create_connection=_OcppConnection,
            backlog=LISTEN_BACKLOG,
        )

    async def stop(self) -> None:
        """Stop accepting, close every connection with 1001 (going away) and wait for them."""
        if self._server is not None:
            self._server.close(code=CloseCode.GOING_AWAY, reason="server shutting down")
            await self._server.wait_closed()
        if self.proxy is not None:
            await self.proxy.stop()
        for task in list(self._background):
            await task

    # -- before the upgrade -------------------------------------------------------------------

    async def _process_request(
        self, connection: ServerConnection, request: Request
    ) -> Response | None:
        refusal = await self._refusal(connection, request)
        if refusal is None and self.proxy is not None:
            try:
                refusal = await self._open_upstream(connection, request)
            except UpstreamUnreachable:
                # What the charger would see of an unreachable CSMS: its connection closes.
                # Aborted now, websockets sends no response (the transport is gone).
                self.metrics.connections_refused.labels("upstream_unreachable").inc()
                connection.transport.abort()
                return connection.respond(HTTPStatus.BAD_GATEWAY, "CSMS unreachable\n")
        if refusal is None:
            return None
        self.metrics.connections_refused.labels(refusal.reason).inc()
        log.info(
            "refused connection to %r from %s: %s (HTTP %d)",
            request.path,
            _remote(connection),
            refusal.reason,
            refusal.status,
        )
        response = connection.respond(refusal.status, refusal.message)
        for name, value in refusal.headers:
            response.headers[name] = value
        return response

    async def _refusal(self, connection: ServerConnection, request: Request) -> Refusal | None:
        charge_point_id = charge_point_id_from_path(request.path)
        if charge_point_id is None:
            return Refusal(
                HTTPStatus.BAD_REQUEST,
                "the last segment of the URL path must be the charge point id: 1-48 letters, "
                "digits or ._:*+@|=- characters\n",
                "invalid_charge_point_id",
            )
        offered = offered_subprotocols(request.headers)
        if not offered:
            return Refusal(
                HTTPStatus.BAD_REQUEST,
                "missing Sec-WebSocket-Protocol header: offer ocpp1.6 or ocpp2.0.1\n",
                "subprotocol_missing",
            )
        refusal = await self.authenticator.authenticate(
            AuthRequest(
                charge_point_id=charge_point_id,
                remote_address=_remote_host(connection),
                authorization=request.headers.get("Authorization"),
                peer_certificate_cn=certificate_common_name(
                    connection.transport.get_extra_info("peercert")
                ),
            )
        )
        if refusal is not None:
            return refusal
        if not self.state.admit(charge_point_id):
            return Refusal(
                HTTPStatus.NOT_FOUND,
                f"charge point id {charge_point_id!r} is not in this central system's fleet\n",
                "unknown_charge_point",
            )
        return None

    async def _open_upstream(
        self, connection: ServerConnection, request: Request
    ) -> Refusal | None:
        assert self.proxy is not None
        charge_point_id = charge_point_id_from_path(request.path)
        assert charge_point_id is not None  # refused otherwise
        spoken = [p for p in offered_subprotocols(request.headers) if p in SUBPROTOCOLS]
        return await self.proxy.open(
            connection,
            charge_point_id,
            [Subprotocol(p) for p in spoken],
            request.headers.get("Authorization"),
        )

    def _select_subprotocol(
        self, connection: ServerConnection, offered: Sequence[Subprotocol]
    ) -> Subprotocol | None:
        if self.proxy is not None:
            return self.proxy.subprotocol(connection)
        return select_subprotocol(connection, offered)

    # -- after the upgrade --------------------------------------------------------------------

    async def _handle(self, websocket: ServerConnection) -> None:
        charge_point_id = charge_point_id_from_path(
            websocket.request.path if websocket.request else ""
        )
        subprotocol = websocket.subprotocol
        if charge_point_id is None:  # refused before the upgrade
            return
        if subprotocol is None:
            if self.proxy is not None:
                self.proxy.discard(websocket)
            await self._close_unsupported(websocket)
            return
        ocpp_version = OCPP_VERSION_OF[subprotocol]
        live = _Live(websocket)
        self._replace_previous(charge_point_id)
        self._live[charge_point_id] = live
        self.state.connected(charge_point_id, ocpp_version)
        log.info(
            "charger %r connected (OCPP %s) from %s",
            charge_point_id,
            ocpp_version,
            _remote(websocket),
        )
        session = Session(charge_point_id, ocpp_version, self.state, self.metrics)
        reason = "closed"
        try:
            if self.proxy is not None:
                await self.proxy.relay(websocket, session)
                reason = _close_reason(websocket.protocol.close_exc)
            else:
                async for frame in websocket:
                    if live.replaced:
                        break
                    for reply in self._handle_frame(session, charge_point_id, frame):
                        await websocket.send(reply)
        except ConnectionClosed as exc:
            reason = _close_reason(exc)
        except Exception:
            reason = "error"
            log.exception("connection of charger %r failed", charge_point_id)
        finally:
            self.connections_closed += 1
            if self._live.get(charge_point_id) is live:
                del self._live[charge_point_id]
                self.state.disconnected(charge_point_id, reason)
                log.info(
                    "charger %r disconnected (%s, close code %s)",
                    charge_point_id,
                    reason,
                    websocket.close_code,
                )

    async def _close_unsupported(self, websocket: ServerConnection) -> None:
        """Close a connection whose charger offered no subprotocol we speak (OCPP-J 3.2)."""
        self.connections_closed += 1
        self.metrics.connections_refused.labels("subprotocol_unsupported").inc()
        offered = offered_subprotocols(
            websocket.request.headers if websocket.request else Headers()
        )
        log.info(
            "closed connection to %r from %s right after the handshake: unsupported subprotocol %s",
            websocket.request.path if websocket.request else "",
            _remote(websocket),
            ", ".join(repr(p[:40]) for p in offered[:5]),
        )
        await websocket.close(CloseCode.PROTOCOL_ERROR, UNSUPPORTED_SUBPROTOCOL_REASON)

    @staticmethod
    def _handle_frame(session: Session, charge_point_id: str, frame: str | bytes) -> list[str]:
        try:
            return session.handle(frame)
        except Exception:
            # Session.handle must never raise; if it does, it is our bug, not the charger's:
            # keep the connection (the charger retries an unanswered CALL) and say so loudly.
            log.exception("session of charger %r failed on a frame", charge_point_id)
            return []

    def _replace_previous(self, charge_point_id: str) -> None:
        previous = self._live.pop(charge_point_id, None)
        if previous is None:
            return
        previous.replaced = True
        self.state.disconnected(charge_point_id, "replaced")
        log.info("charger %r reconnected: closing its previous connection", charge_point_id)
        task = asyncio.create_task(
            previous.websocket.close(CloseCode.NORMAL_CLOSURE, "replaced by a newer connection")
        )
        self._background.add(task)
        task.add_done_callback(self._background.discard)


def _close_reason(exc: ConnectionClosed) -> str:
    """Map how a connection ended to the bounded vocabulary closed|timeout|error."""
    if isinstance(exc, ConnectionClosedOK):
        return "closed"
    if exc.sent is not None and exc.sent.reason == KEEPALIVE_TIMEOUT_REASON:
        return "timeout"
    if exc.sent is None and exc.rcvd is None:
        return "closed"  # the TCP connection ended without a close frame: known at once
    return "error"


def _remote(connection: ServerConnection) -> str:
    address = connection.remote_address
    if isinstance(address, tuple) and len(address) >= 2:
        return f"{address[0]}:{address[1]}"
    return "unknown"


def _remote_host(connection: ServerConnection) -> str:
    address = connection.remote_address
    if isinstance(address, tuple) and address:
        return str(address[0])
    return "unknown"

"""A stand-in CSMS: the operator's central system for the demo of proxy mode.

``chargekeeper up --demo`` runs the collector in proxy mode in front of this server, so the
simulated fleet talks to Chargekeeper, which relays every frame here. It is built on the
``ocpp`` library's own central-system classes (one thin subclass per version, as the library
intends): it accepts every BootNotification and every id tag, numbers 1.6 transactions,
answers heartbeats, status, meter values and the rest, and logs every frame each charger
sends and receives, so its log shows the traffic the proxy relayed. An optional random delay
before each answer makes the CSMS's answer times visible in the collector's metrics.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any, TypeVar
from urllib.parse import unquote

from ocpp.routing import on
from ocpp.v16 import ChargePoint as ChargePoint16
from ocpp.v16 import call_result as result16
from ocpp.v16.datatypes import IdTagInfo
from ocpp.v16.enums import Action as Action16
from ocpp.v16.enums import AuthorizationStatus, DataTransferStatus, RegistrationStatus
from ocpp.v201 import ChargePoint as ChargePoint201
from ocpp.v201 import call_result as result201
from ocpp.v201.datatypes import IdTokenInfoType
from ocpp.v201.enums import Action as Action201
from ocpp.v201.enums import AuthorizationStatusEnumType, RegistrationStatusEnumType
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from chargekeeper.untrusted import MAX_CODE, clean
from simulator.rng import SeededRng

log = logging.getLogger("simulator.csms")

SUBPROTOCOLS = ("ocpp2.0.1", "ocpp1.6")
# What the stand-in tells chargers at boot; the collector's standalone mode answers the same.
HEARTBEAT_INTERVAL = 300
# A logged frame is cut here: a MeterValues is well below it, a full 2.0.1 report is not, and
# the log is for reading the conversation, not for replaying it.
MAX_LOGGED_FRAME = 2000

_Handler = TypeVar("_Handler", bound=Callable[..., Any])


def handles(action: str) -> Callable[[_Handler], _Handler]:
    """``ocpp.routing.on`` with a type, so the handlers stay typed under mypy."""
    decorator: Callable[[_Handler], _Handler] = on(action)
    return decorator


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


class _LoggedConnection:
    """What the ``ocpp`` ChargePoint reads and writes through: logs each frame (charger text
    through the kernel's sanitiser, so a frame cannot forge log lines) and waits the random
    answer delay before each frame it sends."""

    def __init__(self, ws: ServerConnection, charge_point_id: str, delay: Callable[[], float]):
        self._ws = ws
        self._id = charge_point_id
        self._delay = delay

    async def recv(self) -> str:
        raw = await self._ws.recv()
        text = raw if isinstance(raw, str) else raw.decode(errors="replace")
        log.info("%s -> %s", self._id, clean(text, MAX_LOGGED_FRAME))
        return text

    async def send(self, data: str) -> None:
        pause = self._delay()
        if pause > 0:
            await asyncio.sleep(pause)
        log.info("%s <- %s (after %.0f ms)", self._id, clean(data, MAX_LOGGED_FRAME), pause * 1e3)
        await self._ws.send(data)


class StandIn16(ChargePoint16):  # type: ignore[misc]
    """OCPP 1.6: accepts every charger and every id tag."""

    def __init__(self, *args: Any, transactions: itertools.count[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._transactions = transactions

    @handles(Action16.boot_notification)
    def on_boot(self, **_: Any) -> result16.BootNotification:
        return result16.BootNotification(
            current_time=_now(), interval=HEARTBEAT_INTERVAL, status=RegistrationStatus.accepted
        )

    @handles(Action16.heartbeat)
    def on_heartbeat(self, **_: Any) -> result16.Heartbeat:
        return result16.Heartbeat(current_time=_now())

    @handles(Action16.status_notification)
    def on_status(self, **_: Any) -> result16.StatusNotification:
        return result16.StatusNotification()

    @handles(Action16.meter_values)
    def on_meter_values(self, **_: Any) -> result16.MeterValues:
        return result16.MeterValues()

    @handles(Action16.authorize)
    def on_authorize(self, **_: Any) -> result16.Authorize:
        return result16.Authorize(id_tag_info=IdTagInfo(status=AuthorizationStatus.accepted))

    @handles(Action16.start_transaction)
    def on_start(self, **_: Any) -> result16.StartTransaction:
        return result16.StartTransaction(
            transaction_id=next(self._transactions),
            id_tag_info=IdTagInfo(status=AuthorizationStatus.accepted),
        )

    @handles(Action16.stop_transaction)
    def on_stop(self, **_: Any) -> result16.StopTransaction:
        return result16.StopTransaction(id_tag_info=IdTagInfo(status=AuthorizationStatus.accepted))

    @handles(Action16.data_transfer)
    def on_data_transfer(self, **_: Any) -> result16.DataTransfer:
        return result16.DataTransfer(status=DataTransferStatus.unknown_vendor_id)

    @handles(Action16.firmware_status_notification)
    def on_firmware_status(self, **_: Any) -> result16.FirmwareStatusNotification:
        return result16.FirmwareStatusNotification()

    @handles(Action16.diagnostics_status_notification)
    def on_diagnostics_status(self, **_: Any) -> result16.DiagnosticsStatusNotification:
        return result16.DiagnosticsStatusNotification()


class StandIn201(ChargePoint201):  # type: ignore[misc]
    """OCPP 2.0.1: accepts every charger and every id token."""

    @handles(Action201.boot_notification)
    def on_boot(self, **_: Any) -> result201.BootNotification:
        return result201.BootNotification(
            current_time=_now(),
            interval=HEARTBEAT_INTERVAL,
            status=RegistrationStatusEnumType.accepted,
        )

    @handles(Action201.heartbeat)
    def on_heartbeat(self, **_: Any) -> result201.Heartbeat:
        return result201.Heartbeat(current_time=_now())

    @handles(Action201.status_notification)
    def on_status(self, **_: Any) -> result201.StatusNotification:
        return result201.StatusNotification()

    @handles(Action201.meter_values)
    def on_meter_values(self, **_: Any) -> result201.MeterValues:
        return result201.MeterValues()

    @handles(Action201.authorize)
    def on_authorize(self, **_: Any) -> result201.Authorize:
        return result201.Authorize(
            id_token_info=IdTokenInfoType(status=AuthorizationStatusEnumType.accepted)
        )

    @handles(Action201.transaction_event)
    def on_transaction_event(self, id_token: Any = None, **_: Any) -> result201.TransactionEvent:
        # idTokenInfo answers a token; an event without one (meter update) gets an empty result.
        if id_token is None:
            return result201.TransactionEvent()
        return result201.TransactionEvent(
            id_token_info=IdTokenInfoType(status=AuthorizationStatusEnumType.accepted)
        )

    @handles(Action201.notify_event)
    def on_notify_event(self, **_: Any) -> result201.NotifyEvent:
        return result201.NotifyEvent()

    @handles(Action201.security_event_notification)
    def on_security_event(self, **_: Any) -> result201.SecurityEventNotification:
        return result201.SecurityEventNotification()

    @handles(Action201.firmware_status_notification)
    def on_firmware_status(self, **_: Any) -> result201.FirmwareStatusNotification:
        return result201.FirmwareStatusNotification()


class StandInCsms:
    """A websockets server that speaks OCPP 1.6 and 2.0.1 at ``ws://HOST:PORT/<id>``.

    ``max_delay`` (seconds): each answer waits a random time up to it (0: answer at once).
    ``GET /healthz`` without a websocket upgrade answers 200, for a supervisor's health check.
    A handshake without an id in the path, or offering neither OCPP version, is refused (400).
    """

    def __init__(self, host: str, port: int, max_delay: float = 0.0, seed: int = 0) -> None:
        if max_delay < 0:
            raise ValueError(f"max_delay must be 0 or more, not {max_delay}")
        self.host = host
        self.port = port
        self.max_delay = max_delay
        self._random = SeededRng(seed, "csms-delay")
        self._transactions = itertools.count(1)  # 1.6 transaction ids, unique across chargers
        self._server: Server | None = None

    @property
    def url(self) -> str:
        """``ws://HOST:PORT`` as bound (the port the OS chose when 0 was asked)."""
        if self._server is None:
            raise RuntimeError("the stand-in CSMS is not running")
        host, port = next(iter(self._server.sockets)).getsockname()[:2]
        host = f"[{host}]" if ":" in host else host
        return f"ws://{host}:{port}"

    def _delay(self) -> float:
        return self._random.uniform(0, self.max_delay) if self.max_delay else 0.0

    def _before_upgrade(self, ws: ServerConnection, request: Request) -> Response | None:
        if "upgrade" not in request.headers.get("Connection", "").lower():
            if request.path == "/healthz":
                return ws.respond(HTTPStatus.OK, "ok\n")
            return ws.respond(HTTPStatus.UPGRADE_REQUIRED, "connect with OCPP over websocket\n")
        if not _charge_point_id(request.path):
            return ws.respond(HTTPStatus.BAD_REQUEST, "no charge point id in the path\n")
        return None

    async def _handle(self, ws: ServerConnection) -> None:
        assert ws.request is not None  # set once the handshake is done
        charge_point_id = _charge_point_id(ws.request.path)
        peer = ws.remote_address[0] if ws.remote_address else "?"
        log.info("%s connected from %s with %s", charge_point_id, peer, ws.subprotocol)
        connection = _LoggedConnection(ws, charge_point_id, self._delay)
        handler: StandIn16 | StandIn201
        if ws.subprotocol == "ocpp1.6":
            handler = StandIn16(charge_point_id, connection, transactions=self._transactions)
        else:
            handler = StandIn201(charge_point_id, connection)
        try:
            await handler.start()
        except ConnectionClosed:
            pass
        finally:
            log.info("%s disconnected (code %s)", charge_point_id, ws.close_code)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[StandInCsms]:
        async with serve(
            self._handle,
            self.host,
            self.port,
            subprotocols=list(SUBPROTOCOLS),  # type: ignore[arg-type]
            process_request=self._before_upgrade,
        ) as server:
            self._server = server
            try:
                yield self
            finally:
                self._server = None


def _charge_point_id(path: str) -> str:
    """The charger's id: the last path segment, decoded, through the kernel's sanitiser."""
    segment = path.partition("?")[0].rstrip("/").rpartition("/")[2]
    return clean(unquote(segment), MAX_CODE) or ""

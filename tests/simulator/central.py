"""A minimal OCPP central system for the simulator's tests, built on the ``ocpp`` library itself.

The library's ChargePoint validates every CALL it receives against its JSON schemas and answers
an invalid one with a CALLERROR, so a simulator frame that the reference implementation would
reject shows up here. Every frame in both directions is recorded for the tests to inspect.
Two raw modes stand in for broken central systems: one answers every CALL with a CALLERROR,
another never answers, and a third accepts BootNotification and fails everything else.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import ssl
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any, Literal, TypeVar

from ocpp.routing import on
from ocpp.v16 import ChargePoint as ChargePoint16
from ocpp.v16 import call_result as result16
from ocpp.v16.datatypes import IdTagInfo
from ocpp.v16.enums import Action as Action16
from ocpp.v16.enums import AuthorizationStatus, RegistrationStatus
from ocpp.v201 import ChargePoint as ChargePoint201
from ocpp.v201 import call_result as result201
from ocpp.v201.enums import Action as Action201
from ocpp.v201.enums import RegistrationStatusEnumType
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

Mode = Literal["ocpp", "callerror", "silent", "boot-only"]


_Handler = TypeVar("_Handler", bound=Callable[..., Any])


def handles(action: str) -> Callable[[_Handler], _Handler]:
    """``ocpp.routing.on`` with a type, so handlers stay typed under mypy --strict."""
    decorator: Callable[[_Handler], _Handler] = on(action)
    return decorator


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


@dataclass
class Peer:
    """One charger's connection as the central system saw it."""

    charge_point_id: str
    subprotocol: str | None
    frames: list[tuple[str, str]] = field(default_factory=list)  # ("in" | "out", text)
    close_code: int | None = None
    closed_at: float | None = None
    handler: ChargePoint16 | ChargePoint201 | None = None
    done: asyncio.Event = field(default_factory=asyncio.Event)

    def calls(self, action: str | None = None) -> list[tuple[str, dict[str, Any]]]:
        """CALLs received from the charger, in order, as (action, payload)."""
        found = []
        for direction, text in self.frames:
            message = json.loads(text)
            if direction == "in" and message[0] == 2 and (action is None or message[2] == action):
                found.append((message[2], message[3]))
        return found

    def replies_sent(self) -> list[list[Any]]:
        return [json.loads(text) for direction, text in self.frames if direction == "out"]


class _Recording:
    """The connection object handed to the ocpp ChargePoint: records every frame."""

    def __init__(self, ws: ServerConnection, peer: Peer) -> None:
        self._ws = ws
        self._peer = peer

    async def recv(self) -> str:
        raw = await self._ws.recv()
        text = raw if isinstance(raw, str) else raw.decode()
        self._peer.frames.append(("in", text))
        return text

    async def send(self, data: str) -> None:
        self._peer.frames.append(("out", data))
        await self._ws.send(data)


class Central16(ChargePoint16):  # type: ignore[misc]
    """OCPP 1.6 central system that accepts everything and numbers transactions from 1."""

    heartbeat_interval = 300

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._transactions = itertools.count(1)

    @handles(Action16.boot_notification)
    def on_boot(self, **_: Any) -> result16.BootNotification:
        return result16.BootNotification(
            current_time=_now(),
            interval=self.heartbeat_interval,
            status=RegistrationStatus.accepted,
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

    @handles(Action16.start_transaction)
    def on_start(self, **_: Any) -> result16.StartTransaction:
        return result16.StartTransaction(
            transaction_id=next(self._transactions),
            id_tag_info=IdTagInfo(status=AuthorizationStatus.accepted),
        )

    @handles(Action16.stop_transaction)
    def on_stop(self, **_: Any) -> result16.StopTransaction:
        return result16.StopTransaction()


class Central201(ChargePoint201):  # type: ignore[misc]
    """OCPP 2.0.1 central system that accepts everything."""

    heartbeat_interval = 300

    @handles(Action201.boot_notification)
    def on_boot(self, **_: Any) -> result201.BootNotification:
        return result201.BootNotification(
            current_time=_now(),
            interval=self.heartbeat_interval,
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

    @handles(Action201.transaction_event)
    def on_transaction_event(self, **_: Any) -> result201.TransactionEvent:
        return result201.TransactionEvent()

    @handles(Action201.notify_event)
    def on_notify_event(self, **_: Any) -> result201.NotifyEvent:
        return result201.NotifyEvent()


class CentralSystem:
    """A websockets server on 127.0.0.1 that speaks OCPP 1.6 and 2.0.1."""

    def __init__(
        self,
        mode: Mode = "ocpp",
        ping_interval: float | None = None,
        ping_timeout: float = 1.0,
        password: str | dict[str, str] | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.mode = mode
        self.password = password
        self.refused = 0  # handshakes answered with 401
        self._ssl = ssl_context
        self.peers: dict[str, list[Peer]] = {}
        self._ping_interval = ping_interval
        self._ping_timeout = ping_timeout
        self._server: Server | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = next(iter(self._server.sockets)).getsockname()[:2]
        return f"{'wss' if self._ssl else 'ws'}://{host}:{port}"

    def _authenticate(self, ws: ServerConnection, request: Request) -> Response | None:
        """Security profile 1/2: Basic auth with the charge point id as the user name."""
        if self.password is None:
            return None
        charge_point_id = request.path.strip("/")
        password = (
            self.password if isinstance(self.password, str) else self.password.get(charge_point_id)
        )
        expected = f"{charge_point_id}:{password}".encode()
        header = request.headers.get("Authorization", "")
        if header == "Basic " + base64.b64encode(expected).decode():
            return None
        self.refused += 1
        return ws.respond(HTTPStatus.UNAUTHORIZED, "wrong charge point id or password\n")

    def latest(self, charge_point_id: str) -> Peer:
        return self.peers[charge_point_id][-1]

    def all_frames(self, charge_point_id: str) -> list[tuple[str, str]]:
        return [frame for peer in self.peers.get(charge_point_id, []) for frame in peer.frames]

    async def _handle(self, ws: ServerConnection) -> None:
        assert ws.request is not None
        peer = Peer(ws.request.path.strip("/"), ws.subprotocol)
        self.peers.setdefault(peer.charge_point_id, []).append(peer)
        loop = asyncio.get_running_loop()
        try:
            if self.mode == "ocpp":
                cls = Central16 if ws.subprotocol == "ocpp1.6" else Central201
                peer.handler = cls(peer.charge_point_id, _Recording(ws, peer), response_timeout=5)
                await peer.handler.start()
            else:
                await self._raw(ws, peer)
        except ConnectionClosed:
            pass
        finally:
            peer.close_code = ws.close_code
            peer.closed_at = loop.time()
            peer.done.set()

    async def _raw(self, ws: ServerConnection, peer: Peer) -> None:
        recording = _Recording(ws, peer)
        while True:
            message = json.loads(await recording.recv())
            if message[0] != 2 or self.mode == "silent":
                continue
            if self.mode == "boot-only" and message[2] == "BootNotification":
                accepted = {"currentTime": _now(), "interval": 300, "status": "Accepted"}
                await recording.send(json.dumps([3, message[1], accepted]))
            else:
                await recording.send(
                    json.dumps([4, message[1], "InternalError", "broken on purpose", {}])
                )

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[CentralSystem]:
        async with serve(
            self._handle,
            "127.0.0.1",
            0,
            subprotocols=["ocpp1.6", "ocpp2.0.1"],  # type: ignore[list-item]
            process_request=self._authenticate,
            ssl=self._ssl,
            ping_interval=self._ping_interval,
            ping_timeout=self._ping_timeout,
            # After a missed pong websockets waits this long for the closing handshake that a
            # silent peer never completes before it drops the TCP connection.
            close_timeout=0.2,
        ) as server:
            self._server = server
            yield self

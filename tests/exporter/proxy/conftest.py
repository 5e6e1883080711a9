"""A CSMS nobody here wrote (the ``ocpp`` library's central system, 1.6 and 2.0.1, served with
``websockets.serve``) and the collector in proxy mode in front of it, both on 127.0.0.1.

Every message each side's websocket carries is recorded as it came off (or went onto) the
wire, so tests compare exactly what the charger sent with what the CSMS received, and back.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from prometheus_client import CollectorRegistry, ProcessCollector
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.typing import Subprotocol

from chargekeeper.config.fleet import Fleet
from exporter.http import MetricsServer, fleet_exposition
from exporter.proxy.connection import Proxy
from exporter.proxy.metrics import ProxyMetrics
from exporter.proxy.observe import UpstreamAnswer
from exporter.proxy.relay import LegOptions
from exporter.proxy.upstream import Upstreams
from exporter.security import Authenticator, SecurityProfile
from exporter.selfmetrics import ExporterMetrics
from exporter.server import OcppServer, ServerOptions
from exporter.state import FleetState
from tests.exporter.conftest import RunningExporter
from tests.simulator.central import Central16, Central201


class Recorded:
    """A websocket as the ``ocpp`` library uses it (recv/send), recording every message."""

    def __init__(self, websocket: Any) -> None:
        self.websocket = websocket
        self.received: list[str | bytes] = []
        self.sent: list[str | bytes] = []

    async def recv(self) -> str | bytes:
        message: str | bytes = await self.websocket.recv()
        self.received.append(message)
        return message

    async def send(self, message: str | bytes) -> None:
        self.sent.append(message)
        await self.websocket.send(message)


# The simulator tests' central systems: they accept everything they have a handler for and
# answer the rest (Authorize, DataTransfer...) with the library's CALLERROR.
CSMS_CLASSES: dict[str, type[Any]] = {"ocpp1.6": Central16, "ocpp2.0.1": Central201}


@dataclass
class LibraryCsms:
    """The library's central system: its stations and raw recordings by charge point id."""

    server: Server
    tls: bool
    stations: dict[str, Any] = field(default_factory=dict)
    wires: dict[str, Recorded] = field(default_factory=dict)
    connections: dict[str, ServerConnection] = field(default_factory=dict)
    request_headers: dict[str, Headers] = field(default_factory=dict)
    paths: list[str] = field(default_factory=list)
    arrived: asyncio.Condition = field(default_factory=asyncio.Condition)

    @property
    def url(self) -> str:
        port = self.server.sockets[0].getsockname()[1]
        return f"{'wss' if self.tls else 'ws'}://127.0.0.1:{port}/csms"

    async def station(self, charge_point_id: str, within: float = 5.0) -> Any:
        async with self.arrived:
            await asyncio.wait_for(
                self.arrived.wait_for(lambda: charge_point_id in self.stations), within
            )
        return self.stations[charge_point_id]


@asynccontextmanager
async def library_csms(
    subprotocols: Sequence[str] = ("ocpp1.6", "ocpp2.0.1"),
    *,
    ssl_context: ssl.SSLContext | None = None,
    process_request: Any = None,
) -> AsyncIterator[LibraryCsms]:
    csms: LibraryCsms

    async def handler(websocket: ServerConnection) -> None:
        assert websocket.request is not None and websocket.subprotocol is not None
        charge_point_id = unquote(websocket.request.path.partition("?")[0].rpartition("/")[2])
        wire = Recorded(websocket)
        station = CSMS_CLASSES[websocket.subprotocol](charge_point_id, wire)
        async with csms.arrived:
            csms.paths.append(websocket.request.path)
            csms.request_headers[charge_point_id] = websocket.request.headers
            csms.wires[charge_point_id] = wire
            csms.connections[charge_point_id] = websocket
            csms.stations[charge_point_id] = station
            csms.arrived.notify_all()
        with suppress(ConnectionClosed):
            await station.start()

    server = await serve(
        handler,
        "127.0.0.1",
        0,
        subprotocols=[Subprotocol(p) for p in subprotocols],
        ssl=ssl_context,
        process_request=process_request,
    )
    csms = LibraryCsms(server, ssl_context is not None)
    try:
        yield csms
    finally:
        server.close()
        await server.wait_closed()


def refuse_with(status: int, body: str, **headers: str) -> Any:
    """A CSMS ``process_request`` that refuses every handshake with ``status``."""

    def process_request(connection: ServerConnection, request: Request) -> Response:
        response = connection.respond(status, body)
        for name, value in headers.items():
            response.headers[name.replace("_", "-")] = value
        return response

    return process_request


@dataclass
class RunningProxy(RunningExporter):
    proxy: Proxy = field(kw_only=True)
    answers: list[UpstreamAnswer] = field(kw_only=True)


@asynccontextmanager
async def running_proxy(
    upstream: str,
    fleet: Fleet | None = None,
    *,
    upstream_ssl: ssl.SSLContext | None = None,
    profile: SecurityProfile = SecurityProfile.NONE,
    ping_interval: float = 20.0,
    ping_timeout: float = 20.0,
    max_message_bytes: int = 256 * 1024,
    on_answer: Callable[[UpstreamAnswer], None] | None = None,
) -> AsyncIterator[RunningProxy]:
    """The collector in proxy mode, assembled as ``chargekeeper exporter --upstream`` does."""
    registry = CollectorRegistry()
    ProcessCollector(registry=registry)
    metrics = ExporterMetrics(registry)
    state = FleetState(fleet, metrics)
    auth = Authenticator(profile, fleet)
    answers: list[UpstreamAnswer] = []
    proxy = Proxy(
        Upstreams(
            upstream,
            upstream_ssl or ssl.create_default_context(),
            fleet.upstream_for if fleet is not None else None,
        ),
        LegOptions(ping_interval, ping_timeout, max_message_bytes, open_timeout=5.0),
        ProxyMetrics(registry),
        on_answer or answers.append,
    )
    options = ServerOptions("127.0.0.1", 0, ping_interval, ping_timeout, max_message_bytes)
    ocpp = OcppServer(options, state, metrics, auth, proxy)
    http = MetricsServer("127.0.0.1", 0, fleet_exposition(state, registry))
    await ocpp.start()
    await http.start()
    try:
        yield RunningProxy(
            state, registry, metrics, ocpp, http, False, proxy=proxy, answers=answers
        )
    finally:
        await ocpp.stop()
        await http.stop()
        auth.close()

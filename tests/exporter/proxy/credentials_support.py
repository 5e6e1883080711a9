"""What the proxy-credentials tests share: a CSMS that checks Basic auth or client
certificates itself (in the ``ocpp`` library's central system's ``process_request``), and the
collector in proxy mode assembled with the failed-login limiter and upstream credentials, as
``chargekeeper exporter --upstream`` assembles it."""

from __future__ import annotations

import base64
import os
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path

from prometheus_client import CollectorRegistry, ProcessCollector
from websockets.asyncio.server import ServerConnection
from websockets.http11 import Request, Response

from chargekeeper.config.fleet import Fleet
from exporter.http import MetricsServer, fleet_exposition
from exporter.proxy.connection import Proxy
from exporter.proxy.credentials import UpstreamCredentials
from exporter.proxy.metrics import ProxyMetrics
from exporter.proxy.relay import LegOptions
from exporter.proxy.upstream import Upstreams
from exporter.security import Authenticator, SecurityProfile, certificate_common_name
from exporter.selfmetrics import ExporterMetrics
from exporter.server import OcppServer, ServerOptions
from exporter.state import FleetState
from tests.exporter.proxy.conftest import RunningProxy


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def write_credentials(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text, encoding="utf-8")
    os.chmod(path, mode)
    return path


@dataclass
class Gate:
    """A CSMS's own check of each handshake: what it saw, and whom it let in.

    ``passwords``: Basic auth as a profile 1/2 CSMS checks it (charge point id from the URL,
    401 otherwise). ``client_cn``: the client certificate CN a profile 3 CSMS accepts.
    """

    passwords: dict[str, str] | None = None
    client_cn: str | None = None
    authorizations: list[str | None] = field(default_factory=list)
    client_cns: list[str | None] = field(default_factory=list)

    def __call__(self, connection: ServerConnection, request: Request) -> Response | None:
        charge_point_id = request.path.rpartition("/")[2]
        authorization = request.headers.get("Authorization")
        cn = certificate_common_name(connection.transport.get_extra_info("peercert"))
        self.authorizations.append(authorization)
        self.client_cns.append(cn)
        if self.client_cn is not None and cn != self.client_cn:
            return connection.respond(HTTPStatus.FORBIDDEN, "unknown client certificate\n")
        if self.passwords is not None:
            expected = self.passwords.get(charge_point_id)
            if expected is None or basic(charge_point_id, expected)["Authorization"] != (
                authorization
            ):
                response = connection.respond(HTTPStatus.UNAUTHORIZED, "wrong password\n")
                response.headers["WWW-Authenticate"] = 'Basic realm="csms"'
                return response
        return None


@asynccontextmanager
async def proxy_with_credentials(
    upstream: str,
    fleet: Fleet | None,
    *,
    profile: SecurityProfile,
    credentials: UpstreamCredentials | None = None,
    upstream_ssl: ssl.SSLContext | None = None,
    server_ssl: ssl.SSLContext | None = None,
) -> AsyncIterator[RunningProxy]:
    """The collector in proxy mode whose ``Authenticator`` enforces ``profile`` and is the
    proxy's failed-login limiter too."""
    registry = CollectorRegistry()
    ProcessCollector(registry=registry)
    metrics = ExporterMetrics(registry)
    state = FleetState(fleet, metrics)
    auth = Authenticator(profile, fleet)
    proxy = Proxy(
        Upstreams(
            upstream,
            upstream_ssl or ssl.create_default_context(),
            fleet.upstream_for if fleet is not None else None,
        ),
        LegOptions(20.0, 20.0, 256 * 1024, open_timeout=5.0),
        ProxyMetrics(registry),
        logins=auth,
        credentials=credentials,
    )
    options = ServerOptions("127.0.0.1", 0, 20.0, 20.0, 256 * 1024, server_ssl)
    ocpp = OcppServer(options, state, metrics, auth, proxy)
    http = MetricsServer("127.0.0.1", 0, fleet_exposition(state, registry))
    await ocpp.start()
    await http.start()
    try:
        yield RunningProxy(
            state, registry, metrics, ocpp, http, server_ssl is not None, proxy=proxy, answers=[]
        )
    finally:
        await ocpp.stop()
        await http.stop()
        auth.close()

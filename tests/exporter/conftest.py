"""A real exporter (websocket server + metrics endpoint) on 127.0.0.1, and real TLS material.

Tests run the same objects ``chargekeeper exporter`` assembles, on ports the OS picks, with
their own registry; certificates are made per test run with trustme.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme
from prometheus_client import CollectorRegistry, ProcessCollector
from prometheus_client.parser import text_string_to_metric_families
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from chargekeeper.config.fleet import Fleet
from exporter.http import MetricsServer, fleet_exposition
from exporter.passwords import hash_password
from exporter.security import Authenticator, SecurityProfile, server_ssl_context
from exporter.selfmetrics import ExporterMetrics
from exporter.server import OcppServer, ServerOptions
from exporter.state import FleetState

# Passwords are OCPP-sized (16-40 characters); hashing them once per session keeps tests fast.
PASSWORD = "correct-horse-battery-staple-1"
OTHER_PASSWORD = "wrong-horse-battery-staple-22"


def make_fleet(*charger_ids: str, password: str | None = None, unknown: str = "refuse") -> Fleet:
    password_hash = hash_password(password) if password is not None else None
    return Fleet.model_validate(
        {
            "unknown_chargers": unknown,
            "clients": [{"id": "acme"}],
            "sites": [{"id": "lyon-1", "client": "acme", "timezone": "Europe/Paris"}],
            "chargers": [
                {"id": cp, "site": "lyon-1", "password_hash": password_hash} for cp in charger_ids
            ],
        }
    )


def boot_frame(ocpp_version: str, message_id: str = "boot-1") -> str:
    if ocpp_version == "1.6":
        payload: dict[str, Any] = {"chargePointVendor": "ABB", "chargePointModel": "Terra AC"}
    else:
        payload = {"reason": "PowerUp", "chargingStation": {"vendorName": "ABB", "model": "Terra"}}
    return json.dumps([2, message_id, "BootNotification", payload])


def heartbeat_frame(message_id: str = "hb-1") -> str:
    return json.dumps([2, message_id, "Heartbeat", {}])


def charger(url: str, *subprotocols: str, **options: Any) -> connect:
    """Open a websocket as a charger offering ``subprotocols`` (none: no header at all)."""
    offered = [Subprotocol(p) for p in subprotocols] or None
    return connect(url, subprotocols=offered, **options)


async def receive_text(ws: ClientConnection, within: float = 5.0) -> str:
    """The next frame from the exporter, which only ever sends text frames."""
    frame = await asyncio.wait_for(ws.recv(), within)
    assert isinstance(frame, str)
    return frame


@dataclass
class RunningExporter:
    state: FleetState
    registry: CollectorRegistry
    metrics: ExporterMetrics
    ocpp: OcppServer
    http: MetricsServer
    tls: bool

    def url(self, charge_point_id: str, prefix: str = "/ocpp") -> str:
        scheme = "wss" if self.tls else "ws"
        return f"{scheme}://127.0.0.1:{self.ocpp.port}{prefix}/{charge_point_id}"

    @property
    def metrics_url(self) -> str:
        return f"http://127.0.0.1:{self.http.port}/metrics"

    async def scrape(self) -> str:
        async with httpx.AsyncClient() as client:
            response = await client.get(self.metrics_url)
        response.raise_for_status()
        return response.text

    async def value(self, sample_name: str, **labels: str) -> float | None:
        """The value of one sample from a real scrape, None when absent."""
        return sample_value(await self.scrape(), sample_name, **labels)

    def counter(self, sample_name: str, **labels: str) -> float:
        """A value of the exporter's own counters, straight from its registry."""
        value = self.registry.get_sample_value(sample_name, labels)
        return 0.0 if value is None else value


def sample_value(text: str, sample_name: str, **labels: str) -> float | None:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == sample_name and all(
                sample.labels.get(k) == v for k, v in labels.items()
            ):
                return float(sample.value)
    return None


@asynccontextmanager
async def running_exporter(
    fleet: Fleet | None = None,
    *,
    profile: SecurityProfile = SecurityProfile.NONE,
    ssl_context: ssl.SSLContext | None = None,
    ping_interval: float = 20.0,
    ping_timeout: float = 20.0,
    max_message_bytes: int = 256 * 1024,
    authenticator: Authenticator | None = None,
) -> AsyncIterator[RunningExporter]:
    registry = CollectorRegistry()
    ProcessCollector(registry=registry)
    metrics = ExporterMetrics(registry)
    state = FleetState(fleet, metrics)
    auth = authenticator or Authenticator(profile, fleet)
    options = ServerOptions(
        "127.0.0.1", 0, ping_interval, ping_timeout, max_message_bytes, ssl_context
    )
    ocpp = OcppServer(options, state, metrics, auth)
    http = MetricsServer("127.0.0.1", 0, fleet_exposition(state, registry))
    await ocpp.start()
    await http.start()
    try:
        yield RunningExporter(state, registry, metrics, ocpp, http, ssl_context is not None)
    finally:
        await ocpp.stop()
        await http.stop()
        auth.close()


@dataclass
class TlsMaterial:
    """A CA, the exporter's server certificate for 127.0.0.1, and client contexts."""

    ca: trustme.CA
    cert: Path
    key: Path
    ca_file: Path

    def server_context(self, profile: SecurityProfile) -> ssl.SSLContext:
        ca = self.ca_file if profile is SecurityProfile.MUTUAL_TLS else None
        return server_ssl_context(profile, self.cert, self.key, ca)

    def client_context(
        self, client_cn: str | None = None, issuer: trustme.CA | None = None
    ) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
        self.ca.configure_trust(context)
        if client_cn is not None:
            leaf = (issuer or self.ca).issue_cert(client_cn, common_name=client_cn)
            leaf.configure_cert(context)
        return context


@pytest.fixture(scope="session")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsMaterial]:
    directory = tmp_path_factory.mktemp("tls")
    ca = trustme.CA()
    server = ca.issue_cert("127.0.0.1", "localhost")
    cert, key, ca_file = directory / "server.pem", directory / "server.key", directory / "ca.pem"
    server.cert_chain_pems[0].write_to_path(cert)
    for pem in server.cert_chain_pems[1:]:
        pem.write_to_path(cert, append=True)
    server.private_key_pem.write_to_path(key)
    ca.cert_pem.write_to_path(ca_file)
    yield TlsMaterial(ca, cert, key, ca_file)


async def eventually(
    check: Callable[[], Awaitable[bool]], within: float = 3.0, interval: float = 0.02
) -> float:
    """Poll ``check`` until true; return the seconds it took, fail after ``within`` seconds."""
    start = time.monotonic()
    while True:
        if await check():
            return time.monotonic() - start
        if time.monotonic() - start > within:
            pytest.fail(f"condition not met within {within} s")
        await asyncio.sleep(interval)

"""Security profiles from the charger's side: Basic auth, TLS, and TLS with a client certificate.

The certificates are made by the test with trustme; the central system is the test's reference
central system behind real TLS on 127.0.0.1.
"""

from __future__ import annotations

import ssl

import trustme

from simulator.fleet import SimulatedFleet
from simulator.shared import ChargerState
from tests.simulator.central import CentralSystem
from tests.simulator.helpers import eventually

PASSWORD = "correct horse battery staple"


def tls_pair(client_cert: bool) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """(server context, charger context) from a fresh test CA."""
    ca = trustme.CA()
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server)
    charger = ssl.create_default_context()
    ca.configure_trust(charger)
    if client_cert:
        server.verify_mode = ssl.CERT_REQUIRED
        ca.configure_trust(server)
        ca.issue_cert("SIM0001").configure_cert(charger)
    return server, charger


async def run_fleet(
    central: CentralSystem,
    password: str | None,
    tls: ssl.SSLContext | None,
    passwords: dict[str, str] | None = None,
) -> SimulatedFleet:
    fleet = SimulatedFleet(
        central.url,
        2,
        scenario="idle",
        time_scale=600,
        password=passwords if passwords is not None else password,
        ssl_context=tls,
    )
    await fleet.start()
    return fleet


async def test_profile_1_basic_auth() -> None:
    central = CentralSystem(password=PASSWORD)
    async with central.running():
        fleet = await run_fleet(central, PASSWORD, None)
        try:
            await fleet.wait_ready(within=10)
        finally:
            await fleet.stop()
    assert central.refused == 0


async def test_wrong_password_is_reported_as_http_401() -> None:
    central = CentralSystem(password=PASSWORD)
    async with central.running():
        fleet = await run_fleet(central, "wrong", None)
        try:
            await eventually(
                lambda: fleet.stats.failures.get("HTTP 401 from the central system", 0) >= 2
            )
            assert all(c.state is not ChargerState.BOOTED for c in fleet.chargers)
        finally:
            await fleet.stop()
    assert central.peers == {}, "no websocket was opened"


async def test_profile_2_tls_with_basic_auth() -> None:
    server_tls, charger_tls = tls_pair(client_cert=False)
    central = CentralSystem(password=PASSWORD, ssl_context=server_tls)
    async with central.running():
        assert central.url.startswith("wss://")
        fleet = await run_fleet(central, PASSWORD, charger_tls)
        try:
            await fleet.wait_ready(within=10)
        finally:
            await fleet.stop()


async def test_profile_3_client_certificate() -> None:
    server_tls, charger_tls = tls_pair(client_cert=True)
    central = CentralSystem(ssl_context=server_tls)
    async with central.running():
        fleet = await run_fleet(central, None, charger_tls)
        try:
            await fleet.wait_ready(within=10)
        finally:
            await fleet.stop()


async def test_untrusted_server_certificate_is_a_tls_failure() -> None:
    server_tls, _ = tls_pair(client_cert=False)
    _, other_trust = tls_pair(client_cert=False)
    central = CentralSystem(ssl_context=server_tls)
    async with central.running():
        fleet = await run_fleet(central, None, other_trust)
        try:
            await eventually(lambda: any(r.startswith("TLS") for r in fleet.stats.failures))
        finally:
            await fleet.stop()
    assert central.peers == {}


async def test_per_charger_passwords() -> None:
    secrets = {"SIM0001": "first secret", "SIM0002": "second secret"}
    central = CentralSystem(password=secrets)
    async with central.running():
        fleet = await run_fleet(central, None, None, passwords=secrets)
        try:
            await fleet.wait_ready(within=10)
        finally:
            await fleet.stop()
    assert central.refused == 0

"""``chargekeeper exporter --upstream URL [--upstream-ca FILE]``: checked options, precise
startup errors, who checks credentials, and a whole collector run in proxy mode."""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path

import pytest
import trustme
from websockets.asyncio.client import ClientConnection

from exporter.cli import run_exporter
from exporter.proxy.credentials import local_profile
from exporter.proxy.upstream import UpstreamConfigError, Upstreams, client_ssl_context
from exporter.security import SecurityConfigError, SecurityProfile
from exporter.settings import ExporterSettings
from tests.exporter.conftest import PASSWORD, boot_frame, charger, make_fleet, receive_text
from tests.exporter.proxy.conftest import library_csms
from tests.exporter.test_cli import listen_args, run_cli


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--upstream", "http://csms.example/ocpp"], "--upstream: upstream 'http://csms.example"),
        (["--upstream", "ws://csms/{id}"], "only {charge_point_id} may appear in braces"),
        (["--upstream-ca", "ca.pem"], "--upstream-ca: it checks the certificate of a wss://"),
        (
            ["--upstream", "wss://csms.example/ocpp", "--upstream-ca", "/nonexistent/ca.pem"],
            "--upstream-ca: file not found: /nonexistent/ca.pem",
        ),
    ],
)
def test_bad_proxy_options_get_a_precise_error_and_exit_2(args: list[str], expected: str) -> None:
    code, _, err = run_cli("exporter", *listen_args(), *args)
    assert code == 2
    assert expected in err


def test_the_upstream_ca_must_hold_certificates(tmp_path: Path) -> None:
    bogus = tmp_path / "ca.pem"
    bogus.write_text("not a certificate\n")
    with pytest.raises(UpstreamConfigError, match=f"--upstream-ca {bogus}: cannot load"):
        client_ssl_context(bogus)


def test_each_charger_s_url_and_tls() -> None:
    context = ssl.create_default_context()
    overrides = {"CP-2": "wss://other.example/ocpp/{charge_point_id}/ws"}
    upstreams = Upstreams("ws://csms.example/ocpp/", context, overrides.get)
    assert upstreams.url_for("CP 1/x") == "ws://csms.example/ocpp/CP%201%2Fx"
    assert upstreams.url_for("CP-2") == "wss://other.example/ocpp/CP-2/ws"
    assert upstreams.ssl_for("ws://csms.example/ocpp/CP-1") is None
    assert upstreams.ssl_for("wss://other.example/ocpp/CP-2/ws") is context


def test_profiles_1_and_2_leave_passwords_to_the_csms() -> None:
    without = make_fleet("CP-1")
    assert local_profile(SecurityProfile.BASIC, without) is SecurityProfile.NONE
    assert local_profile(SecurityProfile.TLS_BASIC, None) is SecurityProfile.NONE
    assert local_profile(SecurityProfile.MUTUAL_TLS, None) is SecurityProfile.MUTUAL_TLS
    with pytest.raises(SecurityConfigError, match="with --upstream the CSMS checks"):
        local_profile(SecurityProfile.BASIC, make_fleet("CP-1", password=PASSWORD))
    with pytest.raises(SecurityConfigError, match="security profile 0 would accept"):
        local_profile(SecurityProfile.NONE, make_fleet("CP-1", password=PASSWORD))


async def test_run_exporter_relays_to_the_csms_given_by_upstream(tmp_path: Path) -> None:
    ca = trustme.CA()
    csms_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(csms_context)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(ca_file)
    fleet_file = tmp_path / "fleet.yaml"
    fleet_file.write_text(
        "clients: [{id: acme}]\nsites: [{id: lyon-1, client: acme}]\n"
        "chargers: [{id: CP-1, site: lyon-1}]\n"
    )
    async with library_csms(ssl_context=csms_context) as csms:
        ocpp_listen, metrics_listen = listen_args()[1], listen_args()[3]
        settings = ExporterSettings.from_options(
            ocpp_listen=ocpp_listen,
            metrics_listen=metrics_listen,
            fleet=fleet_file,
            security_profile=1,
            upstream=csms.url,
            upstream_ca=ca_file,
        )
        stop = asyncio.Event()
        running = asyncio.create_task(run_exporter(settings, stop))
        try:
            url = f"ws://{ocpp_listen}/ocpp/CP-1"
            async with await _once_listening(url, {"Authorization": "x"}) as ws:
                await ws.send(boot_frame("1.6"))
                assert '"Accepted"' in await receive_text(ws)
            assert csms.request_headers["CP-1"]["Authorization"] == "x"
        finally:
            stop.set()
            await asyncio.wait_for(running, 10)


async def _once_listening(url: str, headers: dict[str, str]) -> ClientConnection:
    """A charger connection as soon as the collector started by the test listens."""
    for _ in range(200):
        try:
            return await charger(url, "ocpp1.6", additional_headers=headers)
        except OSError:
            await asyncio.sleep(0.05)
    pytest.fail(f"nothing listens on {url}")

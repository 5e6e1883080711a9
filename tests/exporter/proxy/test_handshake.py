"""The opening handshake through the proxy: the CSMS is connected first and decides."""

from __future__ import annotations

import base64
import ssl
from pathlib import Path

import pytest
import trustme
from websockets.exceptions import ConnectionClosed, InvalidMessage, InvalidStatus

from chargekeeper.config.fleet import Fleet
from exporter.proxy.upstream import client_ssl_context
from exporter.security import SecurityProfile
from tests.exporter.conftest import boot_frame, charger, receive_text
from tests.exporter.proxy.conftest import library_csms, refuse_with, running_proxy

REFUSED = "chargekeeper_exporter_connections_refused_total"
UPSTREAM_FAILURES = "chargekeeper_exporter_proxy_upstream_failures_total"


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@pytest.mark.parametrize(
    ("csms_speaks", "chosen"), [(["ocpp1.6"], "ocpp1.6"), (["ocpp2.0.1"], "ocpp2.0.1")]
)
async def test_the_charger_gets_the_subprotocol_the_csms_chose(
    csms_speaks: list[str], chosen: str
) -> None:
    async with (
        library_csms(csms_speaks) as csms,
        running_proxy(csms.url) as proxy,
        charger(proxy.url("CP-1"), "ocpp2.0.1", "ocpp1.6") as ws,
    ):
        assert ws.subprotocol == chosen
        await ws.send(boot_frame(chosen.removeprefix("ocpp")))
        assert '"Accepted"' in await receive_text(ws)
        offered = csms.request_headers["CP-1"].get_all("Sec-WebSocket-Protocol")
        assert [p.strip() for h in offered for p in h.split(",")] == ["ocpp2.0.1", "ocpp1.6"]


async def test_subprotocols_the_collector_cannot_watch_are_not_offered_upstream() -> None:
    async with (
        library_csms(["ocpp1.6"]) as csms,
        running_proxy(csms.url) as proxy,
        charger(proxy.url("CP-1"), "ocpp2.1", "ocpp1.6") as ws,
    ):
        assert ws.subprotocol == "ocpp1.6"
        await csms.station("CP-1")
        assert csms.request_headers["CP-1"]["Sec-WebSocket-Protocol"] == "ocpp1.6"


async def test_the_authorization_header_reaches_the_csms_unchanged() -> None:
    credentials = basic("CP-1", "correct-horse-battery-staple-1")
    async with (
        library_csms() as csms,
        running_proxy(csms.url, profile=SecurityProfile.NONE) as proxy,
        charger(proxy.url("CP-1"), "ocpp1.6", additional_headers=credentials),
    ):
        await csms.station("CP-1")
        assert csms.request_headers["CP-1"].get_all("Authorization") == [
            credentials["Authorization"]
        ]


async def test_a_csms_refusal_reaches_the_charger_with_its_status_and_challenge() -> None:
    refusal = refuse_with(401, "wrong password\n", WWW_Authenticate='Basic realm="csms"')
    async with library_csms(process_request=refusal) as csms, running_proxy(csms.url) as proxy:
        with pytest.raises(InvalidStatus) as refused:
            async with charger(proxy.url("CP-1"), "ocpp1.6", additional_headers=basic("a", "b")):
                pass
        response = refused.value.response
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == 'Basic realm="csms"'
        assert response.body == b"wrong password\n"
        assert proxy.counter(REFUSED, reason="upstream_refused") == 1


async def test_a_csms_that_does_not_know_the_charger_makes_the_proxy_answer_404() -> None:
    refusal = refuse_with(404, "unknown charger\n")
    async with library_csms(process_request=refusal) as csms, running_proxy(csms.url) as proxy:
        with pytest.raises(InvalidStatus) as refused:
            async with charger(proxy.url("CP-1"), "ocpp1.6"):
                pass
        assert refused.value.response.status_code == 404


async def test_a_csms_that_is_down_leaves_the_charger_with_a_closed_connection() -> None:
    async with library_csms() as csms:
        url = csms.url  # its port, closed once the CSMS is gone
    async with running_proxy(url) as proxy:
        with pytest.raises(InvalidMessage):
            async with charger(proxy.url("CP-1"), "ocpp1.6"):
                pass
        assert proxy.counter(REFUSED, reason="upstream_unreachable") == 1
        assert proxy.counter(UPSTREAM_FAILURES, reason="unreachable") == 1
        assert proxy.ocpp.connection_count == 0


def _tls_csms_context(tmp_path: Path) -> tuple[ssl.SSLContext, Path]:
    ca = trustme.CA()
    server = ca.issue_cert("127.0.0.1")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.configure_cert(context)
    ca_file = tmp_path / "csms-ca.pem"
    ca.cert_pem.write_to_path(ca_file)
    return context, ca_file


async def test_a_wss_upstream_is_verified_against_the_given_ca(tmp_path: Path) -> None:
    server_context, ca_file = _tls_csms_context(tmp_path)
    async with library_csms(ssl_context=server_context) as csms:
        assert csms.url.startswith("wss://")
        async with (
            running_proxy(csms.url, upstream_ssl=client_ssl_context(ca_file)) as proxy,
            charger(proxy.url("CP-1"), "ocpp1.6") as ws,
        ):
            await ws.send(boot_frame("1.6"))
            assert '"Accepted"' in await receive_text(ws)
        # Without the CA (the system's trusted CAs only) the certificate is not trusted.
        async with running_proxy(csms.url, upstream_ssl=client_ssl_context(None)) as proxy:
            with pytest.raises(InvalidMessage):
                async with charger(proxy.url("CP-1"), "ocpp1.6"):
                    pass
            assert proxy.counter(UPSTREAM_FAILURES, reason="unreachable") == 1
        assert list(csms.stations) == ["CP-1"]


async def test_the_id_is_percent_encoded_into_the_placeholder_or_appended() -> None:
    async with library_csms() as csms:
        template = csms.url + "/{charge_point_id}/ws?site=1"
        async with (
            running_proxy(template) as proxy,
            charger(proxy.url("CP%2A1%7Cx"), "ocpp1.6"),
        ):
            await csms.station("ws")  # the last path segment, as this CSMS names stations
        async with running_proxy(csms.url) as proxy, charger(proxy.url("CP%3A2"), "ocpp1.6"):
            await csms.station("CP:2")
    assert csms.paths == ["/csms/CP%2A1%7Cx/ws?site=1", "/csms/CP%3A2"]


async def test_the_fleet_file_upstream_overrides_the_default_per_charger() -> None:
    async with library_csms() as default, library_csms() as other:
        fleet = Fleet.model_validate(
            {
                "clients": [{"id": "acme"}],
                "sites": [{"id": "lyon-1", "client": "acme", "timezone": "Europe/Paris"}],
                "chargers": [
                    {"id": "CP-1", "site": "lyon-1"},
                    {"id": "CP-2", "site": "lyon-1", "upstream": other.url},
                ],
            }
        )
        async with (
            running_proxy(default.url, fleet) as proxy,
            charger(proxy.url("CP-1"), "ocpp1.6"),
            charger(proxy.url("CP-2"), "ocpp1.6"),
        ):
            await default.station("CP-1")
            await other.station("CP-2")
        assert list(default.stations) == ["CP-1"]
        assert list(other.stations) == ["CP-2"]


async def test_a_charger_offering_nothing_watchable_is_closed_without_contacting_the_csms() -> None:
    async with (
        library_csms() as csms,
        running_proxy(csms.url) as proxy,
        charger(proxy.url("CP-1"), "ocpp1.2") as ws,
    ):
        assert ws.subprotocol is None
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1002
    assert csms.paths == []


async def test_a_csms_that_speaks_none_of_the_offered_versions_decides_for_the_charger() -> None:
    async with library_csms(["ocpp2.0.1"]) as csms, running_proxy(csms.url) as proxy:
        with pytest.raises(InvalidStatus) as direct:  # what the charger gets without the proxy
            async with charger(csms.url + "/CP-0", "ocpp1.6"):
                pass
        with pytest.raises(InvalidStatus) as proxied:
            async with charger(proxy.url("CP-1"), "ocpp1.6"):
                pass
        assert proxied.value.response.status_code == direct.value.response.status_code == 400

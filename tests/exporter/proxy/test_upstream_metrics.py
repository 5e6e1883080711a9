"""The metrics only a proxy sees (``ocpp_upstream_*``, upstream leg, registration status),
from a real scrape of the collector in proxy mode in front of a CSMS on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from prometheus_client import CollectorRegistry
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from chargekeeper.config.fleet import Fleet
from exporter.http import MetricsServer, fleet_exposition
from exporter.proxy.connection import Proxy
from exporter.proxy.metrics import ProxyMetrics
from exporter.proxy.relay import LegOptions
from exporter.proxy.upstream import Upstreams
from exporter.proxy.upstream_metrics import UpstreamMetrics, UpstreamNames
from exporter.security import Authenticator, SecurityProfile
from exporter.selfmetrics import ExporterMetrics
from exporter.server import OcppServer, ServerOptions
from exporter.state import FleetState
from tests.exporter.conftest import RunningExporter, charger, eventually, receive_text
from tests.simulator.central import CentralSystem

FLEET = Fleet.model_validate(
    {
        "unknown_chargers": "accept",
        "clients": [{"id": "acme", "upstream": "ws://127.0.0.1:1/unused"}, {"id": "other"}],
        "sites": [
            {"id": "lyon-1", "client": "acme"},
            {"id": "leeds-1", "client": "other", "upstream": "ws://127.0.0.1:1/unused"},
            {"id": "paris-1", "client": "other"},
        ],
        "chargers": [
            {"id": "CP-1", "site": "lyon-1"},
            {"id": "CP-2", "site": "leeds-1"},
            {"id": "CP-3", "site": "paris-1"},
            {"id": "CP-4", "site": "paris-1", "upstream": "ws://127.0.0.1:1/unused"},
        ],
    }
)


async def _scripted_csms(connection: ServerConnection) -> None:
    """A CSMS that leaves BootNotification Pending, answers Authorize Invalid, never answers
    Heartbeat, and answers any other CALL with a CALLERROR whose code the payload names."""
    with suppress(ConnectionClosed):
        async for frame in connection:
            message = json.loads(frame)
            if message[0] != 2:
                continue
            msg_id, action, payload = message[1], message[2], message[3]
            if action == "BootNotification":
                answer = {"status": "Pending", "currentTime": "2026-01-01T00:00:00Z", "interval": 5}
                await connection.send(json.dumps([3, msg_id, answer]))
            elif action == "Authorize":
                await connection.send(json.dumps([3, msg_id, {"idTagInfo": {"status": "Invalid"}}]))
            elif action != "Heartbeat":
                code = payload.get("code", "NotImplemented")
                await connection.send(json.dumps([4, msg_id, code, "on purpose", {}]))


@asynccontextmanager
async def proxied(
    upstream: str, fleet: Fleet | None = FLEET, call_timeout: float = 30.0
) -> AsyncIterator[RunningExporter]:
    """The collector in proxy mode with the upstream metrics, as ``exporter.cli`` wires it,
    every charger forwarded to ``upstream`` (the fleet's own upstreams only name them)."""
    registry = CollectorRegistry()
    metrics = ExporterMetrics(registry)
    state = FleetState(fleet, metrics)
    auth = Authenticator(SecurityProfile.NONE, fleet)
    proxy = Proxy(
        Upstreams(upstream, ssl.create_default_context()),
        LegOptions(20.0, 20.0, 256 * 1024, open_timeout=5.0),
        ProxyMetrics(registry),
        upstream_metrics=UpstreamMetrics(registry, fleet, call_timeout=call_timeout),
    )
    ocpp = OcppServer(
        ServerOptions("127.0.0.1", 0, 20.0, 20.0, 256 * 1024), state, metrics, auth, proxy
    )
    http = MetricsServer("127.0.0.1", 0, fleet_exposition(state, registry))
    await ocpp.start()
    await http.start()
    try:
        yield RunningExporter(state, registry, metrics, ocpp, http, False)
    finally:
        await ocpp.stop()
        await http.stop()
        auth.close()


def test_upstreams_are_named_by_where_the_fleet_file_sets_them() -> None:
    names = UpstreamNames(FLEET)
    assert [names.of(cp) for cp in ("CP-1", "CP-2", "CP-3", "CP-4", "CP-NEW")] == [
        "client/acme",
        "site/leeds-1",
        "default",
        "charger/CP-4",
        "default",
    ]
    assert names.scopes == {
        "default": ("", ""),
        "client/acme": ("", "acme"),
        "site/leeds-1": ("leeds-1", "other"),
        "charger/CP-4": ("paris-1", "other"),
    }


async def test_registration_authorizations_errors_and_the_upstream_leg() -> None:
    async with (
        serve(_scripted_csms, "127.0.0.1", 0, subprotocols=["ocpp1.6"]) as csms,  # type: ignore[list-item]
        proxied(f"ws://127.0.0.1:{csms.sockets[0].getsockname()[1]}") as exporter,
    ):
        connected = "ocpp_charge_point_upstream_connected"
        # Every fleet charger has the series, 0 until its upstream leg opens.
        assert await exporter.value(connected, charge_point_id="CP-1", upstream="client/acme") == 0
        async with charger(exporter.url("CP-1"), "ocpp1.6") as ws:
            boot = '[2,"b1","BootNotification",{"chargePointVendor":"V","chargePointModel":"M"}]'
            await ws.send(boot)
            assert '"Pending"' in await receive_text(ws)
            await ws.send('[2,"a1","Authorize",{"idTag":"T1"}]')
            assert '"Invalid"' in await receive_text(ws)
            # An action no OCPP version has and a code no OCPP version has: bounded to other.
            await ws.send('[2,"x1","MadeUpAction",{"code":"<b>NoSuchCode</b>"}]')
            assert "NoSuchCode" in await receive_text(ws)
            await ws.send('[2,"d1","DataTransfer",{"vendorId":"v","code":"NotSupported"}]')
            assert "NotSupported" in await receive_text(ws)

            async def answered() -> bool:
                value = exporter.counter(
                    "ocpp_upstream_call_errors_total",
                    upstream="client/acme",
                    action="DataTransfer",
                    error_code="NotSupported",
                )
                return value == 1

            await eventually(answered)
            text = await exporter.scrape()
            assert f'{connected}{{charge_point_id="CP-1",upstream="client/acme"}} 1.0' in text
            assert (
                'ocpp_charge_point_registration_status{charge_point_id="CP-1",status="Pending"} 1.0'
                in text
            )
            assert (
                'ocpp_upstream_authorizations_total{action="Authorize",status="Invalid",'
                'upstream="client/acme"} 1.0' in text
            )
            assert (
                'ocpp_upstream_call_errors_total{action="other",error_code="other",'
                'upstream="client/acme"} 1.0' in text
            )
            assert "NoSuchCode" not in text and "MadeUpAction" not in text
            # Four answers timed; a CALLERROR is an answer too.
            assert (
                'ocpp_upstream_call_duration_seconds_count{action="BootNotification",'
                'upstream="client/acme"} 1.0' in text
            )
            assert 'ocpp_upstream_connects_total{upstream="client/acme"} 1.0' in text
            assert 'ocpp_upstream_info{client="acme",site="",upstream="client/acme"} 1.0' in text
            # A charger the fleet file does not list is relayed but gets no per-charger series.
            async with charger(exporter.url("CP-NEW"), "ocpp1.6") as stranger:
                await stranger.send(boot)
                assert '"Pending"' in await receive_text(stranger)
                text = await exporter.scrape()
                assert 'charge_point_id="CP-NEW"' not in text.split("ocpp_charge_point_upstream")[1]

        async def leg_closed() -> bool:
            value = await exporter.value(connected, charge_point_id="CP-1")
            return value == 0

        await eventually(leg_closed)
        # The registration status is served only while the charger's leg is open.
        assert await exporter.value("ocpp_charge_point_registration_status") is None


async def test_a_call_the_csms_leaves_unanswered_counts_as_a_timeout() -> None:
    central = CentralSystem(mode="silent")
    async with (
        central.running(),
        proxied(central.url, call_timeout=0.2) as exporter,
        charger(exporter.url("CP-3"), "ocpp1.6") as ws,
    ):
        await ws.send('[2,"h1","Heartbeat",{}]')

        async def timed_out() -> bool:
            value = exporter.counter(
                "ocpp_upstream_call_errors_total",
                upstream="default",
                action="Heartbeat",
                error_code="Timeout",
            )
            return value == 1

        waited = await eventually(timed_out, within=3.0)
        assert waited >= 0.15  # not before the timeout
        await asyncio.sleep(0.3)  # counted once, not again at the next sweep
        assert await timed_out()
        assert (
            exporter.registry.get_sample_value(
                "ocpp_upstream_call_duration_seconds_count",
                {"upstream": "default", "action": "Heartbeat"},
            )
            is None
        )


async def test_an_unreachable_csms_is_counted_per_upstream() -> None:
    async with proxied("ws://127.0.0.1:1/nothing-listens") as exporter:
        for charge_point_id in ("CP-2", "CP-2", "CP-4"):
            with suppress(Exception):
                async with charger(exporter.url(charge_point_id), "ocpp1.6"):
                    pass
        failures = "ocpp_upstream_connect_failures_total"
        assert exporter.counter(failures, upstream="site/leeds-1", reason="unreachable") == 2
        assert exporter.counter(failures, upstream="charger/CP-4", reason="unreachable") == 1
        assert exporter.counter("ocpp_upstream_connects_total", upstream="site/leeds-1") == 2
        text = await exporter.scrape()
        assert (
            'ocpp_charge_point_upstream_connected{charge_point_id="CP-2",'
            'upstream="site/leeds-1"} 0.0' in text
        )

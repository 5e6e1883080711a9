"""The websocket server over real sockets: negotiation, refusals, liveness, isolation."""

from __future__ import annotations

import asyncio
import json

import pytest
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed, InvalidStatus

from exporter.server import charge_point_id_from_path
from tests.exporter.conftest import (
    boot_frame,
    charger,
    eventually,
    heartbeat_frame,
    make_fleet,
    running_exporter,
)


async def call(ws: ClientConnection, frame: str) -> list[object]:
    await ws.send(frame)
    reply = json.loads(await asyncio.wait_for(ws.recv(), 5))
    assert isinstance(reply, list)
    return reply


@pytest.mark.parametrize(
    ("offered", "chosen", "version"),
    [
        (["ocpp1.6"], "ocpp1.6", "1.6"),
        (["ocpp2.0.1"], "ocpp2.0.1", "2.0.1"),
        (["ocpp1.6", "ocpp2.0.1"], "ocpp2.0.1", "2.0.1"),  # server prefers 2.0.1
        (["ocpp1.5", "ocpp1.6"], "ocpp1.6", "1.6"),
    ],
)
async def test_subprotocol_negotiated_and_boot_answered(
    offered: list[str], chosen: str, version: str
) -> None:
    async with running_exporter() as exporter, charger(exporter.url("CP-1"), *offered) as ws:
        assert ws.subprotocol == chosen
        reply = await call(ws, boot_frame(version))
        assert reply[0] == 3 and reply[1] == "boot-1"
        assert isinstance(reply[2], dict) and reply[2]["status"] == "Accepted"
        info = await exporter.value("ocpp_charge_point_info", charge_point_id="CP-1")
        assert info == 1
        assert (
            exporter.counter("chargekeeper_exporter_connections_total", ocpp_version=version) == 1
        )


@pytest.mark.parametrize(
    ("path", "subprotocols", "status", "reason", "text"),
    [
        ("/ocpp/CP-1", None, 400, "subprotocol_missing", "missing Sec-WebSocket-Protocol"),
        ("/ocpp/", ["ocpp1.6"], 400, "invalid_charge_point_id", "charge point id"),
        ("/ocpp/bad%20id", ["ocpp1.6"], 400, "invalid_charge_point_id", "charge point id"),
        ("/ocpp/" + "x" * 49, ["ocpp1.6"], 400, "invalid_charge_point_id", "1-48"),
        ("/ocpp/STRANGER", ["ocpp1.6"], 404, "unknown_charge_point", "'STRANGER'"),
    ],
)
async def test_refused_before_upgrade_with_reason(
    path: str, subprotocols: list[str] | None, status: int, reason: str, text: str
) -> None:
    async with running_exporter(make_fleet("CP-1")) as exporter:
        url = f"ws://127.0.0.1:{exporter.ocpp.port}{path}"
        with pytest.raises(InvalidStatus) as refused:
            async with charger(url, *(subprotocols or [])):
                pass
        response = refused.value.response
        assert response.status_code == status
        assert text in response.body.decode()
        assert (
            exporter.counter("chargekeeper_exporter_connections_refused_total", reason=reason) == 1
        )
        assert await exporter.value("ocpp_charge_point_connected", charge_point_id="CP-1") == 0


def test_charge_point_id_is_the_url_decoded_last_segment() -> None:
    assert charge_point_id_from_path("/ocpp/v16/CP%2B1?x=1") == "CP+1"
    assert charge_point_id_from_path("/CP-1") == "CP-1"
    assert charge_point_id_from_path("/a/b/") is None
    assert charge_point_id_from_path("/ocpp/CP%2F1") is None  # an encoded '/' is not an id
    assert charge_point_id_from_path("/ocpp/%ff%fe") is None


async def test_known_charger_shows_0_then_1_and_disconnect_is_known_at_once() -> None:
    async with running_exporter(make_fleet("CP-1", "CP-2")) as exporter:
        assert await exporter.value("ocpp_charge_point_connected", charge_point_id="CP-2") == 0
        assert await exporter.value("ocpp_charge_point_connected", charge_point_id="CP-1") == 0
        async with charger(exporter.url("CP-1"), "ocpp1.6") as ws:
            await call(ws, heartbeat_frame())
            assert await exporter.value("ocpp_charge_point_connected", charge_point_id="CP-1") == 1
            last = await exporter.value(
                "ocpp_charge_point_last_message_timestamp_seconds", charge_point_id="CP-1"
            )
            assert last is not None and last > 0

        async def closed() -> bool:
            return await exporter.value("ocpp_charge_point_connected", charge_point_id="CP-1") == 0

        assert await eventually(closed, within=1.0) < 0.5
        assert exporter.counter("chargekeeper_exporter_disconnections_total", reason="closed") == 1


async def test_silent_link_loss_is_detected_within_ping_interval_plus_timeout() -> None:
    interval, timeout = 0.3, 0.3
    async with (
        running_exporter(ping_interval=interval, ping_timeout=timeout) as exporter,
        charger(exporter.url("CP-1"), "ocpp2.0.1", ping_interval=None) as ws,
    ):
        await call(ws, heartbeat_frame())
        # The charger goes silent: it stops reading, so it never answers a ping.
        ws.transport.pause_reading()

        async def gone() -> bool:
            return await exporter.value("ocpp_charge_point_connected", charge_point_id="CP-1") == 0

        took = await eventually(gone, within=5.0)
        assert took <= interval + timeout + 0.5
        assert exporter.counter("chargekeeper_exporter_disconnections_total", reason="timeout") == 1
        ws.transport.resume_reading()


async def test_oversize_message_closes_only_that_connection() -> None:
    async with (
        running_exporter(max_message_bytes=4096) as exporter,
        charger(exporter.url("BIG"), "ocpp1.6") as big,
        charger(exporter.url("SMALL"), "ocpp1.6") as small,
    ):
        padding = "x" * 5000
        await big.send(json.dumps([2, "1", "DataTransfer", {"vendorId": "v", "data": padding}]))
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(big.recv(), 5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
        reply = await call(small, heartbeat_frame())
        assert reply[0] == 3
        assert await exporter.value("ocpp_charge_point_connected", charge_point_id="BIG") == 0
        assert exporter.counter("chargekeeper_exporter_disconnections_total", reason="error") == 1


async def test_bad_frames_get_errors_and_leave_every_connection_working() -> None:
    async with (
        running_exporter() as exporter,
        charger(exporter.url("BAD"), "ocpp1.6") as bad,
        charger(exporter.url("GOOD"), "ocpp2.0.1") as good,
    ):
        for junk in ("not json", "[2,", "[]", '{"a": 1}', "[2, 1, 2, 3]", "\x00" * 10):
            await bad.send(junk)
        await bad.send(b"\xff\xfe binary")
        reply = await call(bad, heartbeat_frame("after-junk"))
        # The bad charger is still served: some replies to junk, then the heartbeat's.
        while reply[1] != "after-junk":
            reply = json.loads(await asyncio.wait_for(bad.recv(), 5))
        assert reply[0] == 3
        assert (await call(good, heartbeat_frame()))[0] == 3
        assert set(exporter.ocpp.connected_ids()) == {"BAD", "GOOD"}


async def test_duplicate_id_replaces_the_older_connection() -> None:
    async with running_exporter(make_fleet("CP-1")) as exporter:
        old = await charger(exporter.url("CP-1"), "ocpp1.6")
        await call(old, heartbeat_frame())
        async with charger(exporter.url("CP-1"), "ocpp2.0.1") as new:
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(old.recv(), 5)
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.reason == "replaced by a newer connection"
            assert (await call(new, heartbeat_frame()))[0] == 3
            assert await exporter.value("ocpp_charge_point_connected", charge_point_id="CP-1") == 1
            assert (
                await exporter.value(
                    "ocpp_charge_point_info", charge_point_id="CP-1", ocpp_version="2.0.1"
                )
                == 1
            )
            assert (
                exporter.counter("chargekeeper_exporter_disconnections_total", reason="replaced")
                == 1
            )
        assert await exporter.value("ocpp_charge_point_connected", charge_point_id="CP-1") == 0


async def test_shutdown_closes_chargers_with_going_away() -> None:
    async with running_exporter() as exporter:
        ws = await charger(exporter.url("CP-1"), "ocpp1.6")
        await call(ws, heartbeat_frame())
        await exporter.ocpp.stop()
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1001

"""Closing through the proxy: either side's close reaches the other with the same code, a dead
or silent peer drops the other leg, and the size bound holds on both legs."""

from __future__ import annotations

import asyncio

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.frames import CloseCode

from tests.exporter.conftest import boot_frame, charger, eventually, receive_text
from tests.exporter.proxy.conftest import library_csms, running_proxy


async def closed_with(ws: object, within: float = 5.0) -> ConnectionClosed:
    """How ``ws`` (a websockets connection) ended: the exception its next recv raises."""
    try:
        await asyncio.wait_for(ws.recv(), within)  # type: ignore[attr-defined]
    except ConnectionClosed as closed:
        return closed
    pytest.fail("the connection received a frame instead of closing")


async def test_the_charger_s_close_code_and_reason_reach_the_csms() -> None:
    async with library_csms() as csms, running_proxy(csms.url) as proxy:
        async with charger(proxy.url("CP-1"), "ocpp1.6") as ws:
            await csms.station("CP-1")
            await ws.close(4000, "charger rebooting")
        upstream = csms.connections["CP-1"]
        await asyncio.wait_for(upstream.wait_closed(), 5)
        assert (upstream.close_code, upstream.close_reason) == (4000, "charger rebooting")

        async def disconnected() -> bool:
            return await proxy.value("ocpp_charge_point_connected", charge_point_id="CP-1") == 0

        await eventually(disconnected)


async def test_the_csms_s_close_code_and_reason_reach_the_charger() -> None:
    async with (
        library_csms() as csms,
        running_proxy(csms.url) as proxy,
        charger(proxy.url("CP-1"), "ocpp1.6") as ws,
    ):
        await csms.station("CP-1")
        await csms.connections["CP-1"].close(CloseCode.INTERNAL_ERROR, "csms restarting")
        closed = await closed_with(ws)
        assert closed.rcvd is not None
        assert (closed.rcvd.code, closed.rcvd.reason) == (1011, "csms restarting")


async def test_a_csms_that_dies_mid_session_drops_the_charger_s_connection() -> None:
    async with (
        library_csms() as csms,
        running_proxy(csms.url) as proxy,
        charger(proxy.url("CP-1"), "ocpp1.6") as ws,
    ):
        await ws.send(boot_frame("1.6"))
        await receive_text(ws)
        csms.connections["CP-1"].transport.abort()  # the CSMS process is gone: no close frame
        closed = await closed_with(ws)
        assert closed.rcvd is None  # the charger sees what it would see of the CSMS: 1006
        assert ws.close_code == CloseCode.ABNORMAL_CLOSURE


async def test_a_silent_csms_is_found_by_the_upstream_leg_s_keepalive() -> None:
    async with (
        library_csms() as csms,
        running_proxy(csms.url, ping_interval=0.2, ping_timeout=0.3) as proxy,
        charger(proxy.url("CP-1"), "ocpp1.6") as ws,
    ):
        await csms.station("CP-1")
        csms.connections["CP-1"].transport.pause_reading()  # alive, but answers no ping
        closed = await closed_with(ws, within=3.0)
        assert closed.rcvd is None
        csms.connections["CP-1"].transport.abort()  # else the CSMS's close waits 10 s for it


async def test_the_size_bound_holds_and_its_1009_reaches_the_other_side() -> None:
    async with (
        library_csms() as csms,
        running_proxy(csms.url, max_message_bytes=4096) as proxy,
    ):
        async with charger(proxy.url("CP-1"), "ocpp1.6") as ws:
            await csms.station("CP-1")
            await ws.send("x" * 5000)
            closed = await closed_with(ws)
            assert closed.rcvd is not None and closed.rcvd.code == CloseCode.MESSAGE_TOO_BIG
        upstream = csms.connections["CP-1"]
        await asyncio.wait_for(upstream.wait_closed(), 5)
        assert upstream.close_code == CloseCode.MESSAGE_TOO_BIG
        assert csms.wires["CP-1"].received == []  # the oversized frame never went on

        # From the CSMS's side: the upstream leg bounds what the CSMS sends the same way.
        async with charger(proxy.url("CP-2"), "ocpp1.6") as ws:
            await csms.station("CP-2")
            await csms.connections["CP-2"].send("y" * 5000)
            closed = await closed_with(ws)
            assert closed.rcvd is not None and closed.rcvd.code == CloseCode.MESSAGE_TOO_BIG


async def test_stopping_the_collector_closes_both_legs_with_going_away() -> None:
    async with library_csms() as csms:
        async with running_proxy(csms.url) as proxy:
            ws = await charger(proxy.url("CP-1"), "ocpp1.6")
            await csms.station("CP-1")
        closed = await closed_with(ws)
        assert closed.rcvd is not None and closed.rcvd.code == CloseCode.GOING_AWAY
        upstream = csms.connections["CP-1"]
        await asyncio.wait_for(upstream.wait_closed(), 5)
        assert upstream.close_code == CloseCode.GOING_AWAY


async def test_a_reconnecting_charger_gets_a_new_upstream_leg_and_the_old_one_closes() -> None:
    async with (
        library_csms() as csms,
        running_proxy(csms.url) as proxy,
        charger(proxy.url("CP-1"), "ocpp1.6") as first,
    ):
        await csms.station("CP-1")
        first_upstream = csms.connections["CP-1"]
        async with charger(proxy.url("CP-1"), "ocpp1.6") as second:
            closed = await closed_with(first)
            assert closed.rcvd is not None and closed.rcvd.code == CloseCode.NORMAL_CLOSURE
            await asyncio.wait_for(first_upstream.wait_closed(), 5)
            assert first_upstream.close_code == CloseCode.NORMAL_CLOSURE

            async def reconnected() -> bool:
                return csms.connections["CP-1"] is not first_upstream

            await eventually(reconnected)
            await second.send(boot_frame("1.6"))
            assert '"Accepted"' in await receive_text(second)

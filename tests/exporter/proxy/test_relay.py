"""Frames through the proxy: the ``ocpp`` library's charger on one side, its central system on
the other; each must receive exactly the messages the other sent, in order, whatever they are."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from ocpp.v16 import ChargePoint as ChargePoint16
from ocpp.v16 import call as call16
from ocpp.v16 import call_result as result16
from ocpp.v201 import ChargePoint as ChargePoint201
from ocpp.v201 import call as call201
from ocpp.v201 import call_result as result201

from tests.exporter.conftest import (
    RunningExporter,
    boot_frame,
    charger,
    eventually,
    heartbeat_frame,
    receive_text,
    running_exporter,
)
from tests.exporter.proxy.conftest import Recorded, library_csms, running_proxy
from tests.simulator.central import handles


class Charger16(ChargePoint16):  # type: ignore[misc]
    @handles("Reset")
    def on_reset(self, **_: Any) -> result16.Reset:
        return result16.Reset(status="Accepted")

    @handles("RemoteStartTransaction")
    def on_remote_start(self, **_: Any) -> result16.RemoteStartTransaction:
        return result16.RemoteStartTransaction(status="Accepted")


class Charger201(ChargePoint201):  # type: ignore[misc]
    @handles("Reset")
    def on_reset(self, **_: Any) -> result201.Reset:
        return result201.Reset(status="Accepted")

    @handles("RequestStartTransaction")
    def on_request_start(self, **_: Any) -> result201.RequestStartTransaction:
        return result201.RequestStartTransaction(status="Accepted")


# What the charger sends that no OCPP library would: not JSON, binary, a broken CALL.
ODD_FRAMES: list[str | bytes] = [
    "this is not json",
    b"\x00\x01binary frame \xff",
    '[2,"odd-1","StatusNotification",{"connectorId":"one"}]',
    '[9,"odd-2"]',
    '[2, "odd-3" , "Heartbeat",{ }]',  # odd spacing: kept as it is
]

CASES: dict[str, tuple[str, type[Any], list[Any], list[Any]]] = {
    "1.6": (
        "ocpp1.6",
        Charger16,
        [
            call16.BootNotification(charge_point_model="Terra", charge_point_vendor="ABB"),
            call16.Heartbeat(),
            call16.StatusNotification(1, "NoError", "Available"),
            call16.Authorize(id_tag="TAG-1"),
            call16.DataTransfer(vendor_id="com.example"),  # the CSMS has no handler: CALLERROR
        ],
        [
            call16.Reset(type="Hard"),
            call16.RemoteStartTransaction(id_tag="TAG-1", connector_id=1),
            call16.ClearCache(),  # the charger has no handler: CALLERROR back to the CSMS
        ],
    ),
    "2.0.1": (
        "ocpp2.0.1",
        Charger201,
        [
            call201.BootNotification({"model": "Terra", "vendor_name": "ABB"}, "PowerUp"),
            call201.Heartbeat(),
            call201.StatusNotification("2026-12-07T03:00:00+00:00", "Available", 1, 1),
            call201.DataTransfer(vendor_id="com.example"),
        ],
        [
            call201.Reset(type="Immediate"),
            call201.RequestStartTransaction(
                id_token={"id_token": "T", "type": "Central"}, remote_start_id=7
            ),
            call201.ClearCache(),
        ],
    ),
}


@pytest.mark.parametrize("version", list(CASES))
async def test_each_side_receives_exactly_what_the_other_sent(version: str) -> None:
    subprotocol, charger_class, charger_calls, csms_calls = CASES[version]
    async with (
        library_csms() as csms,
        running_proxy(csms.url) as proxy,
        charger(proxy.url("CP-1"), subprotocol) as ws,
    ):
        wire = Recorded(ws)
        station = charger_class("CP-1", wire)
        listening = asyncio.create_task(station.start())
        try:
            for request in charger_calls:
                await asyncio.wait_for(station.call(request), 5)
            for frame in ODD_FRAMES:
                await wire.send(frame)
            central = await csms.station("CP-1")
            for request in csms_calls:
                await asyncio.wait_for(central.call(request), 5)
            await csms.wires["CP-1"].send(b"\x7f binary from the CSMS")
            await csms.wires["CP-1"].send('[2,"csms-odd",  "Reset" ,{"type":"Soft"}]')

            async def settled() -> bool:
                return (
                    wire.received == csms.wires["CP-1"].sent
                    and csms.wires["CP-1"].received == wire.sent
                )

            await eventually(settled)
        finally:
            listening.cancel()
    # Text stays text and bytes stay bytes: list equality compares the types too.
    assert any(isinstance(frame, bytes) for frame in wire.received)
    assert len(wire.sent) == len(charger_calls) + len(ODD_FRAMES) + len(csms_calls) + 1
    assert [json.loads(f)[0] for f in wire.sent[-4:-1]] == [3, 3, 4]  # answers to the CSMS
    # The CSMS's answers reached the observer, paired with the charger's calls.
    answered = {(a.action, a.error_code) for a in proxy.answers}
    assert ("BootNotification", None) in answered
    assert ("DataTransfer", "NotImplemented") in answered
    boot = next(a for a in proxy.answers if a.action == "BootNotification")
    assert boot.payload is not None and boot.payload["status"] == "Accepted"
    assert boot.seconds >= 0


async def test_frames_keep_their_order_both_ways_with_several_chargers_at_once() -> None:
    count = 100

    async def one_charger(proxy_url: str, charge_point_id: str, csms: Any) -> None:
        async with charger(proxy_url, "ocpp1.6") as ws:
            sent = [heartbeat_frame(f"{charge_point_id}-hb-{i}") for i in range(count)]
            received: list[str] = []

            async def read() -> None:
                while len(received) < 2 * count:
                    received.append(await receive_text(ws, 10))

            reading = asyncio.create_task(read())
            await csms.station(charge_point_id)
            calls = [json.dumps([2, f"csms-{i}", "ClearCache", {}]) for i in range(count)]

            async def burst_from_csms() -> None:
                for frame in calls:
                    await csms.connections[charge_point_id].send(frame)

            bursting = asyncio.create_task(burst_from_csms())
            for frame in sent:
                await ws.send(frame)
            await asyncio.gather(reading, bursting)
            wire = csms.wires[charge_point_id]

            async def all_arrived() -> bool:
                return len(wire.received) >= count

            await eventually(all_arrived, within=10)
            assert wire.received == sent
            from_csms = [json.loads(frame) for frame in received]
            assert [m[1] for m in from_csms if m[0] == 2] == [f"csms-{i}" for i in range(count)]
            answers = [m[1] for m in from_csms if m[0] == 3]
            assert answers == [f"{charge_point_id}-hb-{i}" for i in range(count)]

    async with library_csms() as csms, running_proxy(csms.url) as proxy:
        # The charger connects first; the CSMS sends as soon as its station exists.
        await asyncio.gather(
            *(one_charger(proxy.url(f"CP-{n}"), f"CP-{n}", csms) for n in range(3))
        )


async def test_the_fleet_state_through_the_proxy_equals_standalone_from_the_same_frames() -> None:
    frames = [
        boot_frame("1.6"),
        json.dumps(
            [
                2,
                "st-1",
                "StatusNotification",
                {
                    "connectorId": 1,
                    "errorCode": "GroundFailure",
                    "status": "Faulted",
                    "vendorId": "ABB",
                    "vendorErrorCode": "E42",
                },
            ]
        ),
        json.dumps(
            [
                2,
                "mv-1",
                "MeterValues",
                {
                    "connectorId": 1,
                    "meterValue": [
                        {
                            "timestamp": "2026-12-07T03:00:00Z",
                            "sampledValue": [
                                {"value": "7400", "measurand": "Power.Active.Import", "unit": "W"}
                            ],
                        }
                    ],
                },
            ]
        ),
        "not json at all",
        heartbeat_frame("hb-9"),
    ]

    async def drive(url: str, expected_replies: int) -> None:
        async with charger(url, "ocpp1.6") as ws:
            for frame in frames:
                await ws.send(frame)
            for _ in range(expected_replies):
                await asyncio.wait_for(ws.recv(), 5)

    def ocpp_lines(text: str) -> list[str]:
        return sorted(
            line
            for line in text.splitlines()
            if line.startswith("ocpp_") and "_timestamp_seconds" not in line
        )

    async def disconnected(exporter: RunningExporter) -> None:
        async def gone() -> bool:
            return await exporter.value("ocpp_charge_point_connected") == 0

        await eventually(gone)

    async with running_exporter() as standalone:
        await drive(standalone.url("CP-1"), len(frames))
        await disconnected(standalone)
        expected = ocpp_lines(await standalone.scrape())
    async with library_csms() as csms, running_proxy(csms.url) as proxy:
        # The library's CSMS answers the four CALLs it can read and logs the rest.
        await drive(proxy.url("CP-1"), 4)
        await disconnected(proxy)
        assert ocpp_lines(await proxy.scrape()) == expected
    assert any("Faulted" in line for line in expected)
    assert any("7400" in line for line in expected)

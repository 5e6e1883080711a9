"""Through the proxy to a Node.js CSMS nobody here wrote (ocpp-rpc's RPCServer, strict mode),
with the ``ocpp`` library's ChargePoint as the charger: each side receives exactly the messages
the other sent, including the CSMS's calls, both sides' CALLERRORs and frames no one can parse."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from ocpp.v16 import call as call16
from ocpp.v201 import call as call201
from websockets.exceptions import ConnectionClosed

from tests.exporter.conftest import charger, eventually
from tests.exporter.proxy.conftest import Recorded, running_proxy
from tests.exporter.proxy.node_csms import needs_node, node_csms
from tests.exporter.proxy.test_relay import Charger16, Charger201

pytestmark = needs_node

AT = "2026-12-07T03:00:00Z"

# Text only: ocpp-rpc hands a binary frame over as UTF-8 text, which would not compare.
ODD_FRAMES = [
    "this is not json",  # the CSMS answers RpcFrameworkError
    '[9,"odd-1"]',  # MessageTypeNotSupported
    '[2,"odd-2","StatusNotification",{"connectorId":"one"}]',  # strict mode: a violation
    '[2, "odd-3" , "Heartbeat",{ }]',  # odd spacing, valid: answered, kept as sent
]


def charger_calls_16() -> list[Any]:
    meter = [
        {
            "timestamp": AT,
            "sampledValue": [{"value": "7400", "measurand": "Power.Active.Import", "unit": "W"}],
        }
    ]
    return [
        call16.BootNotification(charge_point_model="Terra", charge_point_vendor="ABB"),
        call16.Heartbeat(),
        call16.StatusNotification(1, "NoError", "Charging"),
        call16.Authorize(id_tag="TAG-1"),
        call16.StartTransaction(connector_id=1, id_tag="TAG-1", meter_start=0, timestamp=AT),
        call16.MeterValues(connector_id=1, meter_value=meter, transaction_id=1),
        call16.StopTransaction(meter_stop=1000, timestamp=AT, transaction_id=1),
        call16.DataTransfer(vendor_id="com.example"),  # no handler in the CSMS: NotImplemented
    ]


def charger_calls_201() -> list[Any]:
    token = {"id_token": "TAG-1", "type": "ISO14443"}
    evse = {"id": 1, "connector_id": 1}
    meter = [
        {
            "timestamp": AT,
            "sampled_value": [{"value": 7400.0, "measurand": "Power.Active.Import"}],
        }
    ]
    return [
        call201.BootNotification({"model": "Terra", "vendor_name": "ABB"}, "PowerUp"),
        call201.Heartbeat(),
        call201.StatusNotification(AT, "Occupied", 1, 1),
        call201.Authorize(id_token=token),
        call201.TransactionEvent(
            "Started", AT, "Authorized", 0, {"transaction_id": "tx-1"}, evse=evse, id_token=token
        ),
        call201.MeterValues(evse_id=1, meter_value=meter),
        call201.TransactionEvent("Ended", AT, "StopAuthorized", 1, {"transaction_id": "tx-1"}),
        call201.DataTransfer(vendor_id="com.example"),
    ]


# (subprotocol, charger class, charger calls, CSMS calls [method, params]); the last CSMS
# call has no handler in the charger, whose CALLERROR must reach the CSMS.
CASES: dict[str, tuple[str, type[Any], list[Any], list[tuple[str, dict[str, Any]]]]] = {
    "1.6": (
        "ocpp1.6",
        Charger16,
        charger_calls_16(),
        [
            ("Reset", {"type": "Hard"}),
            ("RemoteStartTransaction", {"idTag": "TAG-1", "connectorId": 1}),
            ("TriggerMessage", {"requestedMessage": "Heartbeat"}),
        ],
    ),
    "2.0.1": (
        "ocpp2.0.1",
        Charger201,
        charger_calls_201(),
        [
            ("Reset", {"type": "Immediate"}),
            (
                "RequestStartTransaction",
                {"idToken": {"idToken": "T", "type": "Central"}, "remoteStartId": 7},
            ),
            ("TriggerMessage", {"requestedMessage": "Heartbeat"}),
        ],
    ),
}


@pytest.mark.parametrize("version", list(CASES))
async def test_the_node_csms_and_the_charger_each_receive_exactly_what_the_other_sent(
    version: str,
) -> None:
    subprotocol, charger_class, charger_calls, csms_calls = CASES[version]
    async with (
        node_csms() as csms,
        running_proxy(csms.url) as proxy,
        charger(proxy.url("CP-1"), "ocpp1.6", "ocpp2.0.1") as ws,
    ):
        # Both offered, the proxy forwards both, and the CSMS picks: ocpp-rpc takes the first.
        assert ws.subprotocol == "ocpp1.6"
        await ws.close()
        async with charger(proxy.url("CP-1"), subprotocol) as ws:
            wire = Recorded(ws)
            station = charger_class("CP-1", wire)
            listening = asyncio.create_task(station.start())
            try:
                connected = await csms.wait_for(
                    lambda e: e["event"] == "connected" and e["protocol"] == subprotocol
                )
                assert connected["identity"] == "CP-1"
                for request in charger_calls:
                    await asyncio.wait_for(station.call(request), 5)
                for frame in ODD_FRAMES:
                    await wire.send(frame)
                outcomes = [await csms.call("CP-1", *call) for call in csms_calls]

                async def settled() -> bool:
                    return csms.frames("CP-1", "in") == wire.sent and csms.frames(
                        "CP-1", "out"
                    ) == [str(frame) for frame in wire.received]

                await eventually(settled)
            finally:
                listening.cancel()
    assert all(isinstance(frame, str) for frame in wire.received)
    assert len(wire.sent) == len(charger_calls) + len(ODD_FRAMES) + len(csms_calls)
    # The CSMS's answers: a result for each known call, its CALLERRORs for the rest.
    answers = [json.loads(frame) for frame in wire.received if json.loads(frame)[0] != 2]
    codes = [answer[2] for answer in answers if answer[0] == 4]
    assert codes.count("NotImplemented") == 1  # DataTransfer
    assert "RpcFrameworkError" in codes and "MessageTypeNotSupported" in codes
    assert any("Violation" in code for code in codes)  # strict mode's schema verdict
    # The charger's answers to the CSMS, including its CALLERROR.
    assert [o["ok"] for o in outcomes] == [True, True, False]
    assert outcomes[0]["result"] == {"status": "Accepted"}
    assert outcomes[2]["error"]["rpcErrorCode"] == "NotImplemented"
    # Watched on the side: the CSMS's answers paired with the charger's calls.
    answered = {(a.action, a.error_code) for a in proxy.answers}
    assert ("BootNotification", None) in answered
    assert ("DataTransfer", "NotImplemented") in answered


async def test_the_node_csms_closing_a_charger_reaches_it_with_its_code() -> None:
    async with (
        node_csms() as csms,
        running_proxy(csms.url) as proxy,
        charger(proxy.url("CP-1"), "ocpp2.0.1") as ws,
    ):
        await csms.wait_for(lambda e: e["event"] == "connected")
        closing = asyncio.create_task(csms.close("CP-1", 4001, "deregistered"))
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 5)
        assert closed.value.rcvd is not None
        assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (4001, "deregistered")
        assert (await closing)["ok"]

        async def disconnected() -> bool:
            return await proxy.value("ocpp_charge_point_connected", charge_point_id="CP-1") == 0

        await eventually(disconnected)

"""The simulator answering the central system's CALLs, driven by the ``ocpp`` library.

The library validates each reply against its response schema and raises on a CALLERROR, so these
tests check both the decision (Accepted, Rejected, NotImplemented...) and the frame's shape.
"""

from __future__ import annotations

from typing import Any

import pytest
from ocpp.exceptions import NotImplementedError as OcppNotImplemented
from ocpp.v16 import call as call16
from ocpp.v201 import call as call201
from ocpp.v201.datatypes import (
    ComponentType,
    GetVariableDataType,
    IdTokenType,
    SetVariableDataType,
    VariableType,
)

from simulator.fleet import SimulatedFleet
from tests.simulator.central import CentralSystem
from tests.simulator.helpers import calls, eventually
from tests.simulator.schemas import charger_frames_invalid, errors_from_central


async def idle_charger(central: CentralSystem, protocol: str) -> SimulatedFleet:
    fleet = SimulatedFleet(
        central.url, 1, protocol=protocol, scenario="idle", seed=3, time_scale=600, call_timeout=5
    )
    await fleet.start()
    await fleet.wait_ready(within=10)
    return fleet


def check_frames(central: CentralSystem, fleet: SimulatedFleet) -> None:
    frames = central.all_frames(fleet.chargers[0].charge_point_id)
    assert charger_frames_invalid(frames, fleet.protocol) == []
    assert errors_from_central(frames) == []


async def test_ocpp16_calls_from_the_central_system(central: CentralSystem) -> None:
    fleet = await idle_charger(central, "1.6")
    charger = fleet.chargers[0]
    cp = charger.charge_point_id
    peer = central.latest(cp)
    assert peer.handler is not None
    handler: Any = peer.handler
    try:
        config = await handler.call(call16.GetConfiguration(key=["HeartbeatInterval", "Bogus"]))
        assert config.configuration_key == [
            {"key": "HeartbeatInterval", "readonly": False, "value": "300"}
        ]
        assert config.unknown_key == ["Bogus"]
        everything = await handler.call(call16.GetConfiguration())
        assert {entry["key"] for entry in everything.configuration_key} >= {
            "HeartbeatInterval",
            "MeterValueSampleInterval",
            "NumberOfConnectors",
        }

        changed = await handler.call(
            call16.ChangeConfiguration(key="HeartbeatInterval", value="45")
        )
        assert changed.status == "Accepted"
        assert charger.heartbeat_interval == 45
        for key, value, status in [
            ("NumberOfConnectors", "9", "Rejected"),
            ("MeterValueSampleInterval", "soon", "Rejected"),
            ("LocalAuthListEnabled", "true", "NotSupported"),
        ]:
            reply = await handler.call(call16.ChangeConfiguration(key=key, value=value))
            assert reply.status == status, key

        statuses_before = len(calls(central, cp, "StatusNotification"))
        trigger = await handler.call(
            call16.TriggerMessage(requested_message="StatusNotification", connector_id=1)
        )
        assert trigger.status == "Accepted"
        await eventually(lambda: len(calls(central, cp, "StatusNotification")) > statuses_before)
        refused = await handler.call(
            call16.TriggerMessage(requested_message="StatusNotification", connector_id=7)
        )
        assert refused.status == "Rejected"

        started = await handler.call(call16.RemoteStartTransaction(id_tag="TAG-1", connector_id=1))
        assert started.status == "Accepted"
        await eventually(lambda: bool(calls(central, cp, "StartTransaction")), what="start")
        assert calls(central, cp, "StartTransaction")[0][1]["idTag"] == "TAG-1"
        busy = await handler.call(call16.RemoteStartTransaction(id_tag="TAG-2", connector_id=1))
        assert busy.status == "Rejected"

        unknown = await handler.call(call16.RemoteStopTransaction(transaction_id=999))
        assert unknown.status == "Rejected"
        stopped = await handler.call(call16.RemoteStopTransaction(transaction_id=1))
        assert stopped.status == "Accepted"
        await eventually(lambda: bool(calls(central, cp, "StopTransaction")), what="stop")
        assert calls(central, cp, "StopTransaction")[0][1]["reason"] == "Remote"

        with pytest.raises(OcppNotImplemented):
            await handler.call(call16.ClearCache(), suppress=False)

        reset = await handler.call(call16.Reset(type="Soft"))
        assert reset.status == "Accepted"
        await eventually(lambda: len(central.peers[cp]) == 2, what="reconnects after Reset")
        await fleet.wait_ready(within=5)
    finally:
        await fleet.stop()
    check_frames(central, fleet)


async def test_ocpp201_calls_from_the_central_system(central: CentralSystem) -> None:
    fleet = await idle_charger(central, "2.0.1")
    charger = fleet.chargers[0]
    cp = charger.charge_point_id
    handler: Any = central.latest(cp).handler
    try:
        got = await handler.call(
            call201.GetVariables(
                get_variable_data=[
                    GetVariableDataType(
                        component=ComponentType(name="OCPPCommCtrlr"),
                        variable=VariableType(name="HeartbeatInterval"),
                    ),
                    GetVariableDataType(
                        component=ComponentType(name="OCPPCommCtrlr"),
                        variable=VariableType(name="Bogus"),
                    ),
                    GetVariableDataType(
                        component=ComponentType(name="Nowhere"),
                        variable=VariableType(name="HeartbeatInterval"),
                    ),
                ]
            )
        )
        results = got.get_variable_result
        assert [r["attribute_status"] for r in results] == [
            "Accepted",
            "UnknownVariable",
            "UnknownComponent",
        ]
        assert results[0]["attribute_value"] == "300"

        set_result = await handler.call(
            call201.SetVariables(
                set_variable_data=[
                    SetVariableDataType(
                        attribute_value="20",
                        component=ComponentType(name="SampledDataCtrlr"),
                        variable=VariableType(name="TxUpdatedInterval"),
                    ),
                    SetVariableDataType(
                        attribute_value="1",
                        component=ComponentType(name="EVSE"),
                        variable=VariableType(name="Power"),
                    ),
                ]
            )
        )
        assert [r["attribute_status"] for r in set_result.set_variable_result] == [
            "Accepted",
            "Rejected",
        ]
        assert charger.meter_interval == 20

        trigger = await handler.call(call201.TriggerMessage(requested_message="Heartbeat"))
        assert trigger.status == "Accepted"
        await eventually(lambda: bool(calls(central, cp, "Heartbeat")), what="triggered heartbeat")
        log_trigger = await handler.call(
            call201.TriggerMessage(requested_message="LogStatusNotification")
        )
        assert log_trigger.status == "NotImplemented"

        start = await handler.call(
            call201.RequestStartTransaction(
                id_token=IdTokenType(id_token="TOKEN-9", type="ISO14443"),
                remote_start_id=1,
                evse_id=1,
            )
        )
        assert start.status == "Accepted"
        await eventually(lambda: bool(calls(central, cp, "TransactionEvent")), what="started")
        began = calls(central, cp, "TransactionEvent")[0][1]
        assert began["eventType"] == "Started"
        assert began["triggerReason"] == "RemoteStart"
        assert began["idToken"]["idToken"] == "TOKEN-9"
        transaction_id = began["transactionInfo"]["transactionId"]

        stop = await handler.call(call201.RequestStopTransaction(transaction_id=transaction_id))
        assert stop.status == "Accepted"
        await eventually(
            lambda: calls(central, cp, "TransactionEvent")[-1][1]["eventType"] == "Ended",
            what="ended",
        )
        ended = calls(central, cp, "TransactionEvent")[-1][1]
        assert ended["transactionInfo"]["stoppedReason"] == "Remote"
        assert [p["seqNo"] for _, p in calls(central, cp, "TransactionEvent")] == list(
            range(len(calls(central, cp, "TransactionEvent")))
        )

        with pytest.raises(OcppNotImplemented):
            await handler.call(call201.ClearCache(), suppress=False)

        reset = await handler.call(call201.Reset(type="Immediate"))
        assert reset.status == "Accepted"
        await eventually(lambda: len(central.peers[cp]) == 2, what="reconnects after Reset")
        await fleet.wait_ready(within=5)
        reboot = central.latest(cp).calls("BootNotification")[0][1]
        assert reboot["reason"] == "RemoteReset"
    finally:
        await fleet.stop()
    check_frames(central, fleet)

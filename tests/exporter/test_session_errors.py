"""Session.handle with frames that cannot be understood: the CALLERROR OCPP-J names, and no more."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.exporter.sessions import NOW_ISO, REQUESTS_201, TS, Setup

MALFORMED = [
    # (frame, 1.6 reply, 2.0.1 reply)
    ("not json", ["-1", "FormationViolation"], ["-1", "FormatViolation"]),
    ('[2, "a", "Heartbeat", {}', ["-1", "FormationViolation"], ["-1", "FormatViolation"]),
    ('[2,"a","Heartbeat",{"x":NaN}]', ["-1", "FormationViolation"], ["-1", "FormatViolation"]),
    ("{}", ["-1", "FormationViolation"], ["-1", "RpcFrameworkError"]),
    ("[]", ["-1", "FormationViolation"], ["-1", "RpcFrameworkError"]),
    ("[2]", ["-1", "FormationViolation"], ["-1", "RpcFrameworkError"]),
    ('[2,null,"Heartbeat",{}]', ["-1", "FormationViolation"], ["-1", "RpcFrameworkError"]),
    ('[2,"a"]', ["a", "ProtocolError"], ["a", "ProtocolError"]),
    ('[2,"a","Heartbeat"]', ["a", "ProtocolError"], ["a", "ProtocolError"]),
    ('[2,"a","Heartbeat",{},{}]', ["a", "FormationViolation"], ["a", "FormatViolation"]),
    ('[2,"a",7,{}]', ["a", "FormationViolation"], ["a", "FormatViolation"]),
    ('[2,"a","Heartbeat",[]]', ["a", "FormationViolation"], ["a", "FormatViolation"]),
    ('[9,"a"]', ["a", "FormationViolation"], ["a", "MessageTypeNotSupported"]),
    ('["2","a","Heartbeat",{}]', ["a", "FormationViolation"], ["a", "MessageTypeNotSupported"]),
    ('[2,"a","SelfDestruct",{}]', ["a", "NotImplemented"], ["a", "NotImplemented"]),
]


@pytest.mark.parametrize(("frame", "reply16", "reply201"), MALFORMED)
@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
def test_malformed_frames_get_the_spec_callerror(
    version: str, frame: str, reply16: list[str], reply201: list[str]
) -> None:
    setup = Setup(version)
    (reply,) = setup.session.handle(frame)
    message = json.loads(reply)
    expected_id, expected_code = reply16 if version == "1.6" else reply201
    assert message[0] == 4
    assert message[1:3] == [expected_id, expected_code]
    assert isinstance(message[3], str) and 0 < len(message[3]) <= 255
    assert message[4] == {}
    assert (
        setup.sample(
            "chargekeeper_exporter_protocol_errors_total",
            ocpp_version=version,
            error_code=expected_code,
        )
        == 1
    )
    # The conversation goes on.
    assert json.loads(setup.session.handle('[2,"h","Heartbeat",{}]')[0])[0] == 3


def test_integer_message_ids_are_echoed() -> None:
    (reply,) = Setup("1.6").session.handle('[2,17,"Heartbeat",{}]')
    assert json.loads(reply) == [3, 17, {"currentTime": NOW_ISO}]


def test_bytes_frames_and_invalid_utf8() -> None:
    setup = Setup("1.6")
    assert json.loads(setup.session.handle(b'[2,"a","Heartbeat",{}]')[0])[0] == 3
    assert json.loads(setup.session.handle(b'[2,"a","He\xff",{}]')[0])[1:3] == [
        "-1",
        "FormationViolation",
    ]


def test_replies_and_errors_from_the_charger_get_no_answer() -> None:
    setup = Setup("2.0.1")
    assert setup.session.handle('[3,"x",{"status":"Accepted"}]') == []
    assert setup.session.handle('[4,"x","GenericError","",{}]') == []
    assert setup.session.handle("[3]") == []


@pytest.mark.parametrize(
    ("version", "action"),
    [("1.6", "RemoteStartTransaction"), ("1.6", "Reset"), ("2.0.1", "RequestStartTransaction")],
)
def test_central_system_actions_sent_by_a_charger_are_not_supported(
    version: str, action: str
) -> None:
    setup = Setup(version)
    assert setup.call(action, {})[2] == "NotSupported"


def test_unknown_actions_are_counted_as_unknown() -> None:
    setup = Setup("1.6")
    for index in range(300):
        setup.call(f"Action{index}", {})
    assert (
        setup.sample("chargekeeper_exporter_messages_total", ocpp_version="1.6", action="unknown")
        == 300
    )
    families = {m.name: m for m in setup.registry.collect()}
    actions = {s.labels["action"] for s in families["chargekeeper_exporter_messages"].samples}
    assert actions == {"unknown"}


@pytest.mark.parametrize(
    ("version", "action", "payload", "code"),
    [
        # Understood fields missing or of a type no lenient reading fixes.
        (
            "1.6",
            "StatusNotification",
            {"errorCode": "NoError", "status": "Available"},
            "OccurenceConstraintViolation",
        ),
        (
            "2.0.1",
            "StatusNotification",
            {"timestamp": TS, "evseId": 1, "connectorId": 1},
            "OccurrenceConstraintViolation",
        ),
        (
            "1.6",
            "StatusNotification",
            {"connectorId": "one", "errorCode": "NoError", "status": "Available"},
            "TypeConstraintViolation",
        ),
        (
            "1.6",
            "StatusNotification",
            {"connectorId": -1, "errorCode": "NoError", "status": "Available"},
            "PropertyConstraintViolation",
        ),
        (
            "1.6",
            "StatusNotification",
            {"connectorId": 1, "errorCode": "NoError", "status": {"a": 1}},
            "TypeConstraintViolation",
        ),
        ("1.6", "MeterValues", {"connectorId": 1}, "OccurenceConstraintViolation"),
        # Required fields the handler does not need are still required (issue 15): an empty
        # BootNotification, or one whose missing model hides behind a vendor sent as a number.
        ("1.6", "BootNotification", {}, "OccurenceConstraintViolation"),
        ("1.6", "BootNotification", {"chargePointVendor": 5}, "OccurenceConstraintViolation"),
        (
            "1.6",
            "StartTransaction",
            {"connectorId": "1", "meterStart": 0, "timestamp": TS},
            "OccurenceConstraintViolation",
        ),
        ("2.0.1", "BootNotification", {}, "OccurrenceConstraintViolation"),
        (
            "2.0.1",
            "BootNotification",
            {"reason": "PowerUp", "chargingStation": {"model": "M"}},
            "OccurrenceConstraintViolation",
        ),
        (
            "2.0.1",
            "MeterValues",
            {"evseId": "1", "meterValue": [{"timestamp": TS, "sampledValue": [{}]}]},
            "OccurrenceConstraintViolation",
        ),
        (
            "1.6",
            "StopTransaction",
            {"meterStop": "lots", "timestamp": TS, "transactionId": 1},
            "TypeConstraintViolation",
        ),
        (
            "2.0.1",
            "TransactionEvent",
            {**REQUESTS_201["TransactionEvent"], "eventType": "Paused"},
            "PropertyConstraintViolation",
        ),
        # Actions read strictly: any schema violation is a CALLERROR.
        (
            "1.6",
            "FirmwareStatusNotification",
            {"status": "Exploded"},
            "PropertyConstraintViolation",
        ),
        ("1.6", "FirmwareStatusNotification", {}, "OccurenceConstraintViolation"),
        (
            "2.0.1",
            "NotifyReport",
            {"requestId": "1", "generatedAt": TS, "seqNo": 0},
            "TypeConstraintViolation",
        ),
    ],
)
def test_frames_that_cannot_be_understood(
    version: str, action: str, payload: dict[str, Any], code: str
) -> None:
    setup = Setup(version)
    reply = setup.call(action, payload)
    assert reply[:3] == [4, "m1", code]
    assert (
        setup.sample(
            "chargekeeper_exporter_noncompliant_frames_total", ocpp_version=version, action=action
        )
        is None
    )


@pytest.mark.parametrize(
    ("version", "action", "payload"),
    [
        (
            "1.6",
            "StatusNotification",
            {"connectorId": 256, "errorCode": "NoError", "status": "Available"},
        ),
        (
            "1.6",
            "MeterValues",
            {"connectorId": 10**12, "meterValue": [{"sampledValue": [{"value": "1"}]}]},
        ),
        (
            "2.0.1",
            "MeterValues",
            {"evseId": 1000, "meterValue": [{"timestamp": TS, "sampledValue": [{"value": 1}]}]},
        ),
    ],
)
def test_connector_ids_are_bounded(version: str, action: str, payload: dict[str, Any]) -> None:
    # Every connector id becomes series: a charger must not create them without bound.
    setup = Setup(version)
    assert setup.call(action, payload)[2] == "PropertyConstraintViolation"
    assert setup.state.chargers["CP1"].connectors == {}

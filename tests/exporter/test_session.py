"""Session.handle with raw frames: replies to every action, CALLERRORs, lenient reading."""

from __future__ import annotations

import inspect
import json
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from exporter import schemas
from exporter.handlers import method_name
from exporter.handlers16 import CentralSystem16
from exporter.handlers201 import CentralSystem201
from exporter.selfmetrics import ExporterMetrics
from exporter.session import Session
from exporter.state import FleetState

NOW = 1_764_086_400.0
NOW_ISO = "2025-11-25T16:00:00.000Z"
TS = "2025-11-25T15:59:00Z"

# A minimal spec-valid request for every charger-initiated action (checked below against the
# request schemas, so a typo here fails loudly instead of testing the lenient path).
REQUESTS_16: dict[str, dict[str, Any]] = {
    "Authorize": {"idTag": "TAG1"},
    "BootNotification": {"chargePointVendor": "V", "chargePointModel": "M"},
    "DataTransfer": {"vendorId": "com.example"},
    "DiagnosticsStatusNotification": {"status": "Uploaded"},
    "FirmwareStatusNotification": {"status": "Installed"},
    "Heartbeat": {},
    "LogStatusNotification": {"status": "Uploaded"},
    "MeterValues": {
        "connectorId": 1,
        "meterValue": [{"timestamp": TS, "sampledValue": [{"value": "12"}]}],
    },
    "SecurityEventNotification": {"type": "FirmwareUpdated", "timestamp": TS},
    "SignCertificate": {"csr": "-----BEGIN CERTIFICATE REQUEST-----"},
    "SignedFirmwareStatusNotification": {"status": "Installed"},
    "StartTransaction": {"connectorId": 1, "idTag": "TAG1", "meterStart": 0, "timestamp": TS},
    "StatusNotification": {"connectorId": 1, "errorCode": "NoError", "status": "Available"},
    "StopTransaction": {"meterStop": 10, "timestamp": TS, "transactionId": 1},
}
REQUESTS_201: dict[str, dict[str, Any]] = {
    "Authorize": {"idToken": {"idToken": "TAG1", "type": "ISO14443"}},
    "BootNotification": {
        "chargingStation": {"model": "M", "vendorName": "V"},
        "reason": "PowerUp",
    },
    "ClearedChargingLimit": {"chargingLimitSource": "EMS"},
    "DataTransfer": {"vendorId": "com.example"},
    "FirmwareStatusNotification": {"status": "Installed"},
    "Get15118EVCertificate": {
        "iso15118SchemaVersion": "urn:iso:15118:2:2013:MsgDef",
        "action": "Install",
        "exiRequest": "AAAA",
    },
    "GetCertificateStatus": {
        "ocspRequestData": {
            "hashAlgorithm": "SHA256",
            "issuerNameHash": "a",
            "issuerKeyHash": "b",
            "serialNumber": "c",
            "responderURL": "http://ocsp.example",
        }
    },
    "Heartbeat": {},
    "LogStatusNotification": {"status": "Uploaded"},
    "MeterValues": {
        "evseId": 1,
        "meterValue": [{"timestamp": TS, "sampledValue": [{"value": 12.5}]}],
    },
    "NotifyChargingLimit": {"chargingLimit": {"chargingLimitSource": "EMS"}},
    "NotifyCustomerInformation": {
        "data": "x",
        "seqNo": 0,
        "generatedAt": TS,
        "requestId": 1,
    },
    "NotifyDisplayMessages": {"requestId": 1},
    "NotifyEVChargingNeeds": {
        "chargingNeeds": {"requestedEnergyTransfer": "AC_single_phase"},
        "evseId": 1,
    },
    "NotifyEVChargingSchedule": {
        "timeBase": TS,
        "chargingSchedule": {
            "id": 1,
            "chargingRateUnit": "W",
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 7000.0}],
        },
        "evseId": 1,
    },
    "NotifyEvent": {
        "generatedAt": TS,
        "seqNo": 0,
        "eventData": [
            {
                "eventId": 1,
                "timestamp": TS,
                "trigger": "Delta",
                "actualValue": "true",
                "eventNotificationType": "HardWiredNotification",
                "component": {"name": "Connector", "evse": {"id": 1, "connectorId": 1}},
                "variable": {"name": "Problem"},
                "techCode": "CX011",
            }
        ],
    },
    "NotifyMonitoringReport": {"requestId": 1, "seqNo": 0, "generatedAt": TS},
    "NotifyReport": {"requestId": 1, "generatedAt": TS, "seqNo": 0},
    "PublishFirmwareStatusNotification": {"status": "Published"},
    "ReportChargingProfiles": {
        "requestId": 1,
        "chargingLimitSource": "CSO",
        "evseId": 1,
        "chargingProfile": [
            {
                "id": 1,
                "stackLevel": 0,
                "chargingProfilePurpose": "TxDefaultProfile",
                "chargingProfileKind": "Absolute",
                "chargingSchedule": [
                    {
                        "id": 1,
                        "chargingRateUnit": "W",
                        "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 7000.0}],
                    }
                ],
            }
        ],
    },
    "ReservationStatusUpdate": {"reservationId": 1, "reservationUpdateStatus": "Expired"},
    "SecurityEventNotification": {"type": "FirmwareUpdated", "timestamp": TS},
    "SignCertificate": {"csr": "-----BEGIN CERTIFICATE REQUEST-----"},
    "StatusNotification": {
        "timestamp": TS,
        "connectorStatus": "Occupied",
        "evseId": 1,
        "connectorId": 1,
    },
    "TransactionEvent": {
        "eventType": "Started",
        "timestamp": TS,
        "triggerReason": "CablePluggedIn",
        "seqNo": 0,
        "transactionInfo": {"transactionId": "tx-1", "chargingState": "EVConnected"},
        "evse": {"id": 1, "connectorId": 1},
        "idToken": {"idToken": "TAG1", "type": "ISO14443"},
    },
}
REQUESTS = {"1.6": REQUESTS_16, "2.0.1": REQUESTS_201}


class Setup:
    def __init__(self, version: str) -> None:
        self.version = version
        self.registry = CollectorRegistry()
        self.metrics = ExporterMetrics(self.registry)
        self.state = FleetState(None, self.metrics, clock=lambda: NOW)
        self.state.connected("CP1", version)
        self.session = Session("CP1", version, self.state, self.metrics)

    def call(self, action: str, payload: Any, msg_id: str = "m1") -> list[Any]:
        (reply,) = self.session.handle(json.dumps([2, msg_id, action, payload]))
        decoded: list[Any] = json.loads(reply)
        return decoded

    def sample(self, name: str, **labels: str) -> float | None:
        return self.registry.get_sample_value(name, labels)


def test_every_handler_method_is_routed_and_every_routed_action_is_charger_initiated() -> None:
    for cls, requests in ((CentralSystem16, REQUESTS_16), (CentralSystem201, REQUESTS_201)):
        handlers = {name for name, _ in inspect.getmembers(cls) if name.startswith("on_")}
        assert handlers == {method_name(action) for action in cls.routes}
        assert set(cls.routes) == set(requests)
        assert cls.lenient_actions <= set(cls.routes)


@pytest.mark.parametrize(
    ("version", "action"),
    [(version, action) for version, requests in REQUESTS.items() for action in requests],
)
def test_every_action_gets_a_schema_valid_reply(version: str, action: str) -> None:
    payload = REQUESTS[version][action]
    schemas.request_validator(version, action)(payload)  # the fixture itself is spec-valid
    setup = Setup(version)
    reply = setup.call(action, payload, msg_id="abc")
    assert reply[:2] == [3, "abc"], reply
    schemas.response_validator(version, action)(reply[2])
    assert setup.sample("chargekeeper_exporter_noncompliant_frames_total") is None
    assert (
        setup.sample("chargekeeper_exporter_messages_total", ocpp_version=version, action=action)
        == 1
    )


@pytest.mark.parametrize(
    ("version", "action", "reply"),
    [
        (
            "1.6",
            "BootNotification",
            {"status": "Accepted", "currentTime": NOW_ISO, "interval": 300},
        ),
        ("1.6", "Heartbeat", {"currentTime": NOW_ISO}),
        ("1.6", "StartTransaction", {"transactionId": 1, "idTagInfo": {"status": "Accepted"}}),
        ("1.6", "StopTransaction", {}),  # no idTag in the request: no idTagInfo
        ("1.6", "Authorize", {"idTagInfo": {"status": "Accepted"}}),
        ("1.6", "DataTransfer", {"status": "UnknownVendorId"}),
        ("1.6", "SignCertificate", {"status": "Rejected"}),
        (
            "2.0.1",
            "BootNotification",
            {"currentTime": NOW_ISO, "interval": 300, "status": "Accepted"},
        ),
        ("2.0.1", "TransactionEvent", {"idTokenInfo": {"status": "Accepted"}}),
        ("2.0.1", "NotifyEVChargingNeeds", {"status": "Rejected"}),
        ("2.0.1", "Get15118EVCertificate", {"status": "Failed", "exiResponse": ""}),
        ("2.0.1", "GetCertificateStatus", {"status": "Failed"}),
    ],
)
def test_reply_values(version: str, action: str, reply: dict[str, Any]) -> None:
    assert Setup(version).call(action, REQUESTS[version][action])[2] == reply


def test_transaction_ids_are_assigned_in_sequence() -> None:
    setup = Setup("1.6")
    first = setup.call("StartTransaction", REQUESTS_16["StartTransaction"])[2]
    second = setup.call("StartTransaction", {**REQUESTS_16["StartTransaction"], "connectorId": 2})
    assert (first["transactionId"], second[2]["transactionId"]) == (1, 2)


def test_heartbeat_interval_comes_from_the_state() -> None:
    metrics = ExporterMetrics(CollectorRegistry())
    state = FleetState(None, metrics, clock=lambda: NOW, heartbeat_interval=42)
    session = Session("CP9", "1.6", state, metrics)
    (reply,) = session.handle(
        json.dumps([2, "b", "BootNotification", REQUESTS_16["BootNotification"]])
    )
    assert json.loads(reply)[2]["interval"] == 42


# --- frames that cannot be understood -------------------------------------------------------

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


# --- frames that break the schema but are understood ---------------------------------------


@pytest.mark.parametrize(
    ("version", "action", "payload"),
    [
        # Legrand Green'Up: errorCode outside the enum.
        (
            "1.6",
            "StatusNotification",
            {"connectorId": 1, "errorCode": "Error", "status": "Faulted"},
        ),
        # Numbers as strings.
        (
            "1.6",
            "StatusNotification",
            {"connectorId": "1", "errorCode": "NoError", "status": "Available"},
        ),
        # Lower-case enum, info over 50 characters, unknown extra field.
        (
            "1.6",
            "StatusNotification",
            {
                "connectorId": 1,
                "errorCode": "noerror",
                "status": "available",
                "info": "x" * 80,
                "firmwareBuild": 7,
            },
        ),
        # Missing errorCode.
        ("1.6", "StatusNotification", {"connectorId": 1, "status": "Available"}),
        # Garbage timestamp.
        (
            "1.6",
            "StatusNotification",
            {
                "connectorId": 1,
                "errorCode": "NoError",
                "status": "Available",
                "timestamp": "yesterday",
            },
        ),
        ("1.6", "StartTransaction", {"connectorId": "1", "idTag": "T", "meterStart": "12.5"}),
        (
            "1.6",
            "MeterValues",
            {
                "connectorId": 1,
                "transactionId": "7",
                "meterValue": [{"sampledValue": [{"value": 5}]}],
            },
        ),
        (
            "1.6",
            "BootNotification",
            {"chargePointVendor": "A vendor name longer than twenty", "chargePointModel": "M"},
        ),
        (
            "2.0.1",
            "StatusNotification",
            {"connectorStatus": "occupied", "evseId": "1", "connectorId": 1},
        ),
        (
            "2.0.1",
            "MeterValues",
            {"evseId": 1, "meterValue": [{"sampledValue": [{"value": "12.5"}]}]},
        ),
        (
            "2.0.1",
            "NotifyEvent",
            {
                "eventData": [
                    {
                        "component": {"name": "EVSE", "evse": {"id": 1}},
                        "variable": {"name": "Problem"},
                        "actualValue": "true",
                    }
                ]
            },
        ),
    ],
)
def test_noncompliant_but_understood_frames_get_the_normal_reply(
    version: str, action: str, payload: dict[str, Any]
) -> None:
    setup = Setup(version)
    reply = setup.call(action, payload)
    assert reply[0] == 3, reply
    schemas.response_validator(version, action)(reply[2])
    assert (
        setup.sample(
            "chargekeeper_exporter_noncompliant_frames_total", ocpp_version=version, action=action
        )
        == 1
    )


def test_legrand_error_code_is_recorded_as_an_error() -> None:
    setup = Setup("1.6")
    setup.call("StatusNotification", {"connectorId": 1, "errorCode": "Error", "status": "Faulted"})
    connector = setup.state.chargers["CP1"].connectors[1]
    assert connector.status == "Faulted"
    assert list(connector.errors.values()) == [("Error", "", "")]


def test_case_insensitive_enums_are_normalised_and_numbers_read() -> None:
    setup = Setup("1.6")
    setup.call(
        "StatusNotification",
        {"connectorId": "2", "errorCode": "overvoltage", "status": "faulted"},
    )
    connector = setup.state.chargers["CP1"].connectors[2]
    assert connector.status == "Faulted"
    assert list(connector.errors.values()) == [("OverVoltage", "", "")]


def test_kwh_meter_values_are_converted_with_their_unit() -> None:
    setup = Setup("1.6")
    setup.call(
        "MeterValues",
        {
            "connectorId": 1,
            "meterValue": [
                {
                    "timestamp": TS,
                    "sampledValue": [
                        {
                            "value": "12.5",
                            "measurand": "Energy.Active.Import.Register",
                            "unit": "kWh",
                        },
                        {"value": "7.2", "measurand": "Power.Active.Import", "unit": "kW"},
                        {"value": "abc", "measurand": "Voltage", "unit": "V"},
                        {"value": "0x12", "format": "SignedData"},
                    ],
                }
            ],
        },
    )
    connector = setup.state.chargers["CP1"].connectors[1]
    assert connector.energy == 12.5 * 3_600_000
    assert connector.power == 7200.0


def test_ocpp201_multiplier_and_phases_are_summed() -> None:
    setup = Setup("2.0.1")
    sampled = [
        {
            "value": 2.3,
            "measurand": "Power.Active.Import",
            "phase": phase,
            "unitOfMeasure": {"unit": "kW"},
        }
        for phase in ("L1", "L2", "L3")
    ] + [{"value": 15, "unitOfMeasure": {"unit": "Wh", "multiplier": 3}}]
    setup.call(
        "MeterValues", {"evseId": 1, "meterValue": [{"timestamp": TS, "sampledValue": sampled}]}
    )
    connector = setup.state.chargers["CP1"].connectors[1]
    assert connector.power == pytest.approx(6900.0)
    assert connector.energy == 15_000 * 3600


def test_internal_errors_cost_one_callerror_not_the_connection() -> None:
    setup = Setup("1.6")

    def broken(self: object, payload: dict[str, Any]) -> dict[str, Any]:
        raise RuntimeError("bug")

    # Authorize: an action without a fast path (exporter.fastpath), so its route is used.
    setup.session._routes = {**setup.session._routes, "Authorize": broken}
    (reply,) = setup.session.handle('[2,"z","Authorize",{"idTag":"T"}]')
    assert json.loads(reply)[:3] == [4, "z", "InternalError"]
    assert json.loads(setup.session.handle('[2,"y","Heartbeat",{}]')[0])[0] == 3


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


def test_an_integer_beyond_float_range_is_not_an_internal_error() -> None:
    """JSON integers have no size limit; one too large for a float is a bad reading, not a bug."""
    setup = Setup("2.0.1")
    sampled = [{"value": 10**400}, {"value": 2.5, "measurand": "Power.Active.Import"}]
    reply = setup.call(
        "MeterValues", {"evseId": 1, "meterValue": [{"timestamp": TS, "sampledValue": sampled}]}
    )
    assert reply[0] == 3, reply  # answered as any other MeterValues
    assert setup.state.chargers["CP1"].connectors[1].power == 2.5

"""The validated fast paths by example: real traces, the benchmark frame, the reference
requests, and payloads each fast path must leave to the full path."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry

from bench._load import METER_PAYLOAD
from exporter import frames
from exporter.fastpath import FAST_PATHS
from exporter.handlers16 import CentralSystem16
from exporter.handlers201 import CentralSystem201
from exporter.selfmetrics import ExporterMetrics
from exporter.session import Session
from tests.exporter.outcomes import Collector, assert_same_outcome, call, recognised, schema_accepts
from tests.exporter.sessions import REQUESTS, TS
from tests.exporter.test_traces import TRACES


@pytest.mark.parametrize("trace", sorted(path.name for path in TRACES.glob("*.jsonl")))
def test_real_charger_traces_leave_the_same_outcome(trace: str) -> None:
    frames = [line for line in (TRACES / trace).read_text().splitlines() if line.strip()]
    assert_same_outcome("2.0.1" if trace.startswith("ocpp201") else "1.6", frames)


def test_the_benchmark_frame_takes_the_fast_path() -> None:
    assert recognised("1.6", "MeterValues", json.loads(METER_PAYLOAD))


@pytest.mark.parametrize("version", sorted(FAST_PATHS))
@pytest.mark.parametrize("action", ["MeterValues", "StatusNotification", "Heartbeat"])
def test_reference_requests_take_the_fast_path(version: str, action: str) -> None:
    assert recognised(version, action, REQUESTS[version][action])


SIGNED = {"value": "abc", "format": "SignedData", "measurand": "Energy.Active.Import.Register"}


@pytest.mark.parametrize(
    ("version", "action", "payload"),
    [
        ("1.6", "MeterValues", {"connectorId": 1, "meterValue": []}),
        ("1.6", "MeterValues", {"connectorId": 1.0, "meterValue": [{"timestamp": TS}]}),
        ("1.6", "MeterValues", {"connectorId": True, "meterValue": [{"timestamp": TS}]}),
        ("1.6", "MeterValues", {"connectorId": 300, "meterValue": [{"timestamp": TS}]}),
        (
            "1.6",
            "MeterValues",
            {"connectorId": 1, "transactionId": None, "meterValue": [{"timestamp": TS}]},
        ),
        (
            "1.6",
            "MeterValues",
            {"connectorId": 1, "meterValue": [{"timestamp": TS, "sampledValue": [{"value": 5}]}]},
        ),
        (
            "1.6",
            "MeterValues",
            {
                "connectorId": 1,
                "meterValue": [
                    {"timestamp": TS, "sampledValue": [{"value": "5", "measurand": None}]}
                ],
            },
        ),
        (
            "1.6",
            "MeterValues",
            {
                "connectorId": 1,
                "meterValue": [{"timestamp": TS, "sampledValue": [{"value": "5", "unit": "kwh"}]}],
            },
        ),
        (
            "1.6",
            "MeterValues",
            {
                "connectorId": 1,
                "meterValue": [{"timestamp": "2025-11-25", "sampledValue": [{"value": "5"}]}],
            },
        ),
        (
            "2.0.1",
            "MeterValues",
            {
                "evseId": 1,
                "meterValue": [
                    {
                        "timestamp": TS,
                        "sampledValue": [{"value": 5, "customData": {"vendorId": "x"}}],
                    }
                ],
            },
        ),
        (
            "2.0.1",
            "MeterValues",
            {
                "evseId": 1,
                "meterValue": [
                    {"timestamp": TS, "sampledValue": [{"value": 5, "unitOfMeasure": None}]}
                ],
            },
        ),
        (
            "2.0.1",
            "MeterValues",
            {
                "evseId": 1,
                "meterValue": [
                    {"timestamp": TS, "sampledValue": [{"value": 5, "unitOfMeasure": {"unit": 1}}]}
                ],
            },
        ),
        ("1.6", "StatusNotification", {"connectorId": 1, "status": "Available"}),
        (
            "1.6",
            "StatusNotification",
            {"connectorId": 1, "errorCode": "NoError", "status": "Available", "info": "x" * 51},
        ),
        ("2.0.1", "Heartbeat", {"customData": {"vendorId": "x"}}),
    ],
)
def test_unrecognised_payloads_take_the_full_path(
    version: str, action: str, payload: dict[str, Any]
) -> None:
    assert not recognised(version, action, payload)
    assert_same_outcome(version, [call(action, payload)])


def test_signed_data_is_validated_and_skipped() -> None:
    payload = {"connectorId": 1, "meterValue": [{"timestamp": TS, "sampledValue": [SIGNED]}]}
    assert recognised("1.6", "MeterValues", payload)
    assert_same_outcome("1.6", [call("MeterValues", payload)])


def test_unit_of_measure_defaults_are_applied_as_the_validator_does() -> None:
    sampled = [
        {"value": 7, "measurand": "Energy.Active.Import.Register", "unitOfMeasure": {}},
        {"value": 7, "measurand": "Power.Active.Import", "unitOfMeasure": {"multiplier": 3}},
    ]
    payload = {"evseId": 1, "meterValue": [{"timestamp": TS, "sampledValue": sampled}]}
    assert recognised("2.0.1", "MeterValues", payload)
    fast = Collector("2.0.1", fast=True)
    fast.session.handle(call("MeterValues", payload))
    connector = fast.state.chargers["CP-1"].connectors[1]
    assert (connector.energy, connector.power) == (7 * 3600.0, 7000.0)  # Wh in J, kW in W
    assert_same_outcome("2.0.1", [call("MeterValues", payload)])


def test_a_handler_error_after_a_valid_schema_is_the_same_callerror() -> None:
    payload = {"connectorId": 300, "errorCode": "NoError", "status": "Available"}
    assert schema_accepts("1.6", "StatusNotification", payload)
    fast = Collector("1.6", fast=True)
    reply = json.loads(fast.session.handle(call("StatusNotification", payload))[0])
    assert reply[:3] == [4, "m1", "PropertyConstraintViolation"]
    assert_same_outcome("1.6", [call("StatusNotification", payload)])


def test_fast_paths_only_stand_in_for_their_own_handlers() -> None:
    for version, handler_class in (("1.6", CentralSystem16), ("2.0.1", CentralSystem201)):
        assert set(FAST_PATHS[version]) <= set(handler_class.routes)


def test_a_failing_fast_path_costs_one_callerror_not_the_connection() -> None:
    def broken(handlers: object, payload: dict[str, Any]) -> dict[str, Any]:
        raise RuntimeError("bug")

    collector = Collector("1.6", fast=True)
    session = Session(
        "CP-1", "1.6", collector.state, ExporterMetrics(CollectorRegistry()), {"Heartbeat": broken}
    )
    (reply,) = session.handle(call("Heartbeat", {}, "z"))
    assert json.loads(reply)[:3] == [4, "z", "InternalError"]
    assert json.loads(session.handle(call("Authorize", {"idTag": "T"}))[0])[0] == 3


@settings(max_examples=200, deadline=None)
@given(message_id=st.text() | st.integers())
def test_empty_replies_are_encoded_as_the_encoder_would(message_id: str | int) -> None:
    expected = json.dumps([3, message_id, {}], separators=(",", ":"))
    assert frames.encode_result(message_id, {}) == expected

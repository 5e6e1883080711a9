"""The validated fast paths: the same answer as schema validation + handler, or no answer.

Property tests feed the same frames (compliant, near-compliant and mutated) to a session with
the fast paths and to one without, and compare everything a frame leaves behind: the reply,
the events for the history, the fleet metrics and the collector's own counters.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry, generate_latest

from bench._load import METER_PAYLOAD
from exporter import fastpath, frames, schemas
from exporter.events import Event
from exporter.fastpath import FAST_PATHS
from exporter.handlers16 import CentralSystem16
from exporter.handlers201 import CentralSystem201
from exporter.lenient import Unintelligible
from exporter.metrics import iter_exposition
from exporter.selfmetrics import ExporterMetrics
from exporter.session import HANDLER_CLASSES, Session
from exporter.state import FleetState
from tests.exporter.test_fuzz import mutate
from tests.exporter.test_session import REQUESTS
from tests.exporter.test_traces import TRACES
from tests.support.fakes import RecordingSink

NOW = 1_764_086_400.0
TS = "2025-11-25T15:59:00Z"
PROPERTIES = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class Collector:
    """One session over its own fleet state, metrics registry and event sink."""

    def __init__(self, version: str, *, fast: bool) -> None:
        self.registry = CollectorRegistry()
        metrics = ExporterMetrics(self.registry)
        self.sink = RecordingSink()
        self.state = FleetState(None, metrics, self.sink, clock=lambda: NOW)
        self.state.connected("CP-1", version)
        self.session = Session("CP-1", version, self.state, metrics, None if fast else {})

    def outcome(self) -> tuple[list[Event], bytes, list[bytes]]:
        """Everything observable that a frame changes (replies are compared per frame)."""
        fleet = b"".join(iter_exposition(self.state))
        # Counter creation times differ between two registries; their values must not.
        own = [
            line for line in generate_latest(self.registry).split(b"\n") if b"_created" not in line
        ]
        return self.sink.events, fleet, own


def assert_same_outcome(version: str, frames: list[str]) -> None:
    fast, full = Collector(version, fast=True), Collector(version, fast=False)
    for frame in frames:
        assert fast.session.handle(frame) == full.session.handle(frame), frame
    assert fast.outcome() == full.outcome()


def recognised(version: str, action: str, payload: Any) -> bool:
    """Whether the fast path answers ``payload``, with a reply or with the handler's refusal
    (on a scratch state, so nothing leaks)."""
    state = Collector(version, fast=True).state
    handlers = HANDLER_CLASSES[version](state, state.charger("CP-1"))
    try:
        return FAST_PATHS[version][action](handlers, copy.deepcopy(payload)) is not None
    except Unintelligible:
        return True


def schema_accepts(version: str, action: str, payload: Any) -> bool:
    try:
        schemas.request_validator(version, action)(copy.deepcopy(payload))
    except schemas.SchemaError:
        return False
    return True


def call(action: str, payload: Any, message_id: str = "m1") -> str:
    return json.dumps([2, message_id, action, payload])


# -- strategies: compliant payloads, built from the schemas' own enums ----------------------


def enum(version: str, action: str, *path: str) -> st.SearchStrategy[str]:
    return st.sampled_from(schemas.request_field(version, action, *path)["enum"])


def sampled_field(version: str, name: str) -> st.SearchStrategy[str]:
    return enum(version, "MeterValues", "meterValue", "sampledValue", name)


timestamps = st.sampled_from(
    [
        TS,
        "2025-11-25T16:59:00.123+01:00",
        "2025-11-25T15:59:00.5z",
        "2024-02-29T00:00:00Z",
        "1970-01-01T00:00:00Z",  # valid, but a clock never set: recorded as arrival time
        "2025-11-25T15:59:00",  # no offset: the schema refuses it
        "2025-02-29T00:00:00Z",
        "2025-11-25 15:59:00Z",
        "yesterday",
    ]
) | st.datetimes(timezones=st.just(UTC)).map(lambda moment: moment.isoformat())
connector_ids = st.sampled_from([0, 1, 2, 255, 256, -1])
string_values = st.sampled_from(
    ["51234.5", "0", "-1", "1,5", " 7 ", "abc", "", "inf", "nan", "1e400", "1_000", "0x10"]
) | st.floats().map(repr)
number_values = (
    st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from([0, -0.0, 1e308, 10**400])
)

sampled_value_16 = st.fixed_dictionaries(
    {"value": string_values},
    optional={
        name: sampled_field("1.6", name)
        for name in ("measurand", "unit", "phase", "location", "context", "format")
    },
)
unit_of_measure = st.fixed_dictionaries(
    {},
    optional={
        "unit": st.sampled_from(["Wh", "kWh", "W", "kW", "A", "V", "Celsius", "K", "x" * 20]),
        "multiplier": st.integers(-12, 12),
    },
)
sampled_value_201 = st.fixed_dictionaries(
    {"value": number_values},
    optional={
        "unitOfMeasure": unit_of_measure,
        **{
            name: sampled_field("2.0.1", name)
            for name in ("measurand", "phase", "location", "context")
        },
    },
)


def meter_values(sampled_value: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[Any]:
    return st.lists(
        st.fixed_dictionaries(
            {
                "timestamp": timestamps,
                "sampledValue": st.lists(sampled_value, min_size=1, max_size=4),
            }
        ),
        min_size=1,
        max_size=3,
    )


PAYLOADS: dict[str, dict[str, st.SearchStrategy[Any]]] = {
    "1.6": {
        "MeterValues": st.fixed_dictionaries(
            {"connectorId": connector_ids, "meterValue": meter_values(sampled_value_16)},
            optional={"transactionId": st.integers(-2, 2**40)},
        ),
        "StatusNotification": st.fixed_dictionaries(
            {
                "connectorId": connector_ids,
                "errorCode": enum("1.6", "StatusNotification", "errorCode"),
                "status": enum("1.6", "StatusNotification", "status"),
            },
            optional={
                "info": st.text(max_size=55),
                "timestamp": timestamps,
                "vendorId": st.text(max_size=20),
                "vendorErrorCode": st.text(max_size=55),
            },
        ),
        "Heartbeat": st.just({}),
    },
    "2.0.1": {
        "MeterValues": st.fixed_dictionaries(
            {"evseId": connector_ids, "meterValue": meter_values(sampled_value_201)}
        ),
        "StatusNotification": st.fixed_dictionaries(
            {
                "timestamp": timestamps,
                "connectorStatus": enum("2.0.1", "StatusNotification", "connectorStatus"),
                "evseId": connector_ids,
                "connectorId": st.integers(0, 3),
            }
        ),
        "Heartbeat": st.just({}),
    },
}
VERSIONS = sorted(PAYLOADS)


def payloads(version: str, data: st.DataObject) -> tuple[str, Any]:
    """An action with a fast path and a payload: compliant-looking, or mutated anywhere."""
    action = data.draw(st.sampled_from(sorted(PAYLOADS[version])))
    payload = data.draw(PAYLOADS[version][action])
    if data.draw(st.booleans()):
        payload = mutate(payload, data)
    return action, payload


# -- the properties -------------------------------------------------------------------------


@PROPERTIES
@given(version=st.sampled_from(VERSIONS), data=st.data())
def test_fast_and_full_paths_leave_the_same_outcome(version: str, data: st.DataObject) -> None:
    frames = [call(*payloads(version, data), f"m{n}") for n in range(data.draw(st.integers(1, 4)))]
    assert_same_outcome(version, frames)


@PROPERTIES
@given(version=st.sampled_from(VERSIONS), data=st.data())
def test_only_schema_valid_payloads_are_recognised(version: str, data: st.DataObject) -> None:
    action, payload = payloads(version, data)
    if recognised(version, action, payload):
        assert schema_accepts(version, action, payload)


@PROPERTIES
@given(version=st.sampled_from(VERSIONS), data=st.data())
def test_compliant_payloads_are_recognised(version: str, data: st.DataObject) -> None:
    """The common shape takes the fast path (else the properties above would prove little)."""
    action = data.draw(st.sampled_from(sorted(PAYLOADS[version])))
    payload = data.draw(PAYLOADS[version][action])
    in_range = all(
        0 <= payload.get(name, 0) <= 255 for name in ("connectorId", "evseId") if name in payload
    )
    huge = "10000000000" in json.dumps(payload)  # 10**400: no float holds it
    if schema_accepts(version, action, payload) and in_range and not huge:
        assert recognised(version, action, payload)


# -- examples -------------------------------------------------------------------------------


@pytest.mark.parametrize("trace", sorted(path.name for path in TRACES.glob("*.jsonl")))
def test_real_charger_traces_leave_the_same_outcome(trace: str) -> None:
    frames = [line for line in (TRACES / trace).read_text().splitlines() if line.strip()]
    assert_same_outcome("2.0.1" if trace.startswith("ocpp201") else "1.6", frames)


def test_the_benchmark_frame_takes_the_fast_path() -> None:
    assert recognised("1.6", "MeterValues", json.loads(METER_PAYLOAD))


@pytest.mark.parametrize("version", VERSIONS)
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


@pytest.mark.parametrize(
    "field",
    [
        {"type": "string", "minLength": 1},
        {"type": "integer", "minimum": 0},
        {"type": "string", "format": "uri"},
        {"type": "boolean"},
        {"enum": ["A"]},
    ],
)
def test_field_checks_refuse_keywords_they_do_not_check(field: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="no fast check"):
        fastpath.field_check(field)


@pytest.mark.parametrize(
    "field",
    [{"type": "array", "maxItems": 3, "items": {}}, {"type": "array", "uniqueItems": True}],
)
def test_list_checks_refuse_keywords_they_do_not_check(field: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="no fast check"):
        fastpath.list_check(field)


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

"""Property tests: whatever a charger sends, Session.handle answers well-formed frames.

It never raises, and the state it leaves behind still renders a parseable exposition.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from exporter import schemas
from exporter.metrics import iter_exposition
from exporter.selfmetrics import ExporterMetrics
from exporter.session import Session
from exporter.state import FleetState
from tests.exporter.sessions import REQUESTS

ERROR_CODES = {
    "1.6": {
        "NotImplemented",
        "NotSupported",
        "InternalError",
        "ProtocolError",
        "SecurityError",
        "FormationViolation",
        "PropertyConstraintViolation",
        "OccurenceConstraintViolation",
        "TypeConstraintViolation",
        "GenericError",
    },
    "2.0.1": {
        "FormatViolation",
        "GenericError",
        "InternalError",
        "MessageTypeNotSupported",
        "NotImplemented",
        "NotSupported",
        "OccurrenceConstraintViolation",
        "PropertyConstraintViolation",
        "ProtocolError",
        "RpcFrameworkError",
        "SecurityError",
        "TypeConstraintViolation",
    },
}
FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
    | st.sampled_from(
        [
            "1",
            "0",
            "-1",
            "1.5",
            "null",
            "NoError",
            "Faulted",
            "Wh",
            "kWh",
            "2025-01-01T00:00:00Z",
            "yesterday",
            "SoC",
            "Power.Active.Import",
        ]
    )
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)


def mutate(payload: Any, data: st.DataObject) -> Any:
    """A valid payload with one value, anywhere in it, replaced, removed or duplicated."""
    if isinstance(payload, dict) and payload:
        key = data.draw(st.sampled_from(sorted(payload)))
        choice = data.draw(st.integers(0, 3))
        result = dict(payload)
        if choice == 0:
            del result[key]
        elif choice == 1:
            result[key] = data.draw(json_values)
        else:
            result[key] = mutate(payload[key], data)
        return result
    if isinstance(payload, list) and payload:
        index = data.draw(st.integers(0, len(payload) - 1))
        result_list = list(payload)
        result_list[index] = mutate(payload[index], data)
        return result_list
    return data.draw(json_values)


def new_session(version: str) -> tuple[Session, FleetState]:
    metrics = ExporterMetrics(CollectorRegistry())
    state = FleetState(None, metrics, clock=lambda: 1_764_086_400.0)
    state.connected("FUZZ", version)
    return Session("FUZZ", version, state, metrics), state


def check_reply(version: str, frame: Any, replies: list[str]) -> None:
    """A CALL gets exactly one well-formed CALLRESULT/CALLERROR; anything else none or one error."""
    assert isinstance(replies, list) and len(replies) <= 1
    if not replies:
        return
    reply = json.loads(replies[0])
    assert isinstance(reply, list)
    if reply[0] == 3:
        assert len(reply) == 3 and isinstance(reply[2], dict)
        assert isinstance(frame, list) and frame[0] == 2 and reply[1] == frame[1]
        schemas.response_validator(version, frame[2])(reply[2])
    else:
        assert reply[0] == 4 and len(reply) == 5
        assert isinstance(reply[1], str | int)
        assert reply[2] in ERROR_CODES[version]
        assert isinstance(reply[3], str) and len(reply[3]) <= 255
        assert reply[4] == {}
        if isinstance(frame, list) and len(frame) > 1 and type(frame[1]) in (str, int):
            assert reply[1] == frame[1]  # a readable id is always echoed
        else:
            assert reply[1] == "-1"


def assert_exposition_parses(state: FleetState) -> None:
    text = b"".join(iter_exposition(state)).decode()
    assert list(text_string_to_metric_families(text))


@FUZZ
@given(
    version=st.sampled_from(["1.6", "2.0.1"]), frame=st.text(max_size=200) | st.binary(max_size=200)
)
def test_arbitrary_text_and_bytes(version: str, frame: str | bytes) -> None:
    session, _ = new_session(version)
    replies = session.handle(frame)
    try:
        decoded = json.loads(frame)
    except ValueError:
        decoded = None  # not JSON: only a CALLERROR can come back
    check_reply(version, decoded, replies)


@FUZZ
@given(
    version=st.sampled_from(["1.6", "2.0.1"]),
    frame=st.lists(json_values, max_size=6)
    | st.tuples(
        st.sampled_from([2, 3, 4, 5, "2", 2.0]),
        st.text(max_size=40) | st.integers(),
        st.sampled_from(sorted({*REQUESTS["1.6"], *REQUESTS["2.0.1"], "Reset", "X"})),
        json_values,
    ).map(list),
)
def test_arbitrary_json_frames(version: str, frame: list[Any]) -> None:
    session, state = new_session(version)
    replies = session.handle(json.dumps(frame))
    check_reply(version, frame, replies)
    if frame and frame[0] == 2 and len(frame) == 4 and isinstance(frame[1], str | int):
        assert len(replies) == 1 and json.loads(replies[0])[1] == frame[1]
    assert_exposition_parses(state)


@FUZZ
@given(version=st.sampled_from(["1.6", "2.0.1"]), data=st.data())
def test_mutated_real_payloads(version: str, data: st.DataObject) -> None:
    session, state = new_session(version)
    for _ in range(3):
        action = data.draw(st.sampled_from(sorted(REQUESTS[version])))
        payload = mutate(REQUESTS[version][action], data)
        frame = [2, "fuzz", action, payload]
        replies = session.handle(json.dumps(frame))
        assert len(replies) == 1
        check_reply(version, frame, replies)
    assert_exposition_parses(state)

"""The validated fast paths: the same answer as schema validation + handler, or no answer.

Property tests feed the same frames (compliant, near-compliant and mutated) to a session with
the fast paths and to one without, and compare everything a frame leaves behind: the reply,
the events for the history, the fleet metrics and the collector's own counters.
Examples are in test_fastpath_examples.py.
"""

from __future__ import annotations

import json
from datetime import UTC
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exporter import schemas
from tests.exporter.outcomes import assert_same_outcome, call, recognised, schema_accepts
from tests.exporter.sessions import TS
from tests.exporter.test_fuzz import mutate

PROPERTIES = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

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

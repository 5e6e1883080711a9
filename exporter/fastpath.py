"""Validated fast paths for the actions chargers send most: MeterValues, StatusNotification,
Heartbeat.

Why: on a MeterValues-heavy load the generated fastjsonschema validator and the lenient
handler together cost most of a frame's time, walking the same sampled values twice. A fast
path checks the common, compliant shape of a payload and reads it in one walk.

What it guarantees: a fast path either returns exactly the reply that the full path (schema
validation, then the handler) would return, having made exactly the same state changes, or
returns None having changed nothing, and the session takes the full path. It only recognises
payloads that the request schema accepts: every field check is built from the schema file
itself (exporter.shapes: types, enum members, length limits, date-time format), and anything
it was not built to read (customData, signed meter values, explicit nulls, numbers sent as
strings, values outside an enum, a connector id the handler refuses) is simply not recognised.
A frame that breaks the schema therefore always takes the full path, with its CALLERROR or
non-compliance counting. tests/exporter/test_fastpath*.py check this against the full path.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from exporter import lenient
from exporter.handlers import Handler, Handlers, Payload
from exporter.handlers16 import CentralSystem16
from exporter.handlers201 import CentralSystem201
from exporter.lenient import SampleKind
from exporter.records import Reading
from exporter.shapes import Check, ObjectShape, is_number, is_text

FastPath = Callable[[Handlers, Payload], Payload | None]


def _when_valid(shape: ObjectShape, handler: Handler) -> FastPath:
    """A fast path that only skips the validator: the handler is the full path's own."""
    if shape.defaults:
        raise ValueError("the validator fills in defaults the handler would then miss")

    def fast_path(handlers: Handlers, payload: Payload) -> Payload | None:
        return handler(handlers, payload) if shape.matches(payload) else None

    return fast_path


# -- MeterValues ----------------------------------------------------------------------------

# A sampled value is read by its descriptive fields (all but the value). Chargers repeat a
# handful of combinations, so each combination is checked against the schema and given its
# meaning (lenient.sample_kind) once, then found by one dict lookup. Only combinations the
# schema accepts are kept, so the memo stays small; the cap is a guard, never expected to bite.
_MAX_SHAPES = 2000
SampleKey = tuple[Any, ...]
# A known combination: how many properties it makes with the value, and its meaning (None: a
# value the handler skips, such as 1.6 SignedData).
Shape = tuple[int, SampleKind | None]


class SampledValueShapes:
    """The combinations of a sampled value's descriptive fields met so far that are valid.

    A reader looks a combination up in ``known`` itself (the hot loop saves a call) and asks
    :meth:`learn` about one it has not met; a key holding a JSON object or array is unhashable
    and never valid.
    """

    def __init__(
        self, checks: tuple[Check, ...], kind: Callable[[SampleKey], SampleKind | None]
    ) -> None:
        self._checks = checks
        self._kind = kind
        self.known: dict[SampleKey, Shape] = {}

    def learn(self, key: SampleKey) -> Shape | None:
        """The shape of ``key`` (one value per check, None: absent); None if not valid."""
        count = 1  # the value
        for part, check in zip(key, self._checks, strict=True):
            if part is not None:
                if not check(part):
                    return None
                count += 1
        shape = (count, self._kind(key))
        if len(self.known) < _MAX_SHAPES:
            self.known[key] = shape
        return shape


def _shape_checks(object_shape: ObjectShape, *names: str) -> tuple[Check, ...]:
    return tuple(object_shape.checks[name] for name in names)


Samples = list[tuple[float | None, list[Reading]]]
ReadSampledValues = Callable[[list[Any]], list[Reading] | None]


def _samples(
    meter_values: list[Any], shape: ObjectShape, read: ReadSampledValues
) -> Samples | None:
    """Each meterValue's timestamp (lenient.timestamp) and readings; None if not recognised."""
    samples: Samples = []
    for meter_value in meter_values:
        if not shape.matches(meter_value):
            return None
        readings = read(meter_value["sampledValue"])  # required, as is the timestamp
        if readings is None:
            return None
        samples.append((lenient.timestamp(meter_value["timestamp"]), readings))
    return samples


def _assume(shape: ObjectShape, value_check: Check, descriptive: tuple[str, ...]) -> None:
    """Fail at import if a sampled value's schema is not what its reader was written for.

    The readers inline the value's check and know the descriptive fields by name; a schema
    that required more, or checked the value differently, would make them unsound.
    """
    if (
        shape.required != {"value"}
        or shape.checks.get("value") is not value_check
        or set(shape.checks) != {"value", *descriptive}
    ):
        raise ValueError(f"the sampled value schema changed: {sorted(shape.checks)}")


def _record(handlers: Handlers, connector: int, samples: Samples) -> None:
    state, charger = handlers.state, handlers.charger
    for when, readings in samples:
        state.meter_values(charger, connector, when, readings)


def _is_connector(value: int) -> bool:
    # Outside this range the handler answers a CALLERROR: the full path says which.
    return 0 <= value <= lenient.MAX_CONNECTOR_ID


# OCPP 1.6: sampled values are strings, the unit is a field of the sampled value.
_METER_VALUES_16 = ObjectShape("1.6", "MeterValues", lists=("meterValue",))
_METER_VALUE_16 = ObjectShape("1.6", "MeterValues", "meterValue", lists=("sampledValue",))
_SAMPLED_VALUE_16 = ObjectShape("1.6", "MeterValues", "meterValue", "sampledValue")


def _kind_16(key: SampleKey) -> SampleKind | None:
    measurand, unit, phase, _location, _context, value_format = key
    if value_format == "SignedData":
        return None  # a signature blob, not a number: the handler skips it
    return lenient.sample_kind(measurand, unit, phase)


_DESCRIPTIVE_16 = ("measurand", "unit", "phase", "location", "context", "format")
_assume(_SAMPLED_VALUE_16, is_text, _DESCRIPTIVE_16)
_SHAPES_16 = SampledValueShapes(_shape_checks(_SAMPLED_VALUE_16, *_DESCRIPTIVE_16), _kind_16)


def _readings_16(sampled_values: list[Any]) -> list[Reading] | None:
    """What handlers16.readings returns, for sampled values the schema accepts; else None."""
    readings: list[Reading] = []
    known = _SHAPES_16.known
    for sampled in sampled_values:
        if type(sampled) is not dict:
            return None
        get = sampled.get
        value = get("value")
        if type(value) is not str:
            return None
        key = (
            get("measurand"),
            get("unit"),
            get("phase"),
            get("location"),
            get("context"),
            get("format"),
        )
        try:
            shape = known.get(key)
        except TypeError:  # a JSON object or array where a name belongs
            return None
        if shape is None and (shape := _SHAPES_16.learn(key)) is None:
            return None
        if len(sampled) != shape[0]:
            return None  # a field outside the schema, or one sent as null
        kind = shape[1]
        if kind is None:
            continue
        number = lenient.reading_value(value)
        if number is not None:
            measurand, phase, convert, unit = kind
            readings.append((measurand, phase, convert(number), unit))
    return readings


def meter_values_16(handlers: Handlers, payload: Payload) -> Payload | None:
    """CentralSystem16.on_meter_values for a compliant payload."""
    if not _METER_VALUES_16.matches(payload) or not _is_connector(payload["connectorId"]):
        return None
    samples = _samples(payload["meterValue"], _METER_VALUE_16, _readings_16)
    if samples is None:
        return None
    connector = payload["connectorId"]
    transaction_id = payload.get("transactionId")
    if transaction_id is not None:
        handlers.state.start_transaction(handlers.charger, connector, transaction_id)
    _record(handlers, connector, samples)
    return {}


# OCPP 2.0.1: sampled values are numbers, the unit and a power-of-ten multiplier are in a
# unitOfMeasure object, whose schema defaults (unit "Wh", multiplier 0) the validator fills in.
_METER_VALUES_201 = ObjectShape("2.0.1", "MeterValues", lists=("meterValue",))
_METER_VALUE_201 = ObjectShape("2.0.1", "MeterValues", "meterValue", lists=("sampledValue",))
_SAMPLED_VALUE_201 = ObjectShape("2.0.1", "MeterValues", "meterValue", "sampledValue")
_UNIT_OF_MEASURE = ObjectShape(
    "2.0.1", "MeterValues", "meterValue", "sampledValue", "unitOfMeasure"
)
_DEFAULT_UNIT = _UNIT_OF_MEASURE.defaults["unit"]
_DEFAULT_MULTIPLIER = _UNIT_OF_MEASURE.defaults["multiplier"]


def _kind_201(key: SampleKey) -> SampleKind:
    measurand, unit, phase, _location, _context = key
    return lenient.sample_kind(measurand, unit, phase)


_assume(_SAMPLED_VALUE_201, is_number, ("measurand", "phase", "location", "context"))
# The key's unit is read from unitOfMeasure: never None when unitOfMeasure is present (the
# default applies), so the count of non-None parts is still the sampled value's property count.
_SHAPES_201 = SampledValueShapes(
    (
        _SAMPLED_VALUE_201.checks["measurand"],
        _UNIT_OF_MEASURE.checks["unit"],
        *_shape_checks(_SAMPLED_VALUE_201, "phase", "location", "context"),
    ),
    _kind_201,
)


def _readings_201(sampled_values: list[Any]) -> list[Reading] | None:
    """What handlers201.readings returns, for sampled values the schema accepts; else None."""
    readings: list[Reading] = []
    known = _SHAPES_201.known
    for sampled in sampled_values:
        if type(sampled) is not dict:
            return None
        get = sampled.get
        value = get("value")
        if not is_number(value):
            return None
        unit = multiplier = None
        unit_of_measure = get("unitOfMeasure")
        if unit_of_measure is not None:
            if not _UNIT_OF_MEASURE.matches(unit_of_measure):
                return None
            unit = unit_of_measure.get("unit", _DEFAULT_UNIT)
            multiplier = unit_of_measure.get("multiplier", _DEFAULT_MULTIPLIER)
        key = (get("measurand"), unit, get("phase"), get("location"), get("context"))
        try:
            shape = known.get(key)
        except TypeError:  # a JSON object or array where a name belongs
            return None
        if shape is None and (shape := _SHAPES_201.learn(key)) is None:
            return None
        if len(sampled) != shape[0]:
            return None  # a field outside the schema (customData, signedMeterValue) or null
        try:
            number = lenient.reading_value(value)
        except OverflowError:  # an integer no float can hold: left to the full path
            return None
        if number is None:
            continue
        if multiplier is not None and -9 <= multiplier <= 9:
            number *= 10.0**multiplier
        kind = shape[1]
        if kind is not None:  # always: every 2.0.1 combination has a meaning
            measurand, phase, convert, base_unit = kind
            readings.append((measurand, phase, convert(number), base_unit))
    return readings


def meter_values_201(handlers: Handlers, payload: Payload) -> Payload | None:
    """CentralSystem201.on_meter_values for a compliant payload."""
    if not _METER_VALUES_201.matches(payload) or not _is_connector(payload["evseId"]):
        return None
    samples = _samples(payload["meterValue"], _METER_VALUE_201, _readings_201)
    if samples is None:
        return None
    _record(handlers, payload["evseId"], samples)
    return {}


# -- the table the session uses -------------------------------------------------------------


def _flat(ocpp_version: str, action: str, handler: Handler) -> FastPath:
    return _when_valid(ObjectShape(ocpp_version, action), handler)


FAST_PATHS: dict[str, dict[str, FastPath]] = {
    "1.6": {
        "MeterValues": meter_values_16,
        "StatusNotification": _flat(
            "1.6", "StatusNotification", CentralSystem16.on_status_notification
        ),
        "Heartbeat": _flat("1.6", "Heartbeat", CentralSystem16.on_heartbeat),
    },
    "2.0.1": {
        "MeterValues": meter_values_201,
        "StatusNotification": _flat(
            "2.0.1", "StatusNotification", CentralSystem201.on_status_notification
        ),
        "Heartbeat": _flat("2.0.1", "Heartbeat", CentralSystem201.on_heartbeat),
    },
}
"""Per OCPP version, the actions with a fast path (see the module docstring for its contract)."""

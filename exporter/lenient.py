"""Lenient reading of charger payloads: what a real charger meant, even when it broke the schema.

Handlers read every field they use through these helpers. A value that merely breaks the
schema (a number sent as a string, an enum value outside the spec, a garbage timestamp) is
read as the charger meant it; a value that cannot be understood at all raises
:class:`Unintelligible`, which the session turns into the matching CALLERROR.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any

# The kinds of CALLERROR a payload problem maps to (spelled per version in exporter.frames).
OCCURRENCE = "occurrence"
TYPE = "type"
PROPERTY = "property"

# Charger-supplied strings are capped: label values and log lines must stay small.
MAX_TEXT = 128
MAX_FREE_TEXT = 500


class Unintelligible(Exception):
    """A payload field that no lenient reading can make sense of."""

    def __init__(self, kind: str, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.kind = kind
        self.field = field


def require(payload: dict[str, Any], name: str) -> Any:
    """A field the message cannot be understood without."""
    value = payload.get(name)
    if value is None:
        raise Unintelligible(OCCURRENCE, name, "required field is missing")
    return value


def mapping(value: Any, field: str) -> dict[str, Any]:
    if type(value) is not dict:
        raise Unintelligible(TYPE, field, "must be a JSON object")
    return value


def items(value: Any, field: str) -> list[Any]:
    """A JSON array; a single object where an array belongs is read as a one-element array."""
    if type(value) is list:
        return value
    if type(value) is dict:
        return [value]
    raise Unintelligible(TYPE, field, "must be a JSON array")


def integer(value: Any, field: str) -> int:
    """An integer, also when sent as an integral float or a numeric string ("1", "1.0")."""
    kind = type(value)
    if kind is int:
        return int(value)
    if kind is float and value.is_integer():
        return int(value)
    if kind is str:
        try:
            number = float(value.strip())
        except ValueError:
            pass
        else:
            if number.is_integer():
                return int(number)
    raise Unintelligible(TYPE, field, f"{_show(value)} is not an integer")


# Connector (1.6) and EVSE (2.0.1) ids this collector tracks: each id becomes series, so a
# charger must not create them without bound. Real charge points have a handful.
MAX_CONNECTOR_ID = 255


def connector_number(value: Any, field: str) -> int:
    """A connectorId or evseId: an integer from 0 (the charger as a whole) to 255."""
    number = integer(value, field)
    if not 0 <= number <= MAX_CONNECTOR_ID:
        raise Unintelligible(PROPERTY, field, f"{number} is outside 0-{MAX_CONNECTOR_ID}")
    return number


def number(value: Any, field: str) -> float:
    """A finite number, also when sent as a string ("7148.96", "1,5" with a decimal comma)."""
    kind = type(value)
    if kind is float:
        result = float(value)
    elif kind is int:
        try:
            result = float(value)
        except OverflowError:  # a JSON integer with hundreds of digits
            raise Unintelligible(PROPERTY, field, f"{_show(value)} is out of range") from None
    elif kind is str:
        try:
            result = float(value)  # surrounding whitespace is fine
        except ValueError:
            try:
                result = float(value.replace(",", "."))
            except ValueError:
                raise Unintelligible(TYPE, field, f"{_show(value)} is not a number") from None
    else:
        raise Unintelligible(TYPE, field, f"{_show(value)} is not a number")
    if not math.isfinite(result):
        raise Unintelligible(PROPERTY, field, f"{_show(value)} is not a finite number")
    return result


def reading_value(value: Any) -> float | None:
    """A sampled value's number (1.6 sends a string, 2.0.1 a number); None if it is none."""
    kind = type(value)
    if kind is str:
        try:
            result = float(value)  # the usual case, first and fast
        except ValueError:
            return _number_or_none(value)
        return result if math.isfinite(result) else None
    if kind is float or kind is int:
        try:
            result = float(value)
        except OverflowError:  # an integer beyond float range: not a usable reading
            return None
        return result if math.isfinite(result) else None
    return _number_or_none(value)


def _number_or_none(value: Any) -> float | None:
    try:
        return number(value, "value")
    except Unintelligible:
        return None


def text(value: Any, limit: int = MAX_TEXT) -> str:
    """A string from a charger, safe to use as a label value or log field.

    Numbers become their decimal text, JSON null and the literal "null" some firmwares send
    become "", the length is capped and lone surrogates (valid JSON, invalid UTF-8) replaced.
    """
    kind = type(value)
    if kind is str:
        result: str = value
    elif kind is int or kind is float:
        result = str(value)
    else:
        return ""
    if result == "null":
        return ""
    if len(result) > limit:
        result = result[:limit]
    if not result.isascii():
        result = result.encode("utf-8", "replace").decode("utf-8")
    return result


def required_text(payload: dict[str, Any], name: str, limit: int = MAX_TEXT) -> str:
    value = require(payload, name)
    if type(value) is not str and type(value) is not int:
        raise Unintelligible(TYPE, name, f"{_show(value)} is not a string")
    return text(value, limit)


def enum(value: str, canonical: dict[str, str]) -> str:
    """The spec spelling of an enum value matched case-insensitively; an unknown value as sent.

    ``canonical`` maps lower-cased names to the spec spelling. Unknown values are kept (and
    capped by :func:`text`) because a value outside the spec still says something, e.g. the
    Legrand errorCode "Error".
    """
    return canonical.get(value.lower(), value)


def canonical_names(*names: str) -> dict[str, str]:
    return {name.lower(): name for name in names}


# Chargers with an unset clock report 1970 or 2000; nothing before this is a real reading.
EARLIEST_PLAUSIBLE = 1_420_070_400.0  # 2015-01-01T00:00:00Z


def timestamp(value: Any) -> float | None:
    """Unix seconds of an ISO 8601 timestamp; None when missing, unreadable or before 2015.

    A timestamp without an offset is read as UTC, as OCPP requires UTC on the wire.
    """
    if type(value) is not str:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        seconds = parsed.timestamp()
    except (OverflowError, OSError, ValueError):
        return None
    return seconds if seconds >= EARLIEST_PLAUSIBLE else None


def iso_utc(seconds: float) -> str:
    """An OCPP dateTime (UTC, millisecond precision, 'Z' suffix)."""
    moment = datetime.fromtimestamp(seconds, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _show(value: Any) -> str:
    shown = repr(value)
    return shown if len(shown) <= 40 else shown[:37] + "..."


# Base unit, unit factors and the factor for a missing or foreign unit, per measurand family
# (matched on the measurand's prefix). The unit a charger names is trusted only when it belongs
# to the measurand's family: chargers send kWh where Wh is usual (honoured) and Frequency with
# unit "W" (ignored: the number is Hz). A missing energy unit is Wh, the spec default.
_Family = tuple[str, dict[str, float], float]
_ENERGY: _Family = ("J", {"wh": 3600.0, "kwh": 3_600_000.0}, 3600.0)
_POWER: _Family = ("W", {"w": 1.0, "kw": 1000.0}, 1.0)
_MEASURAND_FAMILIES: tuple[tuple[str, _Family], ...] = (
    ("Energy.Active.", _ENERGY),
    ("Energy.Reactive.", ("varh", {"varh": 1.0, "kvarh": 1000.0}, 1.0)),
    ("Energy.Apparent.", ("VAh", {"vah": 1.0, "kvah": 1000.0}, 1.0)),
    ("Power.Active.", _POWER),
    ("Power.Offered", _POWER),
    ("Power.Reactive.", ("var", {"var": 1.0, "kvar": 1000.0}, 1.0)),
    ("Power.Factor", ("ratio", {}, 1.0)),
    ("Current.", ("A", {"a": 1.0}, 1.0)),
    ("Voltage", ("V", {"v": 1.0}, 1.0)),
    ("Frequency", ("Hz", {"hz": 1.0}, 1.0)),
    ("RPM", ("rpm", {}, 1.0)),
)
# OCPP 1.6: a sampled value without measurand is Energy.Active.Import.Register.
DEFAULT_MEASURAND = "Energy.Active.Import.Register"


Conversion = Callable[[float], float]
# What a sampled value's measurand, unit and phase fields mean: (measurand, phase, conversion
# to the base unit, base unit).
SampleKind = tuple[str, str, Conversion, str]
_sample_kinds: dict[tuple[Any, Any, Any], SampleKind] = {}
_MAX_SAMPLE_KINDS = 2000  # the keys come from chargers: the memo stays bounded


def sample_kind(measurand: Any, unit: Any, phase: Any) -> SampleKind:
    """The meaning of a sampled value's fields, as sent (memoised: chargers repeat them)."""
    key = (measurand, unit, phase)
    try:
        kind = _sample_kinds.get(key)
        memoisable = True
    except TypeError:  # a JSON object or array where a name belongs cannot be a key
        kind, memoisable = None, False
    if kind is None:
        name = text(measurand) or DEFAULT_MEASURAND
        convert, base_unit = _conversion(name, text(unit))
        kind = (name, text(phase), convert, base_unit)
        if memoisable and len(_sample_kinds) < _MAX_SAMPLE_KINDS and _short(key):
            _sample_kinds[key] = kind
    return kind


def _short(key: tuple[Any, ...]) -> bool:
    """Whether a memo key is small enough to keep (a charger may send megabyte names)."""
    return all(type(part) is not str or len(part) <= 64 for part in key)


_Conversion = tuple[Conversion, str]


def _conversion(measurand: str, unit: str) -> _Conversion:
    if measurand == "SoC":
        return _percent, "ratio"  # always a percentage, whatever unit is named
    if measurand == "Temperature":
        return _TEMPERATURES.get(unit.lower(), _same), "celsius"
    for prefix, (base_unit, factors, default_factor) in _MEASURAND_FAMILIES:
        if measurand.startswith(prefix):
            factor = factors.get(unit.lower(), default_factor)
            return (_same if factor == 1.0 else partial(operator.mul, factor)), base_unit
    return _same, unit


def _same(value: float) -> float:
    return value


def _percent(value: float) -> float:
    return value / 100.0


_TEMPERATURES: dict[str, Callable[[float], float]] = {
    "fahrenheit": lambda value: (value - 32.0) * 5.0 / 9.0,
    "k": lambda value: value - 273.15,
}

"""The lenient readers the handlers use: what real chargers mean when they break the schema."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exporter import lenient
from exporter.lenient import Unintelligible


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2023-03-30T01:58:48.001Z", 1_680_141_528.001),
        ("2022-02-02T13:33:27.864437+00:00", 1_643_808_807.864437),
        ("2022-02-02T14:33:27+01:00", 1_643_808_807.0),
        ("2022-02-02T13:33:27", 1_643_808_807.0),  # no offset: OCPP is UTC on the wire
        ("2023-11-09T11:41:29.2251234Z", 1_699_530_089.225123),  # 7 digits of fraction
        ("1970-01-01T00:00:00Z", None),  # a clock that was never set
        ("yesterday", None),
        ("", None),
        (None, None),
        (1_700_000_000, None),
    ],
)
def test_timestamp(value: Any, expected: float | None) -> None:
    result = lenient.timestamp(value)
    if expected is None:
        assert result is None
    else:
        assert result == pytest.approx(expected, abs=1e-6)


def test_iso_utc() -> None:
    assert lenient.iso_utc(1_764_086_400.5) == "2025-11-25T16:00:00.500Z"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Alfen BV", "Alfen BV"),
        ("null", ""),
        (None, ""),
        (12, "12"),
        (1.5, "1.5"),
        ({"a": 1}, ""),
        ("x" * 200, "x" * 128),
        ("bad \ud800 utf8", "bad ? utf8"),
    ],
)
def test_text(value: Any, expected: str) -> None:
    assert lenient.text(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"), [(3, 3), ("3", 3), ("3.0", 3), (3.0, 3), (" 7 ", 7)]
)
def test_integer(value: Any, expected: int) -> None:
    assert lenient.integer(value, "f") == expected


@pytest.mark.parametrize("value", [True, "3.5", 3.5, "three", None, [3], "1e999"])
def test_not_an_integer(value: Any) -> None:
    with pytest.raises(Unintelligible) as raised:
        lenient.integer(value, "f")
    assert raised.value.kind == lenient.TYPE


@pytest.mark.parametrize(
    ("value", "expected"), [("7148.96", 7148.96), ("1,5", 1.5), (2, 2.0), (" 0.00 ", 0.0)]
)
def test_number(value: Any, expected: float) -> None:
    assert lenient.number(value, "f") == expected


def test_enum_is_case_insensitive_and_keeps_unknown_values() -> None:
    names = lenient.canonical_names("NoError", "OtherError")
    assert lenient.enum("noerror", names) == "NoError"
    assert lenient.enum("Error", names) == "Error"


@pytest.mark.parametrize(
    ("measurand", "unit", "value", "expected", "base_unit"),
    [
        ("Energy.Active.Import.Register", "Wh", 1.0, 3600.0, "J"),
        ("Energy.Active.Import.Register", "kWh", 1.5, 5_400_000.0, "J"),
        ("Energy.Active.Import.Register", None, 2.0, 7200.0, "J"),  # the spec default is Wh
        (None, None, 2.0, 7200.0, "J"),  # so is the measurand
        ("Power.Active.Import", "kW", 7.2, 7200.0, "W"),
        ("Power.Offered", "W", 11000.0, 11000.0, "W"),
        ("Power.Reactive.Import", "kvar", 1.0, 1000.0, "var"),
        ("Energy.Reactive.Import.Register", "kvarh", 2.0, 2000.0, "varh"),
        ("SoC", "Percent", 68.0, 0.68, "ratio"),
        ("SoC", None, 50.0, 0.5, "ratio"),
        ("Frequency", "W", 49.965004, 49.965004, "Hz"),  # Heliox: the unit is wrong
        ("Temperature", "Celsius", 28.3, 28.3, "celsius"),
        ("Temperature", "Fahrenheit", 212.0, 100.0, "celsius"),
        ("Temperature", "K", 300.0, 26.85, "celsius"),
        ("Current.Import", "A", 30.77, 30.77, "A"),
        ("Voltage", "V", 230.0, 230.0, "V"),
        ("Vendor.Specific", "Bar", 3.0, 3.0, "Bar"),
    ],
)
def test_sample_kind(
    measurand: Any, unit: Any, value: float, expected: float, base_unit: str
) -> None:
    name, phase, convert, unit_out = lenient.sample_kind(measurand, unit, "L1")
    assert name == (measurand or "Energy.Active.Import.Register")
    assert phase == "L1"
    assert convert(value) == pytest.approx(expected)
    assert unit_out == base_unit


def test_sample_kind_of_unhashable_or_huge_fields() -> None:
    name, phase, _, unit = lenient.sample_kind({"not": "a name"}, ["W"], None)
    assert (name, phase, unit) == ("Energy.Active.Import.Register", "", "J")
    huge = "M" * 10_000
    assert lenient.sample_kind(huge, "W", None)[0] == "M" * 128
    assert (huge, "W", None) not in lenient._sample_kinds


@given(st.floats() | st.integers(-(10**20), 10**20) | st.booleans() | st.text(max_size=12))
def test_reading_value_short_cuts_read_as_number_does(value: Any) -> None:
    try:
        expected: float | None = lenient.number(value, "value")
    except Unintelligible:
        expected = None
    assert lenient.reading_value(value) == expected

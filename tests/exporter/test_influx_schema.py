"""Events to line protocol: the schema of exporter.influx_schema, escaping and caps (no server)."""

from __future__ import annotations

import pytest

from exporter.events import ChargerRef, ConnectionChanged, Event, MeterSample, StatusChanged
from exporter.influx_schema import MAX_TAG_CHARS, MAX_TEXT_CHARS, to_line, to_record

CHARGER = ChargerRef("CP-1", "lyon", "acme")
T = 1_700_000_000.1234  # written as 1700000000123 (milliseconds)

HOSTILE = [
    "with space",
    "com,ma",
    "equals=sign",
    'double"quote',
    "back\\slash",
    "new\nline",
    "carriage\rreturn",
    "tab\tchar",
    "ünïcødé ⚡ 充电",
    'all of it: a=b, "c"\\d\n',
    "# comment-looking",
]


def test_connection_point() -> None:
    event = ConnectionChanged(CHARGER, T, connected=False, reason="timeout", ocpp_version="2.0.1")
    assert to_line(event) == (
        "ocpp_connection,charge_point_id=CP-1,client=acme,ocpp_version=2.0.1,site=lyon"
        ' connected=0i,reason="timeout" 1700000000123'
    )


def test_status_point_keeps_free_text_in_fields() -> None:
    event = StatusChanged(CHARGER, T, 2, "Faulted", "OtherError", "ABB", "E-42", "Ground fault")
    assert to_line(event) == (
        "ocpp_status,charge_point_id=CP-1,client=acme,connector_id=2,error_code=OtherError,"
        'site=lyon,status=Faulted info="Ground fault",vendor_error_code="E-42",vendor_id="ABB"'
        " 1700000000123"
    )


def test_meter_point_value_is_always_a_float_field_and_empty_phase_is_omitted() -> None:
    whole = MeterSample(CHARGER, T, 1, "Energy.Active.Import.Register", "", 36, "J")
    phased = MeterSample(CHARGER, T, 1, "Current.Import", "L1", 16.5, "A")
    assert to_line(whole) == (
        "ocpp_meter,charge_point_id=CP-1,client=acme,connector_id=1,"
        'measurand=Energy.Active.Import.Register,site=lyon unit="J",value=36 1700000000123'
    )
    record = to_record(whole)
    assert record is not None
    assert isinstance(record.fields["value"], float)
    assert to_line(phased) == (
        "ocpp_meter,charge_point_id=CP-1,client=acme,connector_id=1,measurand=Current.Import,"
        'phase=L1,site=lyon unit="A",value=16.5 1700000000123'
    )


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_reading_is_not_a_point(value: float) -> None:
    assert to_line(MeterSample(CHARGER, T, 1, "Power.Active.Import", "", value, "W")) is None


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_strings_stay_one_line_with_all_tags_and_fields(text: str) -> None:
    charger = ChargerRef(text, text, text)
    events: list[Event] = [
        ConnectionChanged(charger, T, True, text, text),
        StatusChanged(charger, T, 1, text, text, text, text, text),
        MeterSample(charger, T, 1, text, text, 1.5, text),
    ]
    for event in events:
        line = to_line(event)
        assert line is not None
        assert "\n" not in line and "\r" not in line
        assert line.endswith(" 1700000000123")
        # Every tag and field is present: nothing hostile was dropped by the encoder.
        record = to_record(event)
        assert record is not None
        for key in [*record.tags, *record.fields]:
            assert f"{key}=" in line


def test_line_breaks_are_written_as_escape_sequences_in_tags_and_fields() -> None:
    line = to_line(StatusChanged(ChargerRef("a\nb", "s", "c"), T, 1, "x", "y", "", "", "1\r\n2"))
    assert line is not None
    assert "charge_point_id=a\\nb," in line
    assert 'info="1\\\\r\\\\n2"' in line  # \r\n -> the characters \r\n, whose \ is then escaped


def test_charger_strings_are_capped() -> None:
    long = "x" * 5000
    record = to_record(StatusChanged(ChargerRef(long, "s", "c"), T, 1, long, "e", long, "", long))
    assert record is not None
    assert record.tags["charge_point_id"] == "x" * MAX_TAG_CHARS
    assert record.tags["status"] == "x" * MAX_TAG_CHARS
    assert record.fields["info"] == "x" * MAX_TEXT_CHARS
    assert record.fields["vendor_id"] == "x" * MAX_TEXT_CHARS

"""Decoders on real values: traces, bitmasks, hex, info texts, 2.0.1 events; NoError semantics."""

from __future__ import annotations

import json
from typing import Any

from tests.support.paths import TRACES
from translator import Severity, Translator


def _calls(name: str, action: str) -> list[dict[str, Any]]:
    frames = [json.loads(line) for line in (TRACES / name).read_text().splitlines() if line]
    return [frame[3] for frame in frames if frame[0] == 2 and frame[2] == action]


def test_alfen_210_from_the_real_trace(translator: Translator) -> None:
    trace = "ocpp16_alfen_ng910_faulted_vendor_code_210.jsonl"
    boot = _calls(trace, "BootNotification")[0]
    status = _calls(trace, "StatusNotification")[0]
    result = translator.translate(
        vendor=boot["chargePointVendor"],
        vendor_error_code=status["vendorErrorCode"],
        error_code=status["errorCode"],
        info=status["info"],
        status=status["status"],
    )
    assert result.vendor_set == "alfen"
    assert result.known and result.fault
    assert [m.code for m in result.meanings] == ["210"]
    assert result.meanings[0].category.value == "communication"
    assert "safe current" in result.title
    # The vendor code decides severity: safe-current mode is a warning, not an outage.
    assert result.severity is Severity.WARNING
    assert result.error_code_meaning is not None
    assert result.error_code_meaning.code == "OtherError"
    assert result.status_meaning is not None
    assert result.status_meaning.code == "Faulted"
    assert result.received.info == "Modbus TCP/IP lost, in safe mode max 14.0A"


def test_zaptec_sum_of_bits_gives_each_meaning(translator: Translator) -> None:
    # 4096 (6 mA DC RCD) + 64 (pilot state) + 2 (high temperature)
    result = translator.translate(vendor="Zaptec", vendor_error_code="4162")
    assert result.known
    assert [m.code for m in result.meanings] == ["2", "64", "4096"]
    assert [m.received_as for m in result.meanings] == ["4162 bit 1", "4162 bit 6", "4162 bit 12"]
    assert result.severity is Severity.CRITICAL
    assert any("2 conditions" not in n and "3 conditions" in n for n in result.notes)


def test_zaptec_highest_bit_and_single_bit(translator: Translator) -> None:
    top = translator.translate(vendor="Zaptec", vendor_error_code=str(2**31 + 2**29))
    assert [m.code for m in top.meanings] == ["536870912", "2147483648"]
    single = translator.translate(vendor="Zaptec", vendor_error_code="8192")
    assert [m.code for m in single.meanings] == ["8192"]


def test_zaptec_unknown_bit_is_reported_beside_known_ones(translator: Translator) -> None:
    # bit 14 (16384) is not documented; bit 12 (4096) is.
    result = translator.translate(vendor="Zaptec", vendor_error_code=str(4096 + 16384))
    assert not result.known
    assert [m.code for m in result.meanings] == ["4096"]
    assert result.unknown_codes == ("20480 bit 14",)


def test_abb_hex_in_any_width(translator: Translator) -> None:
    for spelling in ("0x0002", "0x2", "0X02", "0x00000002"):
        result = translator.translate(vendor="ABB", vendor_error_code=spelling)
        assert [m.code for m in result.meanings] == ["0x0002"], spelling
        assert result.meanings[0].category.value == "residual_current"


def test_abb_zero_beside_no_error_is_not_a_fault(translator: Translator) -> None:
    status = _calls("ocpp16_abb_terra_ac_status_without_timestamp.jsonl", "StatusNotification")[0]
    assert status["vendorErrorCode"] == "0x0000"
    result = translator.translate(
        vendor="ABB",
        vendor_error_code=status["vendorErrorCode"],
        error_code=status["errorCode"],
        info=status["info"],
        status=status["status"],
    )
    assert result.known
    assert not result.fault
    assert result.severity is Severity.INFO
    assert any("not a fault" in note for note in result.notes)
    # ABB sends the literal string "null" as info: it is kept as data, not matched.
    assert result.received.info == "null"


def test_vendor_code_beside_no_error_is_never_a_fault(translator: Translator) -> None:
    easee = translator.translate(
        vendor="Easee", vendor_error_code="55", error_code="NoError", status="SuspendedEVSE"
    )
    assert easee.known and not easee.fault
    assert easee.severity is Severity.INFO
    grizzle = translator.translate(
        vendor="United Chargers", vendor_error_code="0", error_code="NoError"
    )
    assert not grizzle.fault
    assert grizzle.unknown_codes == ()  # "0" beside NoError means nothing, nothing to record


def test_faulted_with_no_error_is_a_fault(translator: Translator) -> None:
    statuses = _calls(
        "ocpp16_microocpp_faulted_overvoltage_then_noerror.jsonl", "StatusNotification"
    )
    first, second = statuses[0], statuses[1]
    over = translator.translate(error_code=first["errorCode"], status=first["status"])
    assert over.fault and over.severity is Severity.CRITICAL
    assert over.title == "Supply voltage too high"
    bare = translator.translate(error_code=second["errorCode"], status=second["status"])
    assert bare.fault
    assert bare.severity is Severity.CRITICAL
    assert bare.title == "Faulted"
    assert any("no error code" in note for note in bare.notes)


def test_bender_detail_in_info_even_under_another_brand(translator: Translator) -> None:
    result = translator.translate(
        vendor="Some OEM using a Bender controller",
        error_code="GroundFailure",
        info="RCD triggered",
        status="Faulted",
    )
    assert result.known
    assert [(m.set_id, m.title) for m in result.meanings] == [
        ("bender_ebee", "External RCD tripped")
    ]
    legacy = translator.translate(error_code="mode3Error", info="Vehicle signals error")
    assert legacy.meanings[0].category.value == "vehicle"
    assert legacy.error_code_meaning is not None
    assert legacy.error_code_meaning.code == "EVCommunicationError"


def test_evgo_comma_separated_codes(translator: Translator) -> None:
    result = translator.translate(
        vendor_id="com.evgo.mrec",
        vendor_error_code="F006,F008",
        error_code="OtherError",
        info="12000,75",
    )
    assert [m.code for m in result.meanings] == ["F006", "F008"]
    assert result.severity is Severity.CRITICAL


def test_everest_type_path(translator: Translator) -> None:
    result = translator.translate(
        vendor_id="EVerest", vendor_error_code="evse_board_support/MREC22ResistanceFault"
    )
    assert [m.code for m in result.meanings] == ["MREC22ResistanceFault"]


def test_chargex_recognised_by_shape_without_vendor_id(translator: Translator) -> None:
    result = translator.translate(vendor="alpitronic GmbH", vendor_error_code="CX011")
    assert result.known
    assert result.meanings[0].set_id == "chargex_mrec"
    assert result.vendor_set == "alpitronic"


def test_ocpp201_notify_event_with_tech_code(translator: Translator) -> None:
    raised = translator.translate_event(
        component="Connector",
        variable="Problem",
        actual_value="true",
        tech_code="CX001",
        tech_info="lock motor timeout",
        language="fr",
    )
    assert raised.fault
    assert raised.meanings[0].code == "CX001"
    assert raised.meanings[0].language == "fr"
    assert raised.status_meaning is not None
    assert raised.status_meaning.code == "Connector.Problem"
    cleared = translator.translate_event(
        component="Connector", variable="Problem", actual_value="false", tech_code="CX001"
    )
    assert not cleared.fault
    assert cleared.severity is Severity.INFO
    over_temp = translator.translate_event(component="TemperatureSensor", variable="Active")
    assert over_temp.status_meaning is not None
    assert over_temp.status_meaning.category.value == "cooling"
    other = translator.translate_event(component="PaymentTerminal", variable="Problem")
    assert other.status_meaning is not None
    assert other.status_meaning.code == "*.Problem"


def test_unknown_code_still_says_something_useful(translator: Translator) -> None:
    result = translator.translate(
        vendor="ABB",
        vendor_error_code="0x0001",
        error_code="GroundFailure",
        info="leak L2",
        status="Faulted",
    )
    assert not result.known
    assert result.unknown_codes == ("0x0001",)
    assert result.fault and result.severity is Severity.CRITICAL
    assert result.error_code_meaning is not None
    assert result.error_code_meaning.title == "Earth fault / residual current trip"
    assert result.received.vendor_error_code == "0x0001"
    assert result.received.info == "leak L2"
    assert any("not in the catalog yet" in note for note in result.notes)


def test_unknown_vendor_and_non_standard_error_code(translator: Translator) -> None:
    result = translator.translate(vendor="Acme Volt", vendor_error_code="E42", error_code="Boom")
    assert result.vendor_set is None
    assert result.fault
    assert any("Acme Volt" in note for note in result.notes)
    assert any("'Boom' is not an OCPP 1.6 value" in note for note in result.notes)


def test_legrand_error_quirk(translator: Translator) -> None:
    result = translator.translate(vendor="Legrand", error_code="Error", status="Faulted")
    assert result.fault
    assert result.error_code_meaning is not None
    assert result.error_code_meaning.title == "Non-standard error"


def test_charger_strings_are_bounded_and_neutralised(translator: Translator) -> None:
    hostile = "A\x1b[31mred\nSecond line {code} %s " + "x" * 5000
    result = translator.translate(vendor=hostile, vendor_error_code=hostile, info=hostile)
    for value in (result.received.vendor, result.received.vendor_error_code, result.received.info):
        assert value is not None
        assert "\x1b" not in value and "\n" not in value
        assert len(value) <= 500
    # Charger text is passed as data into messages, never used as a template.
    assert any("{code} %s" in note for note in result.notes)


def test_lookup_is_fast(translator: Translator) -> None:
    import time

    start = time.perf_counter()
    for _ in range(2000):
        translator.translate(vendor="Zaptec", vendor_error_code="4162", error_code="OtherError")
    per_lookup = (time.perf_counter() - start) / 2000
    assert per_lookup < 0.002  # generous for a shared 2-core machine; measured 0.08-0.15 ms

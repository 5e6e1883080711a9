"""ABB's Terra AC error register is a bitmask: each set bit is one condition, explained alone."""

from __future__ import annotations

import pytest

from translator import MemoryUnknownCodeStore, Severity, Translator, UnknownCodeRecorder


def test_two_known_bits_are_each_explained(translator: Translator) -> None:
    # 0x0006 = 0x0002 (residual current) + 0x0004 (earth missing / phases swapped).
    result = translator.translate(vendor="ABB", vendor_error_code="0x0006", error_code="OtherError")
    assert result.known and result.fault
    assert [m.code for m in result.meanings] == ["0x0002", "0x0004"]
    assert [m.received_as for m in result.meanings] == [
        "0x0006 bit 1 (0x0002)",
        "0x0006 bit 2 (0x0004)",
    ]
    assert [m.category.value for m in result.meanings] == ["residual_current", "grid"]
    assert all(m.explanation.strip() and m.action.strip() for m in result.meanings)
    assert result.severity is Severity.CRITICAL
    assert "Code 0x0006 is a bitmask: 2 conditions are reported at once." in result.notes
    assert result.unknown_codes == ()


@pytest.mark.parametrize("spelling", ["0x6", "0X0006", "0x00000006"])
def test_any_width_of_the_same_mask(translator: Translator, spelling: str) -> None:
    result = translator.translate(vendor="ABB", vendor_error_code=spelling)
    assert [m.code for m in result.meanings] == ["0x0002", "0x0004"]


def test_unknown_bits_are_named_beside_known_ones(translator: Translator) -> None:
    # 0x0100 and 0x0200 are not in ABB's register table; 0x2000 (phase missing) is.
    result = translator.translate(vendor="ABB", vendor_error_code="0x2300", language="fr")
    assert not result.known
    assert [m.code for m in result.meanings] == ["0x2000"]
    assert result.unknown_codes == ("0x2300 bit 8 (0x0100)", "0x2300 bit 9 (0x0200)")
    assert any("0x2300 bit 8 (0x0100), 0x2300 bit 9 (0x0200)" in note for note in result.notes)
    assert result.meanings[0].language == "fr"


def test_unknown_bits_are_recorded_bit_by_bit(translator: Translator) -> None:
    store = MemoryUnknownCodeStore()
    result = translator.translate(vendor="ABB", vendor_error_code="0x0102")
    assert UnknownCodeRecorder(store).record(result, "CP-1") == 1
    assert [(row.vendor, row.code) for row in store.list()] == [("ABB", "0x0102 bit 8 (0x0100)")]


def test_single_bits_and_zero_keep_their_own_entry(translator: Translator) -> None:
    single = translator.translate(vendor="ABB", vendor_error_code="0x4000")
    assert [m.received_as for m in single.meanings] == ["0x4000"]
    zero = translator.translate(vendor="ABB", vendor_error_code="0x0000", error_code="NoError")
    assert [m.code for m in zero.meanings] == ["0x0000"] and not zero.fault


def test_a_mask_wider_than_32_bits_is_not_split(translator: Translator) -> None:
    result = translator.translate(vendor="ABB", vendor_error_code="0x100000006")
    assert result.meanings == () and result.unknown_codes == ("0x100000006",)


def test_every_abb_register_entry_is_a_single_bit(translator: Translator) -> None:
    # Decoding bit by bit is only right if the table lists bits, never combinations.
    values = [
        int(code, 16) for code in translator.catalog.sets["abb"].entries if code.startswith("0x")
    ]
    assert len(values) == 13
    assert all(value == 0 or value & (value - 1) == 0 for value in values)

"""What the catalog takes from ../shared/reference/vendor_codes_2.csv, and what it leaves out."""

from __future__ import annotations

import csv
import re

import pytest
from pydantic import ValidationError

from tests.support.paths import REFERENCE
from translator import Severity, Translator
from translator.schema import Recovery

with (REFERENCE / "vendor_codes_2.csv").open(encoding="utf-8") as _handle:
    ROWS = list(csv.DictReader(_handle))
DELTA_ROWS = [
    r for r in ROWS if r["vendor"].startswith("Delta") and re.match(r"^EV0\d{3}$", r["code"])
]
# Values that are not OCPP vendorErrorCodes (vendor_codes_2.md): Modbus, cloud, API, LED, display.
NOT_OCPP_PREFIXES = (
    "cloud:", "api:", "modbus:", "state:", "localState:", "quasarState:", "connectorState:",
    "evState:", "ocppState:", "lastStopCause:", "errorword1:", "udp:", "led:", "display:",
)  # fmt: skip


def test_delta_rows_are_the_whole_ev0081_to_ev0126_range() -> None:
    assert [r["code"] for r in DELTA_ROWS] == [f"EV0{n:03d}" for n in range(81, 127)]


@pytest.mark.parametrize("row", DELTA_ROWS, ids=[r["code"] for r in DELTA_ROWS])
def test_delta_code_resolves_with_its_reference_facts(
    translator: Translator, row: dict[str, str]
) -> None:
    result = translator.translate(vendor="DELTA", vendor_error_code=row["code"], language="fr")
    assert result.known and result.vendor_set == "delta"
    (meaning,) = result.meanings
    assert meaning.severity.value == row["severity_guess"]
    assert meaning.category.value == {"rcd": "residual_current"}.get(
        row["category"], row["category"]
    )
    assert "https://github.com/Domfunkle/ev-charger-log-analyzer" in meaning.source
    assert "ACMAX-TG-002-EN" in meaning.source
    assert meaning.language == "fr"


def test_delta_over_current_as_seen_on_the_wire(translator: Translator) -> None:
    result = translator.translate(
        vendor="Delta Electronics", vendor_error_code="EV0082", error_code="OtherError",
        status="Faulted",
    )  # fmt: skip
    assert result.fault and result.severity is Severity.WARNING
    assert result.title == "Output over-current"
    assert "DIP switches" in result.meanings[0].cause


def test_delta_external_limit_is_information_not_a_fault(translator: Translator) -> None:
    result = translator.translate(vendor="Delta", vendor_error_code="EV0103")
    assert result.known and not result.fault and result.severity is Severity.INFO


@pytest.mark.parametrize(("code", "fault"), [("EV8081", "EV0081"), ("ev1124", "EV0124")])
def test_delta_recovery_code_means_the_fault_has_cleared(
    translator: Translator, code: str, fault: str
) -> None:
    result = translator.translate(vendor="Delta", vendor_error_code=code, error_code="NoError")
    assert result.known and not result.fault and result.severity is Severity.INFO
    assert [m.code for m in result.meanings] == [fault]
    assert result.title.startswith("Cleared: ")
    assert f"Code {code} is the recovery code of {fault}" in " ".join(result.notes)
    # Looked up alone (no errorCode, no status), a recovery code is still not a fault.
    assert not translator.translate(vendor="Delta", vendor_error_code=code).fault


def test_a_recovery_shape_without_a_known_fault_stays_unknown(translator: Translator) -> None:
    result = translator.translate(vendor="Delta", vendor_error_code="EV8999")
    assert not result.known and result.unknown_codes == ("EV8999",)


def test_recovery_codes_only_apply_to_their_vendor(translator: Translator) -> None:
    result = translator.translate(vendor="ABB", vendor_error_code="EV8081")
    assert not result.known


def test_recovery_pattern_needs_exactly_one_group() -> None:
    with pytest.raises(ValidationError, match="exactly one group"):
        Recovery(pattern="^EV[18][0-9]{3}$", fault="EV0{0}")


def test_ctek_code_seen_on_the_wire(translator: Translator) -> None:
    result = translator.translate(
        vendor_id="com.ctek", vendor_error_code="NoPPDetected", error_code="OtherError",
        status="Faulted",
    )  # fmt: skip
    assert result.known and result.vendor_set == "ctek"
    assert result.meanings[0].category.value == "cable"
    assert "https://github.com/lbbrhzn/ocpp/issues/1987" in result.meanings[0].source


def test_grizzl_e_zero_beside_no_error_is_nothing(translator: Translator) -> None:
    # vendorId "UC" with "0": the generic zero rule covers it; the catalog needs no set.
    result = translator.translate(vendor_id="UC", vendor_error_code="0", error_code="NoError")
    assert not result.fault and result.unknown_codes == ()


def test_schneider_zero_point_zero_beside_no_error_is_nothing(translator: Translator) -> None:
    result = translator.translate(
        vendor="Schneider Electric", vendor_error_code="0.0", error_code="NoError"
    )
    assert not result.fault and result.unknown_codes == ()
    # Beside a real error it is still reported, not hidden.
    faulted = translator.translate(
        vendor="Schneider Electric", vendor_error_code="0.0", error_code="OtherError"
    )
    assert faulted.fault and faulted.unknown_codes == ("0.0",)


def test_modbus_cloud_and_led_values_are_not_catalog_codes(translator: Translator) -> None:
    prefixed = [r["code"] for r in ROWS if r["code"].startswith(NOT_OCPP_PREFIXES)]
    assert len(prefixed) > 100  # guards the prefix list against a reference rewrite
    codes = [code for s in translator.catalog.sets.values() for code in s.entries]
    assert not [
        code for code in codes if code.startswith(tuple(p.casefold() for p in NOT_OCPP_PREFIXES))
    ]

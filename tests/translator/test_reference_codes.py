"""Every OCPP-delivered code of the shared reference resolves with its source's meaning."""

from __future__ import annotations

import csv
import re

import pytest

from tests.support.paths import REFERENCE
from translator import Translator

# Rows whose code is a Modbus register or a cloud value, not an OCPP vendorErrorCode
# (README: bit, last:, status:, chargerState:, grid:; Delta/Alpitronic states likewise).
NOT_OCPP = re.compile(r"^(bit\d|last:|status:|chargerState:|grid:|evseState:|stationState:)")
CSV_CATEGORIES = {"rcd": "residual_current"}
# How each reference vendor identifies itself on the wire, as the CSV's vendor_id column says.
WIRE_VENDOR = {
    "Alfen": ("Alfen BV", None, "alfen"),
    "ABB (Terra AC wallbox)": ("ABB", None, "abb"),
    "ABB (DC fast chargers)": (None, "com.abb.evci/event/v1", "abb"),
    "Zaptec (Go)": ("Zaptec", None, "zaptec"),
    "Easee": ("Easee", None, "easee"),
    "(cross-vendor) ChargeX MREC": ("Kempower", "https://chargex.inl.gov", "chargex_mrec"),
    "(cross-vendor) EVgo MREC": ("Tritium", "com.evgo.mrec", "evgo_mrec"),
    "(cross-vendor) CharIN/DIN DKE SPEC 99003 UEC": (None, "org.charin.uec.v1", "charin_uec"),
    "(platform) EVerest-based chargers": ("Pionix", "EVerest", "everest"),
    "(controller) Bender/ebee charge controller": ("ebee smart technologies", None, "bender_ebee"),
    "Legrand": ("Legrand", None, "legrand"),
    "EVBox": ("EV-BOX", None, "evbox"),
}
# Categories we deliberately changed after review: the fault is on the vehicle side.
REVIEWED_TO_VEHICLE = {
    ("chargex_mrec", "CX010"),
    ("evgo_mrec", "A003"),
    ("charin_uec", "EVShiftPosition"),
    ("charin_uec", "EVRESSMalfunction"),
    ("everest", "DiodeFault"),
    ("everest", "VentilationNotAvailable"),
    ("bender_ebee", "mode3Error|Vehicle signals error"),
}


# The reference cites GitHub files as "owner/repo path"; the catalog cites them by URL.
_URL = re.compile(r"https?://[^\s;]+")
_REPO_PATH = re.compile(r"^([\w-]+/[\w.-]+) [\w.-]+/")
# The reference names CharIN's repository by its folder, without the owner.
_REPOSITORIES = {"unified-error-codes/specification": "charinev/unified-error-codes"}


def _citations(reference_source: str) -> list[str]:
    """What the catalog's readable citation must still name: the reference's URLs and repos."""
    cited = _URL.findall(reference_source)
    for part in reference_source.split(" ; "):
        repo = _REPO_PATH.match(part.strip())
        if repo:
            name = _REPOSITORIES.get(repo.group(1), repo.group(1))
            cited.append(f"https://github.com/{name}")
    return cited


def _vendor_rows() -> list[dict[str, str]]:
    with (REFERENCE / "vendor_codes.csv").open(encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(handle) if not NOT_OCPP.match(row["code"])]
    return rows


VENDOR_ROWS = _vendor_rows()


def test_reference_has_the_rows_we_expect() -> None:
    # Guards the filter above: if the reference grows, this test says so.
    assert len(VENDOR_ROWS) == 218
    assert {row["vendor"] for row in VENDOR_ROWS} == set(WIRE_VENDOR)


@pytest.mark.parametrize(
    "row", VENDOR_ROWS, ids=[f"{r['vendor'][:12]}:{r['code'][:40]}" for r in VENDOR_ROWS]
)
def test_vendor_code_resolves_with_its_meaning(translator: Translator, row: dict[str, str]) -> None:
    vendor, vendor_id, set_id = WIRE_VENDOR[row["vendor"]]
    code = row["code"]
    bit = re.match(r"^(\d+) \(bit \d+\)$", code)
    if bit:
        code = bit.group(1)
    if set_id == "bender_ebee":
        error_code, _, info = code.partition("|")
        result = translator.translate(vendor=vendor, error_code=error_code, info=info)
    else:
        result = translator.translate(vendor=vendor, vendor_id=vendor_id, vendor_error_code=code)
    assert result.known, result.notes
    assert len(result.meanings) == 1
    meaning = result.meanings[0]
    assert meaning.set_id == set_id
    assert meaning.severity.value == row["severity_guess"]
    expected = CSV_CATEGORIES.get(row["category"], row["category"])
    if (set_id, row["code"]) in REVIEWED_TO_VEHICLE:
        expected = "vehicle"
    assert meaning.category.value == expected
    for cited in _citations(row["source_url_or_repo_path"]):
        assert cited in meaning.source
    for field in (meaning.title, meaning.explanation, meaning.cause, meaning.action):
        assert field.strip()


def _standard_rows() -> list[dict[str, str]]:
    with (REFERENCE / "ocpp_standard.csv").open(encoding="utf-8") as handle:
        return [
            row
            for row in csv.DictReader(handle)
            if row["message_field"]
            in ("StatusNotification.errorCode", "StatusNotification.errorCode (non-compliant)")
        ]


STANDARD_ROWS = _standard_rows()


def test_all_sixteen_error_codes_and_the_field_quirk() -> None:
    assert len(STANDARD_ROWS) == 17


@pytest.mark.parametrize("row", STANDARD_ROWS, ids=[r["value"] for r in STANDARD_ROWS])
def test_standard_error_code_resolves(translator: Translator, row: dict[str, str]) -> None:
    result = translator.translate(error_code=row["value"], language="fr")
    meaning = result.error_code_meaning
    assert meaning is not None
    assert meaning.language == "fr"
    assert meaning.severity.value == row["typical_severity"]
    assert meaning.category.value == CSV_CATEGORIES.get(row["category"], row["category"])
    assert result.fault is (row["value"] != "NoError")


@pytest.mark.parametrize(
    ("version", "status", "severity"),
    [
        ("1.6", "Available", "info"),
        ("1.6", "Preparing", "info"),
        ("1.6", "Charging", "info"),
        ("1.6", "SuspendedEVSE", "info"),
        ("1.6", "SuspendedEV", "info"),
        ("1.6", "Finishing", "info"),
        ("1.6", "Reserved", "info"),
        ("1.6", "Unavailable", "warning"),
        ("1.6", "Faulted", "critical"),
        ("2.0.1", "Occupied", "info"),
        ("2.0.1", "Faulted", "critical"),
    ],
)
def test_status_values(translator: Translator, version: str, status: str, severity: str) -> None:
    result = translator.translate(status=status, ocpp_version=version)
    assert result.status_meaning is not None
    assert result.status_meaning.severity.value == severity
    assert result.status_meaning.set_id == ("ocpp201" if version == "2.0.1" else "ocpp16")
    assert result.fault is (status == "Faulted")

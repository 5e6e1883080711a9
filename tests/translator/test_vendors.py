"""Vendor-name normalisation: aliases, spelling variants, wire strings, unknown vendors."""

from __future__ import annotations

import json

import pytest

from tests.support.paths import TRACES as FIXTURES
from translator import Translator

PRODUCT_VENDORS = {
    "Alpitronic": "alpitronic",
    "Delta": "delta",
    "Siemens": "siemens",
    "Kempower": "kempower",
    "Legrand": "legrand",
    "Schneider": "schneider",
    "Alfen": "alfen",
    "ABB": "abb",
    "Wallbox": "wallbox",
    "Tritium": "tritium",
    "EVBox": "evbox",
    "Easee": "easee",
    "Zaptec": "zaptec",
    "Ekoenergetyka": "ekoenergetyka",
}


def _all_aliases() -> list[tuple[str, str]]:
    catalog = Translator.load().catalog
    return [
        (code_set.id, alias) for code_set in catalog.sets.values() for alias in code_set.aliases
    ]


@pytest.mark.parametrize(("set_id", "alias"), _all_aliases())
def test_every_alias_resolves_in_any_spelling(
    translator: Translator, set_id: str, alias: str
) -> None:
    for spelling in (alias, alias.upper(), alias.lower(), f"  {alias}  ", alias.replace(" ", "  ")):
        found = translator.catalog.resolve_vendor(spelling)
        assert found is not None, spelling
        assert found.id == set_id


@pytest.mark.parametrize(("name", "set_id"), PRODUCT_VENDORS.items())
def test_every_product_vendor_has_a_file(translator: Translator, name: str, set_id: str) -> None:
    code_set = translator.catalog.resolve_vendor(name)
    assert code_set is not None
    assert code_set.id == set_id
    assert code_set.about_text("en") and code_set.about_text("fr")


@pytest.mark.parametrize(
    ("wire", "set_id"),
    [
        ("Alfen BV", "alfen"),
        ("Alfen N.V.", "alfen"),
        ("alpitronic GmbH", "alpitronic"),
        ("Delta Electronics", "delta"),
        ("DELTA", "delta"),
        ("Wall Box Chargers", "wallbox"),
        ("EV-BOX", "evbox"),
        ("Schneider Electric", "schneider"),
        ("ABB E-mobility B.V.", "abb"),
        ("com.abb.evci/event/v1", "abb"),
        ("https://chargex.inl.gov", "chargex_mrec"),
        ("com.evgo.mrec", "evgo_mrec"),
        ("org.charin.uec.v1", "charin_uec"),
        ("EVerest", "everest"),
    ],
)
def test_wire_strings(translator: Translator, wire: str, set_id: str) -> None:
    found = translator.catalog.resolve_vendor(wire)
    assert found is not None
    assert found.id == set_id


def test_boot_identities_from_real_chargers(translator: Translator) -> None:
    identities = json.loads((FIXTURES / "boot_identities.json").read_text())
    resolved = {
        i["chargePointVendor"]: getattr(
            translator.catalog.resolve_vendor(i["chargePointVendor"]), "id", None
        )
        for i in identities
    }
    assert resolved["Alfen BV"] == "alfen"
    assert resolved["Wall Box Chargers"] == "wallbox"
    # Brands without a catalog file stay unknown rather than matching something wrong.
    assert resolved["United Chargers"] is None
    assert resolved["Heliox"] is None
    assert resolved["Autel"] is None


def test_vendors_without_public_list_say_so(translator: Translator) -> None:
    result = translator.translate(vendor="Kempower Oy", vendor_error_code="E123")
    assert result.vendor_set == "kempower"
    assert not result.known
    assert result.unknown_codes == ("E123",)
    assert any("publishes no code list" in note for note in result.notes)


def test_first_word_rule_only_for_brands(translator: Translator) -> None:
    assert translator.catalog.resolve_vendor("OCPP Simulator") is None
    assert translator.catalog.resolve_vendor("OCPP") is not None  # the explicit alias works
    found = translator.catalog.resolve_vendor("Zaptec Charger AS Norway")
    assert found is not None and found.id == "zaptec"

"""Operator tables: validated row by row, merged into the overlay, loaded by the lookup."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from translator import TableImportError, Translator, import_table
from translator.catalog import SHIPPED_ROOT

CSV_TABLE = """\
code;severity;category;title;explanation;cause;action;responsible
E101;critical;Power Module;Power stage fault;A power stage failed.;IGBT;Replace module;charger
E205;warning;cooling;Coolant low;Coolant level is low.;Leak;Top up and look for the leak;
"""


def _digest(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.yaml")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def test_csv_import_is_looked_up(tmp_path: Path, translator: Translator) -> None:
    shipped_before = _digest(SHIPPED_ROOT)
    table = tmp_path / "kempower.csv"
    table.write_text(CSV_TABLE)
    overlay = tmp_path / "overlay"
    result = import_table(table, "Kempower Oy", overlay, translator.catalog)
    assert (result.set_id, result.added, result.replaced, result.new_set) == (
        "kempower",
        2,
        0,
        False,
    )
    assert _digest(SHIPPED_ROOT) == shipped_before
    with_overlay = Translator.load([overlay])
    found = with_overlay.translate(vendor="KEMPOWER", vendor_error_code="e101", language="fr")
    assert found.known
    assert found.meanings[0].category.value == "power_module"
    assert found.meanings[0].title == "Power stage fault"  # only English given: fallback
    assert found.meanings[0].source == "operator table kempower.csv"


def test_yaml_import_new_vendor_and_replacing(tmp_path: Path, translator: Translator) -> None:
    overlay = tmp_path / "overlay"
    table = tmp_path / "acme.yaml"
    table.write_text(
        "entries:\n"
        "  - {code: A1, severity: info, category: other, title: Idle, explanation: Nothing.,"
        " cause: None., action: Nothing., lang: fr}\n"
    )
    first = import_table(table, "Acme Volt", overlay, translator.catalog)
    assert first.new_set and first.set_id == "acme_volt"
    looked_up = Translator.load([overlay]).translate(vendor="acme volt", vendor_error_code="A1")
    assert looked_up.meanings[0].language == "fr"
    # Re-importing the shipped Alfen 210 with new facts replaces it, shipped file untouched.
    table.write_text(
        "- code: '210'\n  severity: critical\n  category: grid\n  title: Meter gone\n"
        "  explanation: Our site meter is down.\n  cause: Meter\n  action: Call the electrician\n"
    )
    second = import_table(table, "Alfen BV", overlay, Translator.load([overlay]).catalog)
    assert (second.set_id, second.replaced) == ("alfen", 1)
    merged = Translator.load([overlay])
    alfen = merged.translate(vendor="Alfen", vendor_error_code="210", language="fr")
    assert alfen.meanings[0].title == "Meter gone"  # the French shipped words were dropped
    assert alfen.meanings[0].severity.value == "critical"
    assert merged.translate(vendor="Alfen", vendor_error_code="101").known


def test_errors_name_file_line_and_field(tmp_path: Path, translator: Translator) -> None:
    table = tmp_path / "bad.csv"
    table.write_text(
        "code,severity,category,title,explanation,cause,action\n"
        "E1,high,cooling,T,E,C,A\n"
        "E2,warning,plumbing,T,E,C,A\n"
        "E3,warning,cooling,,E,C,A\n"
        "E1,info,cooling,T,E,C,A\n"
    )
    overlay = tmp_path / "overlay"
    with pytest.raises(TableImportError) as caught:
        import_table(table, "Tritium", overlay, translator.catalog)
    problems = caught.value.problems
    assert problems[0] == (
        f"{table}:2: severity: Input should be 'critical', 'warning' or 'info' (got 'high')"
    )
    assert problems[1].startswith(f"{table}:3: category: Input should be 'grid'")
    assert problems[1].endswith("(got 'plumbing')")
    assert problems[2] == f"{table}:4: title: required, but empty or missing"
    assert len(problems) == 3  # line 5 repeats E1, but line 2 was already rejected
    assert not overlay.exists()  # nothing half-imported


def test_duplicate_rows_and_unknown_columns(tmp_path: Path, translator: Translator) -> None:
    table = tmp_path / "dup.csv"
    table.write_text(
        "code,severity,category,title,explanation,cause,action\nE1,info,other,T,E,C,A\ne1,info,other,T,E,C,A\n"
    )
    with pytest.raises(TableImportError, match=rf"{table}:3: code: 'e1' already on line 2"):
        import_table(table, "Tritium", tmp_path / "o", translator.catalog)
    table.write_text("code,severity,colour\n")
    with pytest.raises(TableImportError, match=rf"{table}:1: unknown column 'colour'"):
        import_table(table, "Tritium", tmp_path / "o", translator.catalog)


def test_yaml_errors_point_at_the_value(tmp_path: Path, translator: Translator) -> None:
    table = tmp_path / "bad.yaml"
    table.write_text(
        "- code: X1\n  severity: info\n  category: other\n  title: T\n  explanation: E\n"
        "  cause: C\n  action: A\n  responsible: nobody\n"
    )
    with pytest.raises(TableImportError) as caught:
        import_table(table, "Siemens", tmp_path / "o", translator.catalog)
    assert caught.value.problems[0].startswith(f"{table}:8: responsible: Input should be")

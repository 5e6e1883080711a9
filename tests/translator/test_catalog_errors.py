"""A broken catalog file fails with its path, line and what is wrong."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from translator import CatalogError, load_catalog
from translator.catalog import SHIPPED_ROOT


@pytest.fixture
def root(tmp_path: Path) -> Path:
    copy = tmp_path / "catalog"
    shutil.copytree(SHIPPED_ROOT, copy)
    return copy


def _problems(root: Path) -> list[str]:
    with pytest.raises(CatalogError) as caught:
        load_catalog(shipped=root)
    return caught.value.problems


def _line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def test_bad_severity_names_file_line_and_field(root: Path) -> None:
    path = root / "codes" / "alfen.yaml"
    text = path.read_text()
    path.write_text(text.replace("severity: warning", "severity: urgent", 1))
    line = _line_of(path, "severity: urgent")
    problems = _problems(root)
    assert len(problems) == 1
    assert problems[0].startswith(f"{path}:{line}: entries[")
    assert ".severity: Input should be 'critical', 'warning' or 'info'" in problems[0]


def test_unknown_field_and_missing_text(root: Path) -> None:
    path = root / "text" / "fr" / "zaptec.yaml"
    path.write_text(
        path.read_text().replace("    cause: Joint endommagé", "    cuase: Joint endommagé")
    )
    line = _line_of(path, "cuase:")
    problems = _problems(root)
    assert f"{path}:{line}: entries.1.cuase: Extra inputs are not permitted" in problems
    assert any(
        p.startswith(f"{path}:") and "entries.1.cause: Field required" in p for p in problems
    )


def test_invalid_yaml_names_line(root: Path) -> None:
    path = root / "text" / "en" / "abb.yaml"
    path.write_text(path.read_text().replace("title: Wallbox too hot", "title: [unclosed"))
    problems = _problems(root)
    assert len(problems) == 1
    assert problems[0].startswith(f"{path}:")
    assert "invalid YAML" in problems[0]


def test_text_for_a_code_that_does_not_exist(root: Path) -> None:
    path = root / "text" / "en" / "legrand.yaml"
    path.write_text(
        path.read_text()
        + "  Bogus:\n    title: t\n    explanation: e\n    cause: c\n    action: a\n"
    )
    line = _line_of(path, "Bogus:")
    assert _problems(root) == [f"{path}:{line + 1}: entries.Bogus: code not in set 'legrand'"]


def test_code_without_english_text(root: Path) -> None:
    path = root / "codes" / "legrand.yaml"
    path.write_text(
        path.read_text()
        + "- code: E99\n  severity: info\n  category: other\n  responsible: charger\n"
        "  source: test\n"
    )
    problems = _problems(root)
    assert problems == [f"{root}/text/en/legrand.yaml: entries.E99: no text in 'en'"]


def test_duplicate_code_after_normalisation(root: Path) -> None:
    path = root / "codes" / "abb.yaml"
    path.write_text(path.read_text().replace("code: '0x0004'", "code: '0x2'"))
    line = _line_of(path, "code: '0x2'")
    problems = _problems(root)
    assert any(
        p.startswith(f"{path}:{line}: entries[1].code: duplicate code '0x2'") for p in problems
    )


def test_set_must_match_file_name_and_alias_clash(root: Path) -> None:
    path = root / "codes" / "tritium.yaml"
    path.write_text(path.read_text().replace("- Tritium DCFC", "- Kempower Oy"))
    problems = _problems(root)
    assert len(problems) == 1
    assert problems[0] in (
        f"{root / 'codes' / 'tritium.yaml'}: aliases: 'Kempower Oy' of set 'tritium' is "
        "already used by set 'kempower'",
        f"{root / 'codes' / 'kempower.yaml'}: aliases: 'Kempower Oy' of set 'kempower' is "
        "already used by set 'tritium'",
    )
    (root / "codes" / "kempower.yaml").write_text(
        (root / "codes" / "kempower.yaml").read_text().replace("set: kempower", "set: kemp")
    )
    line = _line_of(root / "codes" / "kempower.yaml", "set: kemp")
    assert _problems(root) == [
        f"{root / 'codes' / 'kempower.yaml'}:{line}: set: 'kemp' must match the file name "
        "'kempower'"
    ]

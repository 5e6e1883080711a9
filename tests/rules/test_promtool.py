"""The rule files pass ``promtool check rules`` and every promtool unit test file passes."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.rules.conftest import RULE_TEST_FILES, RULES_DIR
from tests.support.procs import require_binary

RULE_FILES = sorted(RULES_DIR.glob("*.yml"))


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [require_binary("promtool"), *args], capture_output=True, text=True, timeout=120
    )


def test_rule_files_exist() -> None:
    assert [path.name for path in RULE_FILES] == [
        "availability.yml",
        "detection.yml",
        "meta.yml",
        "upstream.yml",
    ]
    assert len(RULE_TEST_FILES) >= 6


def test_check_rules() -> None:
    result = _promtool("check", "rules", *map(str, RULE_FILES))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("test_file", RULE_TEST_FILES, ids=lambda path: path.name)
def test_promtool_unit_tests(test_file: Path) -> None:
    result = _promtool("test", "rules", str(test_file))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout

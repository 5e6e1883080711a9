"""Paths shared by the rules tests."""

from __future__ import annotations

from pathlib import Path

RULES_DIR = Path(__file__).resolve().parents[2] / "rules"
RULE_TEST_FILES = sorted((RULES_DIR / "tests").glob("*_test.yml"))

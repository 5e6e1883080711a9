"""exporter.limits: charger text through the one sanitiser, and a log a charger cannot flood."""

from __future__ import annotations

import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chargekeeper.untrusted import MAX_CODE, clean
from exporter.limits import LimitedLog, name, text
from tests.support.fakes import ManualClock


@given(st.text(), st.integers(min_value=2, max_value=40))
def test_text_is_exactly_the_sanitiser_s_answer(value: str, limit: int) -> None:
    # The ASCII shortcut must never let through what clean() would change.
    assert text(value, limit) == (clean(value, limit) or "")
    assert name(value) == name(value) == (clean(value, MAX_CODE) or "")  # memoised alike


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("E12", "E12"),
        ("", ""),
        ("  padded ", "padded"),
        ("\x1b[31mred\x07", "\ufffd[31mred\ufffd"),
        ("\u202egpj.exe", "\ufffdgpj.exe"),
        ("x" * 12, "x" * 9 + "…"),
    ],
)
def test_text_examples(value: str, expected: str) -> None:
    assert text(value, 10) == expected


def test_the_log_lets_20_warnings_a_minute_through_then_sums_up(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = ManualClock(1000.0)
    limited = LimitedLog(clock)
    with caplog.at_level(logging.WARNING, "exporter.limits"):
        for index in range(25):
            limited.warning("warning %d", index)
        assert len(caplog.records) == 20
        clock.advance(60)
        limited.warning("later")
    assert caplog.records[-1].getMessage() == "later (5 similar warnings suppressed)"

"""rank_by_manufacturer: whose code table to import first."""

from __future__ import annotations

from datetime import UTC, datetime

from translator import MemoryUnknownCodeStore, rank_by_manufacturer
from translator.unknown import MAX_CHARGERS_LISTED

T0 = datetime(2026, 12, 1, tzinfo=UTC)


def test_distinct_chargers_first_then_occurrences() -> None:
    store = MemoryUnknownCodeStore()
    for _ in range(100):
        store.add("Noisy", "N1", None, "CP-1", T0)  # one charger repeating itself
    store.add("Wide", "W1", None, "CP-1", T0)
    store.add("Wide", "W2", None, "CP-2", T0)
    store.add("Wide", "W2", None, "CP-1", T0)  # CP-1 again: still 2 distinct chargers
    store.add("Tied", "T1", None, "CP-7", T0)
    store.add("Tied", "T1", None, "CP-8", T0)
    store.add("Tied", "T1", None, "CP-8", T0)
    store.add("Tied", "T1", None, "CP-8", T0)
    gaps = rank_by_manufacturer(store.list())
    assert [(g.vendor, g.chargers, g.occurrences) for g in gaps] == [
        ("Tied", 2, 4),  # same reach as Wide, more occurrences
        ("Wide", 2, 3),
        ("Noisy", 1, 100),
    ]
    assert all(g.chargers_exact for g in gaps)
    wide = gaps[1]
    assert [c.code for c in wide.codes] == ["W2", "W1"]  # 2 chargers before 1


def test_more_chargers_than_listed_gives_a_lower_bound() -> None:
    store = MemoryUnknownCodeStore()
    for number in range(MAX_CHARGERS_LISTED + 5):
        store.add("Fleet", "F1", None, f"CP-{number}", T0)
    store.add("Fleet", "F2", None, "CP-extra", T0)
    (gap,) = rank_by_manufacturer(store.list())
    assert not gap.chargers_exact
    assert gap.chargers == MAX_CHARGERS_LISTED + 5  # F1 alone; CP-extra may be one of its unlisted
    assert gap.occurrences == MAX_CHARGERS_LISTED + 6


def test_nothing_unknown_is_an_empty_ranking() -> None:
    assert rank_by_manufacturer([]) == []

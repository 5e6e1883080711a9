"""Unknown codes are recorded: how often, first and last seen, which chargers."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from translator import (
    MemoryUnknownCodeStore,
    SqliteUnknownCodeStore,
    Translator,
    UnknownCodeRecorder,
    UnknownCodeStore,
)

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> UnknownCodeStore:
    if request.param == "memory":
        return MemoryUnknownCodeStore()
    return SqliteUnknownCodeStore(tmp_path / "state" / "unknown.sqlite3")


def test_counts_first_last_and_chargers(translator: Translator, store: UnknownCodeStore) -> None:
    recorder = UnknownCodeRecorder(store)
    unknown = translator.translate(
        vendor="ABB", vendor_error_code="0x0001", error_code="OtherError"
    )
    known = translator.translate(
        vendor="ABB", vendor_error_code="0x0002", error_code="GroundFailure"
    )
    assert recorder.record(unknown, "CP-2", at=T0 + timedelta(minutes=5)) == 1
    assert recorder.record(unknown, "CP-1", at=T0) == 1
    assert recorder.record(unknown, "CP-2", at=T0 + timedelta(hours=1)) == 1
    assert recorder.record(known, "CP-1", at=T0) == 0
    [row] = store.list()
    assert (row.vendor, row.code, row.error_code) == ("ABB", "0x0001", "OtherError")
    assert row.count == 3
    assert row.first_seen == T0
    assert row.last_seen == T0 + timedelta(hours=1)
    assert row.chargers == ("CP-2", "CP-1")  # most recently seen first
    assert row.charger_count == 2


def test_unknown_vendor_and_unknown_bits(translator: Translator, store: UnknownCodeStore) -> None:
    recorder = UnknownCodeRecorder(store, clock=lambda: T0)
    recorder.record(translator.translate(vendor="Acme", vendor_error_code="E7"), "CP-9")
    recorder.record(translator.translate(vendor="Zaptec", vendor_error_code="20480"), "CP-9")
    rows = {(r.vendor, r.code) for r in store.list()}
    assert rows == {("Acme", "E7"), ("Zaptec", "20480 bit 14")}


def test_sqlite_survives_reopen_and_threads(translator: Translator, tmp_path: Path) -> None:
    path = tmp_path / "unknown.sqlite3"
    unknown = translator.translate(vendor="Kempower", vendor_error_code="E1")
    first = SqliteUnknownCodeStore(path)
    recorder = UnknownCodeRecorder(first, clock=lambda: T0)

    def hammer(charger: str) -> None:
        for _ in range(25):
            recorder.record(unknown, charger)

    threads = [threading.Thread(target=hammer, args=(f"CP-{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    first.close()
    reopened = SqliteUnknownCodeStore(path)
    [row] = reopened.list()
    reopened.close()
    assert row.count == 100
    assert row.charger_count == 4

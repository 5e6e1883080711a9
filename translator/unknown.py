"""Record codes the catalog does not know yet, so operators can get them documented.

The receiver calls :meth:`UnknownCodeRecorder.record` with every translation; only
translations with unknown codes are stored. Per (vendor, code) the store keeps how often it was
seen, when first and last, and per charger the same, so ``chargekeeper translate unknown`` can
say which chargers to look at. The store is an interface: SQLite (stdlib ``sqlite3``) in the
state directory by default, an in-memory one for tests and tools.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from chargekeeper.untrusted import MAX_CODE, MAX_VENDOR, clean
from translator.result import Translation

UNKNOWN_VENDOR = "(unknown vendor)"
# Per code, keep the chargers most recently seen; a fleet-wide code does not need 10,000 rows
# in a terminal listing, and the count still says how widespread it is.
MAX_CHARGERS_LISTED = 20


@dataclass(frozen=True)
class UnknownCode:
    """One code the catalog does not know, as seen across the fleet."""

    vendor: str
    code: str
    error_code: str | None
    count: int
    first_seen: datetime
    last_seen: datetime
    chargers: tuple[str, ...]
    charger_count: int


class UnknownCodeStore(Protocol):
    """Where sightings go. Implementations must be safe to call from several threads."""

    def add(
        self, vendor: str, code: str, error_code: str | None, charge_point_id: str, at: datetime
    ) -> None: ...

    def list(self) -> list[UnknownCode]: ...


@dataclass
class _Row:
    error_code: str | None
    count: int
    first_seen: datetime
    last_seen: datetime
    chargers: dict[str, datetime] = field(default_factory=dict)


class MemoryUnknownCodeStore:
    """Keeps sightings in a dictionary: for tests and one-off tools."""

    def __init__(self) -> None:
        self._rows: dict[tuple[str, str], _Row] = {}
        self._lock = threading.Lock()

    def add(
        self, vendor: str, code: str, error_code: str | None, charge_point_id: str, at: datetime
    ) -> None:
        with self._lock:
            row = self._rows.get((vendor, code))
            if row is None:
                row = self._rows[(vendor, code)] = _Row(error_code, 0, at, at)
            row.count += 1
            row.first_seen = min(row.first_seen, at)
            row.last_seen = max(row.last_seen, at)
            row.error_code = error_code or row.error_code
            row.chargers[charge_point_id] = max(at, row.chargers.get(charge_point_id, at))

    def list(self) -> list[UnknownCode]:
        with self._lock:
            return _sorted(
                UnknownCode(
                    vendor=vendor,
                    code=code,
                    error_code=row.error_code,
                    count=row.count,
                    first_seen=row.first_seen,
                    last_seen=row.last_seen,
                    chargers=tuple(
                        sorted(row.chargers, key=lambda c: row.chargers[c], reverse=True)[
                            :MAX_CHARGERS_LISTED
                        ]
                    ),
                    charger_count=len(row.chargers),
                )
                for (vendor, code), row in self._rows.items()
            )


_SCHEMA = """
CREATE TABLE IF NOT EXISTS unknown_code (
    vendor TEXT NOT NULL,
    code TEXT NOT NULL,
    error_code TEXT,
    count INTEGER NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    PRIMARY KEY (vendor, code)
);
CREATE TABLE IF NOT EXISTS unknown_code_charger (
    vendor TEXT NOT NULL,
    code TEXT NOT NULL,
    charge_point_id TEXT NOT NULL,
    count INTEGER NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    PRIMARY KEY (vendor, code, charge_point_id)
);
"""

_UPSERT_CODE = """
INSERT INTO unknown_code (vendor, code, error_code, count, first_seen, last_seen)
VALUES (?, ?, ?, 1, ?, ?)
ON CONFLICT (vendor, code) DO UPDATE SET
    count = count + 1,
    error_code = COALESCE(excluded.error_code, error_code),
    first_seen = MIN(first_seen, excluded.first_seen),
    last_seen = MAX(last_seen, excluded.last_seen)
"""

_UPSERT_CHARGER = """
INSERT INTO unknown_code_charger (vendor, code, charge_point_id, count, first_seen, last_seen)
VALUES (?, ?, ?, 1, ?, ?)
ON CONFLICT (vendor, code, charge_point_id) DO UPDATE SET
    count = count + 1,
    first_seen = MIN(first_seen, excluded.first_seen),
    last_seen = MAX(last_seen, excluded.last_seen)
"""


class SqliteUnknownCodeStore:
    """Sightings in a SQLite file, so they survive restarts and several processes can write.

    Timestamps are stored as UTC ISO 8601 text, which sorts (and MIN/MAX) correctly.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, timeout=10)
        with self._lock, self._db:
            # WAL lets the CLI read while the receiver writes; NORMAL sync is durable across
            # process crashes and keeps a sighting's commit well under a millisecond.
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def add(
        self, vendor: str, code: str, error_code: str | None, charge_point_id: str, at: datetime
    ) -> None:
        stamp = _utc(at).isoformat()
        with self._lock, self._db:
            self._db.execute(_UPSERT_CODE, (vendor, code, error_code, stamp, stamp))
            self._db.execute(_UPSERT_CHARGER, (vendor, code, charge_point_id, stamp, stamp))

    def list(self) -> list[UnknownCode]:
        with self._lock:
            codes = self._db.execute(
                "SELECT vendor, code, error_code, count, first_seen, last_seen FROM unknown_code"
            ).fetchall()
            chargers = self._db.execute(
                "SELECT vendor, code, charge_point_id FROM unknown_code_charger "
                "ORDER BY last_seen DESC, charge_point_id"
            ).fetchall()
        by_code: dict[tuple[str, str], list[str]] = {}
        for vendor, code, charge_point_id in chargers:
            by_code.setdefault((vendor, code), []).append(charge_point_id)
        return _sorted(
            UnknownCode(
                vendor=vendor,
                code=code,
                error_code=error_code,
                count=count,
                first_seen=datetime.fromisoformat(first),
                last_seen=datetime.fromisoformat(last),
                chargers=tuple(by_code.get((vendor, code), [])[:MAX_CHARGERS_LISTED]),
                charger_count=len(by_code.get((vendor, code), [])),
            )
            for vendor, code, error_code, count, first, last in codes
        )


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _sorted(codes: Iterable[UnknownCode]) -> list[UnknownCode]:
    return sorted(codes, key=lambda c: (-c.count, c.vendor, c.code))


class UnknownCodeRecorder:
    """Turns translations into sightings. ``clock`` is injectable so tests fix the time."""

    def __init__(
        self, store: UnknownCodeStore, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self.store = store
        self.clock = clock

    def record(
        self, translation: Translation, charge_point_id: str, at: datetime | None = None
    ) -> int:
        """Store each unknown code of ``translation``; return how many were stored."""
        if not translation.unknown_codes:
            return 0
        vendor = translation.vendor_name or translation.received.vendor or UNKNOWN_VENDOR
        charger = clean(charge_point_id, MAX_VENDOR) or "(unnamed)"
        moment = _utc(at or self.clock())
        for code in translation.unknown_codes:
            self.store.add(
                clean(vendor, MAX_VENDOR) or UNKNOWN_VENDOR,
                clean(code, MAX_CODE) or "",
                translation.received.error_code,
                charger,
                moment,
            )
        return len(translation.unknown_codes)


def default_store_path(state_dir: Path) -> Path:
    return state_dir / "translator" / "unknown_codes.sqlite3"


def store_candidates(state_dir: Path) -> list[Path]:
    """Where a store under ``state_dir`` may be, in order: ``state_dir`` is the receiver's own
    (``chargekeeper receiver --state-dir``) or the whole stack's (``chargekeeper up
    --state-dir``, whose receiver keeps its state in ``receiver/``)."""
    return [default_store_path(state_dir), default_store_path(state_dir / "receiver")]


def find_store_path(state_dir: Path) -> Path | None:
    """The first of :func:`store_candidates` that exists, or None."""
    return next((path for path in store_candidates(state_dir) if path.is_file()), None)

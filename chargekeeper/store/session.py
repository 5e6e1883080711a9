"""Engine and session setup: SQLite by default (WAL, so the webhook's writes never wait long),
PostgreSQL supported; the schema is Alembic's (``chargekeeper.store.migrations``)."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from chargekeeper.store import migrations


def sqlite_url(path: Path) -> str:
    """The SQLAlchemy URL of a SQLite file."""
    return f"sqlite+pysqlite:///{path}"


# How long a SQLite connection waits for another's lock before "database is locked".
SQLITE_BUSY_SECONDS = 5.0


def _switch_to_wal(cursor: sqlite3.Cursor) -> None:
    """``journal_mode=WAL``, waiting for the lock it takes on a database not in WAL yet.

    SQLite does not call the busy handler there: processes opening a new database together
    (every receiver and console start migrates it) got "database is locked" at once.
    """
    deadline = time.monotonic() + SQLITE_BUSY_SECONDS
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_SECONDS * 1000)}")
    # WAL lets the outbox worker read while the webhook writes. FULL sync makes a webhook the
    # receiver answered 200 survive a power cut, not only a killed process: Alertmanager will
    # not send it again. Concurrent webhooks share one commit (alertmanager/groupcommit.py),
    # so the fsync per commit is paid once per batch.
    _switch_to_wal(cursor)
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _postgresql_utc(dbapi_connection: Any, _record: Any) -> None:
    # Timestamps come back in the session's time zone: UTC, like everything the store holds
    # and like SQLite's. Committed, because a SET in a transaction rolled back is undone.
    cursor = dbapi_connection.cursor()
    cursor.execute("SET TIME ZONE 'UTC'")
    cursor.close()
    dbapi_connection.commit()


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite and PostgreSQL connections get the settings above."""
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    elif engine.dialect.name == "postgresql":
        event.listen(engine, "connect", _postgresql_utc)
    return engine


def create_schema(engine: Engine) -> None:
    """Bring the database to the newest schema: Alembic's upgrade to head, under a lock.

    Safe to call at every start and from processes starting together; a database made by
    the releases before migrations is adopted (see ``chargekeeper.store.migrations``).
    """
    migrations.upgrade(engine)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit (the API serialises them then)."""
    return sessionmaker(engine, expire_on_commit=False)

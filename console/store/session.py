"""Engine and session setup: SQLite by default (WAL, so the webhook's writes never wait long),
PostgreSQL supported; the schema is Alembic's (``console.store.migrations``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from console.store import migrations


def sqlite_url(path: Path) -> str:
    """The SQLAlchemy URL of a SQLite file."""
    return f"sqlite+pysqlite:///{path}"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the outbox worker read while the webhook writes. FULL sync makes a webhook the
    # receiver answered 200 survive a power cut, not only a killed process: Alertmanager will
    # not send it again. Concurrent webhooks share one commit (alertmanager/groupcommit.py),
    # so the fsync per commit is paid once per batch.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
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
    the releases before migrations is adopted (see ``console.store.migrations``).
    """
    migrations.upgrade(engine)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit (the API serialises them then)."""
    return sessionmaker(engine, expire_on_commit=False)

"""The store's Alembic migrations, run by the application itself (no alembic.ini needed).

:func:`upgrade` brings a database to the newest revision under a lock, so processes starting
together on one database (receiver, console, tests) take turns: the first one migrates, the
others find the database at head and do nothing. The lock is PostgreSQL's advisory lock or
SQLite's write lock (``BEGIN IMMEDIATE``), held by the transaction the upgrade runs in.

On SQLite the upgrade runs with foreign-key enforcement off, as SQLite's own procedure for
schema changes asks: a revision that rebuilds a table (batch mode: copy, drop, rename) could
not drop the old copy of a table other tables refer to. ``PRAGMA foreign_key_check`` runs
before the commit instead, so a revision that broke a reference fails and changes nothing.

A database made before migrations (tables but no ``alembic_version``) is adopted: the baseline
revision creates only the tables it lacks, and the result is compared with the models; a
difference stops the start with what differs rather than letting queries fail later.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import Connection, Engine, MetaData, inspect, text

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent
VERSION_TABLE = "alembic_version"
# Any fixed number: the key of the PostgreSQL advisory lock that serialises upgrades.
UPGRADE_LOCK_KEY = 7_106_253_004_818_431_001


class SchemaMismatchError(RuntimeError):
    """An adopted pre-migration database does not have the schema the code expects."""


def target_metadata() -> MetaData:
    """Every table of the store (the receiver's and the console's)."""
    # Imported here: chargekeeper.store's package imports this module through session.py.
    from chargekeeper.store import Base

    return Base.metadata


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic configuration for the migrations shipped in this package."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine) -> None:
    """Bring the database behind ``engine`` to the newest revision (a no-op when it is)."""
    with engine.connect() as connection, sqlite_foreign_keys_off(connection):
        take_upgrade_lock(connection)
        tables = set(inspect(connection).get_table_names())
        adopting = VERSION_TABLE not in tables and bool(tables & set(target_metadata().tables))
        if adopting:
            log.warning(
                "adopting a store made before migrations (%s): creating the missing tables",
                engine.url.render_as_string(hide_password=True),
            )
        command.upgrade(alembic_config(connection), "head")
        if adopting:
            _check_matches_models(connection)
        check_foreign_keys(connection)
        connection.commit()


@contextlib.contextmanager
def sqlite_foreign_keys_off(connection: Connection) -> Iterator[None]:
    """SQLite's foreign-key enforcement off while the block runs (no-op on other engines).

    The pragma only takes effect outside a transaction: call this before the block begins
    one, and end with :func:`check_foreign_keys` before committing. The connection gets its
    enforcement back afterwards, its transaction ended first.
    """
    if connection.dialect.name != "sqlite":
        yield
        return
    connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        connection.rollback()  # nothing after a commit; otherwise the pragma would be ignored
        connection.exec_driver_sql("PRAGMA foreign_keys=ON")


def check_foreign_keys(connection: Connection) -> None:
    """Raise if a row refers to a missing one (SQLite, when its enforcement was off)."""
    if connection.dialect.name != "sqlite":
        return
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
    if broken:
        listed = ", ".join(f"{table} row {rowid} -> {parent}" for table, rowid, parent, _ in broken)
        raise SchemaMismatchError(f"the migration left broken foreign keys: {listed}")


def take_upgrade_lock(connection: Connection) -> None:
    """Start the upgrade's transaction holding the database-wide upgrade lock."""
    dialect = connection.dialect.name
    if dialect == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": UPGRADE_LOCK_KEY})
    elif dialect == "sqlite":
        # pysqlite would begin lazily, at the first write; take the write lock now (waiting
        # for it up to the connection's busy_timeout).
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _check_matches_models(connection: Connection) -> None:
    differences = compare_metadata(MigrationContext.configure(connection), target_metadata())
    if differences:
        listed = "\n".join(f"  {_describe(difference)}" for difference in differences)
        raise SchemaMismatchError(
            "the existing database was made before migrations and its tables differ from "
            f"this version's schema:\n{listed}\n"
            "Nothing was changed. Migrate it by hand to match, or start from a new database."
        )


def _describe(difference: Any) -> str:
    """One autogenerate difference in words: ``add_column alerts fingerprint``."""
    if isinstance(difference, list):  # the modify_* changes of one column come grouped
        return "; ".join(_describe(item) for item in difference)
    words = []
    for part in difference:
        if isinstance(part, str):
            words.append(part)
        elif hasattr(part, "name") and isinstance(part.name, str):
            words.append(part.name)
        elif part is not None and not isinstance(part, dict):
            words.append(repr(part))
    return " ".join(words)

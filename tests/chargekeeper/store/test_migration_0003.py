"""Revision 0003 (console login sessions, canonical user names) on SQLite and on PostgreSQL.

A database at revision 0002 with users named as its console stored them upgrades to the models'
schema with every name in canonical form; two names that fold together stop the upgrade with
both names and leave the database at 0002; downgrade removes only the new table.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import Engine, text

from chargekeeper.store import LoginSession, create_schema
from chargekeeper.store.migrations import alembic_config, sqlite_foreign_keys_off
from tests.chargekeeper.store.test_migrations import differences, revision_of, user_tables

AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
FULL_WIDTH_BOB = "".join(chr(ord(ch) + 0xFEE0) for ch in "bob")


def at_0002_with_users(engine: Engine, *names: str) -> None:
    # As create_schema runs revisions: 0002 rebuilds SQLite tables with foreign keys off.
    with engine.connect() as connection, sqlite_foreign_keys_off(connection):
        command.upgrade(alembic_config(connection), "0002")
        connection.commit()
    with engine.begin() as connection:
        for name in names:
            connection.execute(
                text(
                    "INSERT INTO console_users (username, password_hash, role, created_at)"
                    " VALUES (:name, 'hash', 'viewer', :at)"
                ),
                {"name": name, "at": AT},
            )


def usernames(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return list(connection.scalars(text("SELECT username FROM console_users ORDER BY id")))


def test_upgrade_adds_login_sessions_and_canonical_names(store_engine: Engine) -> None:
    at_0002_with_users(store_engine, "Alice", FULL_WIDTH_BOB, "carol")
    create_schema(store_engine)
    assert revision_of(store_engine) == "0003"
    assert differences(store_engine) == []
    assert usernames(store_engine) == ["alice", "bob", "carol"]
    # A removed user's logins go with them, whoever deletes the row.
    with store_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO console_login_sessions (id, user_id, created_at, expires_at)"
                " VALUES ('s1', 1, :at, :at)"
            ),
            {"at": AT},
        )
        connection.execute(text("DELETE FROM console_users WHERE id = 1"))
        assert connection.execute(text("SELECT count(*) FROM console_login_sessions")).scalar() == 0


def test_names_that_fold_together_stop_the_upgrade_and_change_nothing(
    store_engine: Engine,
) -> None:
    at_0002_with_users(store_engine, "Dave", "dave ", "erin")
    with pytest.raises(RuntimeError, match=r"console users 'Dave' and 'dave ' .*\('dave'\)"):
        create_schema(store_engine)
    assert revision_of(store_engine) == "0002"
    assert LoginSession.__tablename__ not in user_tables(store_engine)
    assert usernames(store_engine) == ["Dave", "dave ", "erin"]


def test_downgrade_drops_only_the_login_sessions(store_engine: Engine) -> None:
    create_schema(store_engine)
    with store_engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0002")
    assert revision_of(store_engine) == "0002"
    assert LoginSession.__tablename__ not in user_tables(store_engine)
    assert "console_users" in user_tables(store_engine)

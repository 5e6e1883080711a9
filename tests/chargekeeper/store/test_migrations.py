"""The store's Alembic migrations, on SQLite and on a real PostgreSQL server.

They must build exactly the models' schema, adopt a database the releases before migrations
made with ``create_all``, go back down to nothing, and survive processes starting together.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Engine, Integer, MetaData, Table, inspect, select, text

from chargekeeper.store import Base, ConfigChange, create_schema, make_engine, make_sessionmaker
from chargekeeper.store.migrations import SchemaMismatchError, alembic_config
from tests.chargekeeper.store.migration_support import build_baseline_as_released

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()


def differences(engine: Engine) -> list[object]:
    """What autogenerate would write to make the database match the models."""
    with engine.connect() as connection:
        return list(compare_metadata(MigrationContext.configure(connection), Base.metadata))


def revision_of(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def user_tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def test_revisions_form_one_line_with_a_single_head() -> None:
    scripts = ScriptDirectory.from_config(alembic_config())
    assert scripts.get_heads() == [HEAD]
    chain = list(scripts.walk_revisions())
    assert chain[-1].down_revision is None  # one base, every other revision follows one
    assert all(isinstance(rev.down_revision, str) for rev in chain[:-1])


def test_migrations_build_exactly_the_models_schema(store_engine: Engine) -> None:
    create_schema(store_engine)
    assert revision_of(store_engine) == HEAD
    assert user_tables(store_engine) == set(Base.metadata.tables)
    assert differences(store_engine) == []
    create_schema(store_engine)  # at head: nothing to do
    assert revision_of(store_engine) == HEAD


def test_a_create_all_database_is_adopted_and_keeps_its_rows(store_engine: Engine) -> None:
    # An older release: the baseline's tables but the newest (the audit log), constraints
    # named as that release named them, and no alembic_version.
    build_baseline_as_released(store_engine)
    with store_engine.begin() as connection:
        connection.execute(text(f"DROP TABLE {ConfigChange.__tablename__}"))
        connection.execute(text("DROP TABLE alembic_version"))
    with store_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO console_charger_notes (charge_point_id, by, at, text)"
                " VALUES ('CP-1', 'alice', :at, 'kept')"
            ),
            {"at": NOW},
        )
    create_schema(store_engine)
    assert revision_of(store_engine) == HEAD
    assert ConfigChange.__tablename__ in user_tables(store_engine)
    assert differences(store_engine) == []
    with store_engine.connect() as connection:
        assert connection.execute(text("SELECT text FROM console_charger_notes")).scalar() == "kept"


def test_a_pre_migration_database_that_differs_is_refused_untouched(store_engine: Engine) -> None:
    stray = MetaData()
    Table("alerts", stray, Column("id", Integer, primary_key=True))  # most columns missing
    stray.create_all(store_engine)
    with pytest.raises(
        SchemaMismatchError, match=r"(?s)add_column alerts fingerprint.*Nothing was changed"
    ):
        create_schema(store_engine)
    assert user_tables(store_engine) == {"alerts"}
    assert revision_of(store_engine) is None


def test_downgrade_to_base_removes_every_table_and_upgrade_rebuilds(store_engine: Engine) -> None:
    create_schema(store_engine)
    with store_engine.begin() as connection:
        command.downgrade(alembic_config(connection), "base")
    assert user_tables(store_engine) == set()
    assert revision_of(store_engine) is None
    create_schema(store_engine)
    assert differences(store_engine) == []


def test_processes_starting_together_migrate_once(store_url: str) -> None:
    starters = 4
    engines = [make_engine(store_url) for _ in range(starters)]
    ready = threading.Barrier(starters)
    failures: list[BaseException] = []

    def start(engine: Engine) -> None:
        ready.wait()
        try:
            create_schema(engine)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=start, args=(engine,)) for engine in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    try:
        assert failures == []
        with engines[0].connect() as connection:
            assert connection.execute(text("SELECT version_num FROM alembic_version")).all() == [
                (HEAD,)
            ]
        # The schema works: one write through the ORM.
        with make_sessionmaker(engines[0]).begin() as session:
            session.add(
                ConfigChange(
                    at=NOW,
                    by="a",
                    kind="policy",
                    summary="s",
                    before="",
                    after="",
                    outcome="applied",
                )
            )
        with make_sessionmaker(engines[1])() as session:
            assert session.scalar(select(ConfigChange.by)) == "a"
    finally:
        for engine in engines:
            engine.dispose()

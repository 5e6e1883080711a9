"""Databases as earlier releases left them, for the migration tests."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from alembic.runtime.environment import EnvironmentContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from chargekeeper.store.migrations import alembic_config

BASELINE = "0001"


def build_baseline_as_released(engine: Engine) -> None:
    """The schema revision 0001 made in the release that shipped it, stamped 0001.

    Alembic's own upgrade, configured here rather than by the package's env.py, without the
    models' metadata: Alembic applies the target metadata's naming convention to
    ``create_table``, and the release that shipped 0001 had none, so its databases carry
    PostgreSQL's own constraint names (``<table>_pkey``, ``<table>_<column>_key``,
    ``<table>_<column>_fkey``) or, on SQLite, no names at all.
    """
    config = alembic_config()
    scripts = ScriptDirectory.from_config(config)

    def to_baseline(revision: Any, _context: Any) -> Sequence[Any]:
        return scripts._upgrade_revs(BASELINE, revision)

    with (
        engine.connect() as connection,
        EnvironmentContext(config, scripts, fn=to_baseline, destination_rev=BASELINE) as env,
    ):
        env.configure(connection=connection)
        with env.begin_transaction():
            env.run_migrations()
        connection.commit()

"""Outbox leases, and every constraint named by the models' naming convention.

1. ``deliveries.claimed_by`` / ``claimed_at``: the lease a worker holds on a ``sending``
   delivery (``alertmanager.outbox``), so a replica starting up no longer re-queues what a live
   replica is sending.
2. Constraint names. Until now the models had no naming convention: PostgreSQL named the
   primary keys, ``unique=True`` columns and foreign keys itself (``deliveries_pkey``,
   ``deliveries_dedup_key_key``, ``deliveries_receipt_id_fkey``) and SQLite kept no name at all,
   so a later migration could not drop them on SQLite. They are renamed to the convention's
   names (``pk_deliveries``, ``uq_deliveries_dedup_key``,
   ``fk_deliveries_receipt_id_webhook_receipts``). PostgreSQL renames in place. SQLite can only
   name a constraint by rebuilding its table (Alembic's batch mode: copy, drop, rename); that
   is done for the tables whose unique or foreign-key constraints lack their name, which
   leaves the two largest tables (``webhook_receipts``, ``alerts``) alone: their only unnamed
   constraint is the primary key, which autogenerate does not compare and no migration drops
   by name on SQLite (batch mode rebuilds the table for that anyway).

Each constraint is found by its columns and renamed only if its name differs, so a database
whose baseline already ran under the convention (Alembic applies the target metadata's
convention to ``create_table``) is left as it is. The rebuild runs with SQLite's foreign-key
enforcement off (``chargekeeper.store.migrations.upgrade`` sees to it): with it on, dropping the old
copy of a referenced table fails.

Downgrade drops the lease columns and keeps the names: revision 0001's code never refers to
a constraint by name.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import sqlalchemy as sa
from alembic import context, op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# The models' NAMING_CONVENTION as of this revision (a copy: a revision must not change when
# the models do). Batch mode applies it to the reflected tables, naming what has no name.
CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# The tables of revision 0001, copied rather than imported for the same reason.
TABLES = (
    "webhook_receipts",
    "alerts",
    "deliveries",
    "delivery_alerts",
    "notified_alert_states",
    "acknowledgements",
    "console_users",
    "console_api_tokens",
    "console_alert_silences",
    "console_charger_notes",
    "console_config_changes",
)
# The unique constraints made by ``unique=True`` (the named ones kept their names): (table, column).
UNIQUE = (
    ("deliveries", "dedup_key"),
    ("console_users", "username"),
    ("console_api_tokens", "digest"),
)
# Every foreign key: (table, column, referred table).
FOREIGN_KEYS = (
    ("deliveries", "receipt_id", "webhook_receipts"),
    ("deliveries", "failover_of_id", "deliveries"),
    ("delivery_alerts", "delivery_id", "deliveries"),
    ("delivery_alerts", "alert_id", "alerts"),
    ("notified_alert_states", "delivery_id", "deliveries"),
    ("acknowledgements", "alert_id", "alerts"),
    ("console_api_tokens", "user_id", "console_users"),
    ("console_alert_silences", "alert_id", "alerts"),
)


# A NamedTuple, not a dataclass: Alembic loads revisions without registering their module,
# which dataclasses need.
class Rename(NamedTuple):
    """One constraint whose name is not the convention's yet (``old`` None: unnamed)."""

    table: str
    old: str | None
    new: str


def _lease_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("claimed_by", sa.String(255), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
    ]


def _renames(bind: sa.Connection, with_primary_keys: bool) -> list[Rename]:
    """The constraints of this revision's tables whose names differ from the convention's."""
    inspector = sa.inspect(bind)
    present = set(inspector.get_table_names())
    renames: list[Rename] = []
    for table in TABLES:
        if table not in present:
            continue
        if with_primary_keys:
            name = inspector.get_pk_constraint(table).get("name")
            renames.append(Rename(table, name, f"pk_{table}"))
        unique = {
            tuple(u["column_names"]): u["name"] for u in inspector.get_unique_constraints(table)
        }
        for owner, column in UNIQUE:
            if owner == table and (column,) in unique:
                renames.append(Rename(table, unique[(column,)], f"uq_{table}_{column}"))
        keys = {
            (tuple(fk["constrained_columns"]), fk["referred_table"]): fk["name"]
            for fk in inspector.get_foreign_keys(table)
        }
        for owner, column, referred in FOREIGN_KEYS:
            if owner == table and ((column,), referred) in keys:
                name = keys[((column,), referred)]
                renames.append(Rename(table, name, f"fk_{table}_{column}_{referred}"))
    return [rename for rename in renames if rename.old != rename.new]


def _rename_in_place(renames: Sequence[Rename]) -> None:
    preparer = op.get_bind().dialect.identifier_preparer
    for rename in renames:
        if rename.old is None:  # PostgreSQL names every constraint: nothing to rename from
            continue
        op.execute(
            f"ALTER TABLE {preparer.quote(rename.table)} RENAME CONSTRAINT"
            f" {preparer.quote(rename.old)} TO {preparer.quote(rename.new)}"
        )


def _rebuild_sqlite_tables(renames: Sequence[Rename]) -> None:
    """Rebuild the tables with an unnamed unique or foreign-key constraint, naming them all;
    ``deliveries`` gets its lease columns in the same rebuild."""
    bind = op.get_bind()
    if bind.exec_driver_sql("PRAGMA foreign_keys").scalar():
        raise RuntimeError(
            "revision 0002 rebuilds SQLite tables and needs foreign-key enforcement off: run it"
            " through chargekeeper.store.create_schema (or the alembic command), which turn it off"
        )
    tables = {rename.table for rename in renames}
    for table in TABLES:
        if table not in tables and table != "deliveries":
            continue
        with op.batch_alter_table(
            table, recreate="always" if table in tables else "auto", naming_convention=CONVENTION
        ) as batch:
            if table == "deliveries":
                for column in _lease_columns():
                    batch.add_column(column)


def upgrade() -> None:
    if context.is_offline_mode():  # SQL for an empty database: its baseline used the convention
        for column in _lease_columns():
            op.add_column("deliveries", column)
        return
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        _rebuild_sqlite_tables(_renames(bind, with_primary_keys=False))
        return
    _rename_in_place(_renames(bind, with_primary_keys=True))
    for column in _lease_columns():
        op.add_column("deliveries", column)


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite has it since 3.35): no table rebuild, so no foreign-key issue.
    op.drop_column("deliveries", "claimed_at")
    op.drop_column("deliveries", "claimed_by")

"""Revision 0002 (outbox leases, constraint names) on SQLite and on a real PostgreSQL server.

A database the release of revision 0001 made, with rows in every table, upgrades keeping every
row; afterwards every constraint carries the naming convention's name, so a later migration can
drop one by name on SQLite too, and SQLite enforces foreign keys again.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, MetaData, inspect, select, text
from sqlalchemy.exc import IntegrityError

from chargekeeper.store import Base, create_schema
from tests.chargekeeper.store.migration_support import build_baseline_as_released
from tests.chargekeeper.store.test_migrations import differences

AT = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)

# A delivery left sending (the lease columns are new in 0002), and below its failover, sent.
FIRST_DELIVERY: dict[str, Any] = {
    "id": 1,
    "dedup_key": "k1",
    "receipt_id": 1,
    "group_key": "g",
    "status": "firing",
    "site": "a",
    "recipient_id": "alice",
    "recipient_name": "Alice",
    "channel": "email",
    "address": "alice@x.test",
    "language": "fr",
    "timezone": "Europe/Paris",
    "subject": "CP-1",
    "body_text": "CP-1 en défaut",
    "body_html": "",
    "state": "SENDING",
    "attempts": 0,
    "next_attempt_at": AT,
    "created_at": AT,
    "sent_at": None,
    "failure_reason": None,
    "failure_detail": None,
    "provider_id": None,
    "provider_status": None,
    "failover_channel": "sms",
    "failover_address": "+33612345001",
    "failover_of_id": None,
}

# One row per table, referring to each other as the receiver and console would.
ROWS: dict[str, list[dict[str, Any]]] = {
    "webhook_receipts": [
        {
            "id": 1,
            "received_at": AT,
            "receiver": "site-a",
            "status": "firing",
            "group_key": '{}:{site="a"}',
            "truncated_alerts": 0,
            "payload": {"version": "4", "alerts": []},
            "processed_at": AT,
            "error": None,
        }
    ],
    "alerts": [
        {
            "id": 1,
            "fingerprint": "fp1",
            "starts_at": AT,
            "status": "firing",
            "ends_at": None,
            "alertname": "ChargerFaulted",
            "severity": "critical",
            "family": "error",
            "site": "a",
            "charge_point_id": "CP-1",
            "labels": {"charge_point_id": "CP-1"},
            "annotations": {"summary": "faulted"},
            "generator_url": "",
            "first_received_at": AT,
            "last_received_at": AT,
            "truncated": False,
        }
    ],
    "deliveries": [
        FIRST_DELIVERY,
        {
            **FIRST_DELIVERY,
            "id": 2,
            "dedup_key": "failover-k1",
            "channel": "sms",
            "address": "+33612345001",
            "subject": "",
            "state": "SENT",
            "attempts": 1,
            "sent_at": AT,
            "provider_id": "SM1",
            "provider_status": "delivered",
            "failover_channel": None,
            "failover_address": None,
            "failover_of_id": 1,
        },
    ],
    "delivery_alerts": [{"delivery_id": 1, "alert_id": 1}, {"delivery_id": 2, "alert_id": 1}],
    "notified_alert_states": [
        {
            "id": 1,
            "fingerprint": "fp1",
            "status": "firing",
            "starts_at": AT,
            "recipient_id": "alice",
            "channel": "email",
            "delivery_id": 1,
        }
    ],
    "acknowledgements": [
        {"id": 1, "alert_id": 1, "by": "alice", "at": AT, "via": "sms", "note": "on my way"}
    ],
    "console_users": [
        {
            "id": 1,
            "username": "admin",
            "password_hash": "$argon2id$x",
            "role": "admin",
            "created_at": AT,
        }
    ],
    "console_api_tokens": [
        {"id": 1, "user_id": 1, "name": "ci", "digest": "d" * 64, "created_at": AT}
    ],
    "console_alert_silences": [
        {"id": 1, "alert_id": 1, "silence_id": "s-1", "ends_at": AT, "expired_at": None}
    ],
    "console_charger_notes": [
        {"id": 1, "charge_point_id": "CP-1", "by": "alice", "at": AT, "text": "cable replaced"}
    ],
    "console_config_changes": [
        {
            "id": 1,
            "at": AT,
            "by": "admin",
            "kind": "policy",
            "summary": "s",
            "before": "a: 1\n",
            "after": "a: 2\n",
            "outcome": "applied",
            "detail": "",
        }
    ],
}

# Every unique and foreign-key constraint of the models, by the convention's names.
CONVENTION_NAMES = {
    "uq_deliveries_dedup_key",
    "uq_console_users_username",
    "uq_console_api_tokens_digest",
    "uq_alerts_occurrence",
    "uq_notified_state",
    "fk_deliveries_receipt_id_webhook_receipts",
    "fk_deliveries_failover_of_id_deliveries",
    "fk_delivery_alerts_delivery_id_deliveries",
    "fk_delivery_alerts_alert_id_alerts",
    "fk_notified_alert_states_delivery_id_deliveries",
    "fk_acknowledgements_alert_id_alerts",
    "fk_console_api_tokens_user_id_console_users",
    "fk_console_alert_silences_alert_id_alerts",
    "fk_console_login_sessions_user_id_console_users",  # revision 0003's
}


def insert_rows(engine: Engine) -> None:
    tables = MetaData()
    tables.reflect(engine)
    with engine.begin() as connection:
        for name, rows in ROWS.items():
            connection.execute(tables.tables[name].insert(), rows)


def every_row(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """Every row of every store table, as column → value, in primary-key order."""
    tables = MetaData()
    tables.reflect(engine)
    found = {}
    with engine.connect() as connection:
        for name in ROWS:
            table = tables.tables[name]
            query = select(table).order_by(*table.primary_key.columns)
            found[name] = [dict(row._mapping) for row in connection.execute(query)]
    return found


def constraint_names(engine: Engine) -> set[str]:
    inspector = inspect(engine)
    names: set[str] = set()
    # The models' tables this database has (a baseline lacks the later revisions' tables).
    for table in set(Base.metadata.tables) & set(inspector.get_table_names()):
        names |= {u["name"] for u in inspector.get_unique_constraints(table) if u["name"]}
        names |= {f["name"] for f in inspector.get_foreign_keys(table) if f["name"]}
    return names


def test_a_baseline_database_with_rows_upgrades_keeping_every_row(store_engine: Engine) -> None:
    build_baseline_as_released(store_engine)
    insert_rows(store_engine)
    before = every_row(store_engine)
    assert constraint_names(store_engine) & CONVENTION_NAMES == {
        "uq_alerts_occurrence",
        "uq_notified_state",
    }

    create_schema(store_engine)

    after = every_row(store_engine)
    assert {row.pop("claimed_by") for row in after["deliveries"]} == {None}
    assert {row.pop("claimed_at") for row in after["deliveries"]} == {None}
    assert after == before
    assert differences(store_engine) == []
    assert constraint_names(store_engine) == CONVENTION_NAMES
    if store_engine.dialect.name == "postgresql":
        primary_keys = {inspect(store_engine).get_pk_constraint(t)["name"] for t in ROWS}
        assert primary_keys == {f"pk_{table}" for table in ROWS}


def test_a_new_database_gets_the_conventions_names(store_engine: Engine) -> None:
    create_schema(store_engine)
    assert constraint_names(store_engine) == CONVENTION_NAMES


def test_sqlite_enforces_foreign_keys_again_after_the_upgrade(store_engine: Engine) -> None:
    build_baseline_as_released(store_engine)
    insert_rows(store_engine)
    create_schema(store_engine)  # rebuilds tables with enforcement off, then turns it back on
    with store_engine.connect() as connection:
        if store_engine.dialect.name == "sqlite":
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        with pytest.raises(IntegrityError):
            connection.execute(
                text("INSERT INTO delivery_alerts (delivery_id, alert_id) VALUES (1, 99)")
            )


def test_a_later_migration_can_drop_an_upgraded_constraint_by_name(store_engine: Engine) -> None:
    # What the convention is for: on SQLite an unnamed constraint cannot be named to drop it.
    build_baseline_as_released(store_engine)
    create_schema(store_engine)
    with store_engine.connect() as connection:
        operations = Operations(MigrationContext.configure(connection))
        with operations.batch_alter_table("deliveries") as batch:
            batch.drop_constraint("uq_deliveries_dedup_key", type_="unique")
            batch.drop_constraint("fk_deliveries_receipt_id_webhook_receipts", type_="foreignkey")
        connection.commit()
    assert inspect(store_engine).get_unique_constraints("deliveries") == []
    assert {f["name"] for f in inspect(store_engine).get_foreign_keys("deliveries")} == {
        "fk_deliveries_failover_of_id_deliveries"
    }

"""A store that the release before the kernel move made opens unchanged in this one.

The store moved from ``console/store/`` to ``chargekeeper/store/`` with its Alembic revisions
(their ids unchanged) and gained the ``UtcDateTime`` column type. The databases in ``data/``
were made by that release (commit b5698aa) through its own write paths: a webhook stored and
processed into email and SMS deliveries, one sent, an ack with its silence, a charger note, an
admin with an API token, a routing change, then the resolution. SQLite's was dumped with
``sqlite3``'s ``iterdump``, PostgreSQL's with ``pg_dump --no-owner --no-privileges --inserts``
(its psql-only ``\\restrict`` lines removed).
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from sqlalchemy import Engine, func, make_url, select
from sqlalchemy.orm import Session

from chargekeeper.store import (
    Acknowledgement,
    Alert,
    AlertSilence,
    ApiToken,
    ChargerNote,
    ConfigChange,
    Delivery,
    DeliveryAlert,
    DeliveryState,
    NotifiedAlertState,
    User,
    WebhookReceipt,
    create_schema,
    make_sessionmaker,
)
from console.auth import authenticate
from tests.chargekeeper.store.test_migrations import HEAD, differences, revision_of

DATA = Path(__file__).parent / "data"
T0 = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)
FIRED = datetime(2026, 11, 24, 13, 23, 6, tzinfo=UTC)
ROWS = {
    WebhookReceipt: 2,
    Alert: 1,
    Delivery: 4,
    DeliveryAlert: 4,
    NotifiedAlertState: 4,
    Acknowledgement: 1,
    AlertSilence: 1,
    ChargerNote: 1,
    User: 1,
    ApiToken: 1,
    ConfigChange: 1,
}


def load_dump(engine: Engine) -> None:
    """The release's database, restored into the empty one behind ``engine``."""
    if engine.dialect.name == "sqlite":
        script = (DATA / "store-before-kernel-move.sqlite.sql").read_text()
        database = engine.url.database
        assert database is not None
        with sqlite3.connect(database) as connection:
            connection.executescript(script)
        return
    script = (DATA / "store-before-kernel-move.postgresql.sql").read_text()
    # A connection of its own: the dump empties the search_path of the session it runs in.
    url = make_url(engine.url).set(drivername="postgresql")
    with psycopg.connect(url.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(script.encode())


def test_the_store_made_before_the_move_is_at_head_and_intact(store_engine: Engine) -> None:
    load_dump(store_engine)
    # The revision the release stamped, under the same id (the ids did not change).
    assert revision_of(store_engine) == "0002"

    create_schema(store_engine)  # what every start does: the later revisions

    assert revision_of(store_engine) == HEAD
    assert differences(store_engine) == []
    with Session(store_engine) as session:
        counts = {model: session.scalar(select(func.count()).select_from(model)) for model in ROWS}
        assert counts == ROWS
        alert = session.scalars(select(Alert)).one()
        assert (alert.status, alert.starts_at, alert.ends_at) == (
            "resolved",
            FIRED,
            FIRED + timedelta(seconds=6),
        )
        ack = session.scalars(select(Acknowledgement)).one()
        assert (ack.by, ack.at, ack.note) == ("alice", T0 + timedelta(minutes=3), "on my way")
        assert session.scalars(select(AlertSilence.ends_at)).one() == T0 + timedelta(days=7)
        assert session.scalars(select(ChargerNote.at)).one() == T0 + timedelta(hours=1)
        sent = session.scalars(select(Delivery).where(Delivery.state == DeliveryState.SENT)).one()
        assert (sent.channel, sent.provider_id, sent.sent_at) == ("email", "smtp-1", T0)
        for receipt in session.scalars(select(WebhookReceipt)):
            assert receipt.received_at == T0 and receipt.processed_at == T0
        # Every time read back is aware, including those written at the release's own "now".
        for model, column in (
            (User, User.created_at),
            (ApiToken, ApiToken.created_at),
            (ConfigChange, ConfigChange.at),
            (NotifiedAlertState, NotifiedAlertState.starts_at),
        ):
            for value in session.scalars(select(column)):
                assert value.utcoffset() == timedelta(0), (model.__name__, value)


def test_the_console_accounts_made_before_the_move_still_log_in(store_engine: Engine) -> None:
    load_dump(store_engine)
    create_schema(store_engine)
    sessions = make_sessionmaker(store_engine)
    assert authenticate(sessions, "lead", "correct horse battery") is not None
    assert authenticate(sessions, "lead", "wrong") is None

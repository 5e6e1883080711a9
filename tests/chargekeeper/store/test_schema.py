"""The store's schema: the constraints the receiver's idempotency relies on, SQLite settings.

Every test but the SQLite settings one runs on SQLite and on a real PostgreSQL server.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from chargekeeper.store import (
    Alert,
    ConfigChange,
    Delivery,
    DeliveryState,
    NotifiedAlertState,
    WebhookReceipt,
    create_schema,
    make_engine,
    sqlite_url,
)

NOW = datetime(2026, 11, 24, 13, 0, tzinfo=UTC)


@pytest.fixture
def engine(store_engine: Engine) -> Engine:
    create_schema(store_engine)
    return store_engine


def delivery(key: str) -> Delivery:
    return Delivery(
        dedup_key=key,
        status="firing",
        recipient_id="alice",
        channel="sms",
        address="+33612345001",
        body_text="hello",
        next_attempt_at=NOW,
        created_at=NOW,
    )


def test_tables_and_sqlite_settings(tmp_path: Path) -> None:
    engine = make_engine(sqlite_url(tmp_path / "store.sqlite3"))
    create_schema(engine)
    assert set(inspect(engine).get_table_names()) >= {
        "alerts",
        "deliveries",
        "delivery_alerts",
        "notified_alert_states",
        "webhook_receipts",
    }
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    create_schema(engine)  # idempotent


def test_one_alert_row_per_fingerprint_and_start(engine: Engine) -> None:
    def row() -> Alert:
        return Alert(
            fingerprint="fp",
            starts_at=NOW,
            status="firing",
            labels={},
            annotations={},
            first_received_at=NOW,
            last_received_at=NOW,
        )

    with Session(engine) as session:
        session.add_all([row(), row()])
        with pytest.raises(IntegrityError):
            session.commit()


def test_delivery_key_is_unique(engine: Engine) -> None:
    with Session(engine) as session:
        session.add_all([delivery("k"), delivery("k")])
        with pytest.raises(IntegrityError):
            session.commit()


def test_an_alert_state_is_promised_once_per_recipient_and_channel(engine: Engine) -> None:
    with Session(engine) as session:
        first = delivery("k1")
        session.add(first)
        session.flush()
        state = {
            "fingerprint": "fp",
            "status": "firing",
            "starts_at": NOW,
            "recipient_id": "alice",
            "channel": "sms",
            "delivery_id": first.id,
        }
        session.add(NotifiedAlertState(**state))
        session.add(NotifiedAlertState(**{**state, "channel": "email"}))  # other channel: fine
        session.commit()
        session.add(NotifiedAlertState(**state))
        with pytest.raises(IntegrityError):
            session.commit()


def test_delivery_defaults_and_payload_json_round_trip(engine: Engine) -> None:
    with Session(engine) as session:
        session.add(delivery("k"))
        session.add(
            WebhookReceipt(
                received_at=NOW,
                receiver="r",
                status="firing",
                group_key="{}",
                payload={"alerts": [{"labels": {"site": "é"}}]},
            )
        )
        session.commit()
    with Session(engine) as session:
        stored = session.query(Delivery).one()
        assert stored.state is DeliveryState.PENDING and stored.attempts == 0
        receipt = session.query(WebhookReceipt).one()
        assert receipt.payload["alerts"][0]["labels"]["site"] == "é"
        assert receipt.truncated_alerts == 0 and receipt.processed_at is None


def test_datetimes_come_back_in_utc(engine: Engine) -> None:
    # PostgreSQL hands timestamptz back in the session's zone (the test server's is Paris):
    # the engine makes it UTC. SQLite has no time type: the UtcDateTime column type makes
    # what it hands back aware (tests/chargekeeper/store/test_utc_datetimes.py goes further).
    with Session(engine) as session:
        session.add(delivery("k"))
        session.commit()
    with Session(engine) as session:
        stored = session.scalars(select(Delivery.next_attempt_at)).one()
    assert stored.utcoffset() == timedelta(0)
    assert stored == NOW


def test_config_change_keeps_both_versions_whole(engine: Engine) -> None:
    before, after = "min_error_seconds: 60\n", "min_error_seconds: 120\n# é\n" + "x" * 100_000
    with Session(engine) as session:
        session.add(
            ConfigChange(
                at=NOW,
                by="admin",
                kind="policy",
                summary="min_error_seconds 60 -> 120",
                before=before,
                after=after,
                outcome="applied",
            )
        )
        session.commit()
    with Session(engine) as session:
        change = session.scalars(select(ConfigChange)).one()
        assert (change.before, change.after, change.detail) == (before, after, "")

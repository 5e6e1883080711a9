"""Every datetime the store hands back is aware and in UTC, on SQLite and on PostgreSQL.

SQLite has no time type and returns naive values; the test PostgreSQL server runs in
Europe/Paris. The ``UtcDateTime`` column type must make both answer the same, whichever way a
query reads the column (ORM object, column select, aggregate, RETURNING), and must store an
aware value given in another zone as the same instant.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func, insert, select
from sqlalchemy.orm import Session

from chargekeeper.store import Alert, Delivery, create_schema

UTC_TIME = datetime(2026, 11, 24, 13, 0, tzinfo=UTC)
PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def engine(store_engine: Engine) -> Engine:
    create_schema(store_engine)
    return store_engine


def alert(fingerprint: str, starts_at: datetime) -> Alert:
    return Alert(
        fingerprint=fingerprint,
        starts_at=starts_at,
        status="firing",
        labels={},
        annotations={},
        first_received_at=starts_at,
        last_received_at=starts_at,
    )


def assert_utc(value: datetime | None, expected: datetime) -> None:
    assert value is not None
    assert value.tzinfo is not None and value.utcoffset() == timedelta(0), repr(value)
    assert value == expected


@pytest.mark.parametrize(
    "given",
    [
        UTC_TIME,
        UTC_TIME.astimezone(PARIS),  # 14:00+01:00: the same instant
        UTC_TIME.replace(tzinfo=None),  # naive: taken as UTC
    ],
    ids=["utc", "paris", "naive"],
)
def test_every_way_of_reading_a_time_gets_it_aware_in_utc(engine: Engine, given: datetime) -> None:
    with Session(engine) as session:
        session.add(alert("fp", given))
        session.commit()
    with Session(engine) as session:
        row = session.scalars(select(Alert)).one()
        assert_utc(row.starts_at, UTC_TIME)
        assert_utc(session.scalar(select(Alert.first_received_at)), UTC_TIME)
        assert_utc(session.scalar(select(func.max(Alert.last_received_at))), UTC_TIME)
        assert row.ends_at is None


def test_returning_gives_aware_times(engine: Engine) -> None:
    values = {
        "fingerprint": "fp",
        "starts_at": UTC_TIME.astimezone(PARIS),
        "status": "firing",
        "labels": {},
        "annotations": {},
        "first_received_at": UTC_TIME,
        "last_received_at": UTC_TIME,
    }
    with Session(engine) as session:
        returned = session.execute(insert(Alert).returning(Alert.starts_at), [values]).scalar()
        session.commit()
    assert_utc(returned, UTC_TIME)


def test_comparisons_use_the_instant_not_the_wall_clock(engine: Engine) -> None:
    # 13:00 UTC and 13:30 UTC stored; asked "from 14:15 Paris" (13:15 UTC): only the second.
    with Session(engine) as session:
        session.add_all([alert("early", UTC_TIME), alert("late", UTC_TIME + timedelta(minutes=30))])
        session.commit()
    since = (UTC_TIME + timedelta(minutes=15)).astimezone(PARIS)
    with Session(engine) as session:
        found = session.scalars(select(Alert.fingerprint).where(Alert.starts_at >= since)).all()
    assert found == ["late"]


def test_an_aggregate_over_no_rows_is_none(engine: Engine) -> None:
    with Session(engine) as session:
        assert session.scalar(select(func.min(Delivery.next_attempt_at))) is None

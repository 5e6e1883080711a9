"""Acks in the store, on SQLite and on a real PostgreSQL server: the first ack wins, unack
removes them, and the console lists each alert with its first ack."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from chargekeeper.store import Acknowledgement, Alert, create_schema, make_sessionmaker
from console.acks import AckService, UnknownAlertError
from console.queries import first_acks
from tests.support.fakes import ManualClock

T0 = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


@pytest.fixture
def sessions(store_engine: Engine) -> sessionmaker[Session]:
    create_schema(store_engine)
    return make_sessionmaker(store_engine)


def add_alerts(sessions: sessionmaker[Session], count: int) -> list[int]:
    with sessions.begin() as session:
        rows = [
            Alert(
                fingerprint=f"fp{n}",
                starts_at=T0,
                status="firing",
                labels={"charge_point_id": f"CP-{n}"},
                annotations={},
                first_received_at=T0,
                last_received_at=T0,
            )
            for n in range(count)
        ]
        session.add_all(rows)
        session.flush()
        return [row.id for row in rows]


def test_the_first_ack_wins_and_unack_removes_it(sessions: sessionmaker[Session]) -> None:
    (alert_id,) = add_alerts(sessions, 1)
    clock = ManualClock(T0)
    acks = AckService(sessions, silences=None, clock=clock)
    first = acks.acknowledge(alert_id, "alice", note="  on my way  ")
    clock.now = T0 + timedelta(minutes=5)
    again = acks.acknowledge(alert_id, "bob")
    assert (again.id, again.by, again.note) == (first.id, "alice", "on my way")
    with sessions() as session:
        stored = session.scalars(select(Acknowledgement)).one()
        assert stored.at.replace(tzinfo=stored.at.tzinfo or UTC) == T0
    acks.unacknowledge(alert_id)
    with sessions() as session:
        assert session.scalars(select(Acknowledgement)).all() == []
    with pytest.raises(UnknownAlertError):
        acks.acknowledge(alert_id + 1, "alice")


def test_alerts_are_listed_with_their_earliest_ack(sessions: sessionmaker[Session]) -> None:
    acked, unacked = add_alerts(sessions, 2)
    with sessions.begin() as session:
        session.add_all(
            [
                Acknowledgement(alert_id=acked, by="late", at=T0 + timedelta(hours=1), via="sms"),
                Acknowledgement(alert_id=acked, by="early", at=T0, via="console"),
            ]
        )
    with sessions() as session:
        alerts = list(session.scalars(select(Alert).order_by(Alert.id)))
        found = first_acks(session, alerts)
    assert [ack.by if ack else None for ack in found] == ["early", None]
    assert [alert.id for alert in alerts] == [acked, unacked]

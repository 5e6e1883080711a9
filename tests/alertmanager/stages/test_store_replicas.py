"""Receiver replicas storing the same new alert at the same moment (ARCHITECTURE 6).

Alertmanager sends a group to whichever receiver, and an HA pair sends it twice: two replicas
sharing PostgreSQL may both find an alert new and insert it. Both requests must succeed and the
alert be stored once, with both webhooks' news.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from alertmanager.messages import Renderer
from alertmanager.payload import WebhookPayload
from alertmanager.pipeline import Pipeline
from alertmanager.stages.store import _insert_unseen
from chargekeeper.store import Alert, WebhookReceipt, create_schema, make_sessionmaker
from tests.alertmanager.receiver_support import alert, wait_until, webhook
from translator import Translator

TRANSLATOR = Translator.load()
FIRST_SEEN = datetime(2026, 11, 24, 13, 23, 10, tzinfo=UTC)
SEEN_AGAIN = datetime(2026, 11, 24, 13, 23, 11, tzinfo=UTC)


def pipeline(sessions: sessionmaker[Session], now: datetime) -> Pipeline:
    return Pipeline(sessions, TRANSLATOR, lambda _: [], Renderer(), clock=lambda: now)


def payload(body: dict[str, Any]) -> tuple[WebhookPayload, dict[str, Any]]:
    return WebhookPayload.model_validate(body), body


def waiting_on_a_lock(sessions: sessionmaker[Session]) -> bool:
    with sessions() as session:
        waiting = session.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        )
    return bool(waiting)


def test_two_replicas_storing_the_same_new_alert_both_succeed(
    replicas: list[sessionmaker[Session]], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="alertmanager.stages.store")
    first, second = replicas
    twin = alert("CP-1", fingerprint="fp-race")
    late = {**twin, "annotations": {**twin["annotations"], "description": "seen by the twin"}}
    # The first replica stores its webhook and stops just before committing, its row inserted.
    inserted, release = threading.Event(), threading.Event()

    def hold_before_commit(_session: Session) -> None:
        inserted.set()
        assert release.wait(15)

    event.listen(first, "before_commit", hold_before_commit)
    outcomes: dict[str, object] = {}

    def store(name: str, sessions: sessionmaker[Session], body: dict[str, Any]) -> None:
        now = FIRST_SEEN if name == "first" else SEEN_AGAIN
        try:
            outcomes[name] = pipeline(sessions, now).store_batch([payload(body)])
        except Exception as exc:
            outcomes[name] = exc

    threads = [
        threading.Thread(target=store, args=("first", first, webhook([twin]))),
        threading.Thread(target=store, args=("second", second, webhook([late]))),
    ]
    threads[0].start()
    assert inserted.wait(10)
    threads[1].start()
    # The second replica's insert now waits for the first's transaction, as a real race would.
    wait_until(
        lambda: waiting_on_a_lock(first), 10, "the second replica waiting on the first's row"
    )
    release.set()
    for thread in threads:
        thread.join(20)

    assert outcomes == {"first": [1], "second": [2]}  # both stored, neither failed
    # Only the second met the first's row: RETURNING told the first its insert went in.
    raced = [r for r in caplog.records if "stored by another writer" in r.getMessage()]
    assert [r.getMessage().split()[0] for r in raced] == ["1"]
    with second() as session:
        [row] = session.scalars(select(Alert)).all()
        assert session.scalar(select(func.count()).select_from(WebhookReceipt)) == 2
    assert row.first_received_at == FIRST_SEEN  # inserted by the first
    assert row.last_received_at == SEEN_AGAIN  # updated with the second's news
    assert row.annotations["description"] == "seen by the twin"


def test_an_alert_stored_by_another_writer_meanwhile_is_updated(store_engine: Engine) -> None:
    # The step the race reaches once the other writer has committed, on both engines (SQLite's
    # single writer never gets there by itself): the insert meets the stored row.
    create_schema(store_engine)
    sessions = make_sessionmaker(store_engine)
    body = webhook([alert("CP-1", fingerprint="fp-race")])
    pipeline(sessions, FIRST_SEEN).store(*payload(body))
    again, _ = payload(webhook([alert("CP-1", fingerprint="fp-race", status="resolved")]))
    news = [(again.alerts[0], True)]
    with sessions.begin() as session:
        _insert_unseen(session, {("fp-race", again.alerts[0].starts_at): news}, SEEN_AGAIN)
    with sessions() as session:
        [row] = session.scalars(select(Alert)).all()
    assert row.status == "resolved" and row.truncated
    assert row.last_received_at.replace(tzinfo=UTC) == SEEN_AGAIN

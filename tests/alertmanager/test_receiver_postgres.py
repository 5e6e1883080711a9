"""The whole receiver on a real PostgreSQL store (``database_url`` in receiver.yaml): it
migrates the empty database at start, stores webhooks and tells each alert state once."""

from __future__ import annotations

from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from console.store import Delivery, DeliveryState, WebhookReceipt
from console.store.migrations import alembic_config
from tests.alertmanager.receiver_support import (
    alert,
    running_receiver,
    wait_until,
    webhook,
    write_config,
)
from tests.support.postgres import PostgresServer
from tests.support.procs import free_port

HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()


def test_a_redelivered_webhook_is_stored_twice_and_told_once(
    tmp_path: Path, postgres_server: PostgresServer
) -> None:
    url = postgres_server.url(postgres_server.empty_database())
    config = write_config(tmp_path / "config", free_port(), extra=f"database_url: {url}\n")
    body = webhook([alert("CP-2"), alert("CP-ALFEN-01")])
    with running_receiver(config, tmp_path / "state") as receiver:
        engine: Engine = receiver.built.service.pipeline.sessions.kw["bind"]
        try:
            assert receiver.post(body).status_code == 200
            assert receiver.post(body).status_code == 200  # Alertmanager's retry, or HA twin

            def all_sent() -> bool:
                with Session(engine) as session:
                    states = session.scalars(select(Delivery.state)).all()
                return bool(states) and set(states) == {DeliveryState.SENT}

            wait_until(all_sent, 15, "every delivery sent")
            with Session(engine) as session:
                receipts = session.scalar(select(func.count()).select_from(WebhookReceipt))
                # Alice and Dan (lyonteam), by email and by SMS: one message each, both alerts.
                told = session.execute(select(Delivery.recipient_id, Delivery.channel)).all()
            assert receipts == 2
            assert sorted(told) == [
                ("alice", "email"),
                ("alice", "sms"),
                ("dan", "email"),
                ("dan", "sms"),
            ]
            with engine.connect() as connection:
                version = connection.execute(text("SELECT version_num FROM alembic_version"))
                assert version.scalar() == HEAD
        finally:
            engine.dispose()

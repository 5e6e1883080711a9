"""The whole receiver on a real PostgreSQL store (``database_url`` in receiver.yaml): it
migrates the empty database at start, stores webhooks and tells each alert state once."""

from __future__ import annotations

from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from chargekeeper.store import Alert, Delivery, DeliveryState, WebhookReceipt
from chargekeeper.store.migrations import alembic_config
from chargekeeper.untrusted import clean
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


def test_labels_postgresql_would_refuse_are_stored_and_told(
    tmp_path: Path, postgres_server: PostgresServer
) -> None:
    """A NUL in a charger-supplied label and a site longer than its column: SQLite takes both,
    PostgreSQL refuses both, and a refused store would fail on every Alertmanager retry."""
    url = postgres_server.url(postgres_server.empty_database())
    config = write_config(tmp_path / "config", free_port(), extra=f"database_url: {url}\n")
    long_site = "s" * 300
    body = webhook([alert("CP-2", site=long_site, vendor_error_code="E\x0042")])
    with running_receiver(config, tmp_path / "state") as receiver:
        engine: Engine = receiver.built.service.pipeline.sessions.kw["bind"]
        try:
            assert receiver.post(body).status_code == 200

            def processed() -> bool:
                with Session(engine) as session:
                    receipt = session.scalars(select(WebhookReceipt)).one()
                return receipt.processed_at is not None

            wait_until(processed, 15, "the webhook processed")
            with Session(engine) as session:
                receipt = session.scalars(select(WebhookReceipt)).one()
                sites = session.scalars(select(Delivery.site)).all()
                stored = session.scalars(select(Alert)).one()
            assert receipt.error is None
            # Told under the bounded site name (the kernel's sanitiser cuts it to 255 characters).
            assert sites and set(sites) == {clean(long_site, 255)}
            assert stored.labels["site"] == long_site  # the labels keep the whole value
            assert stored.labels["vendor_error_code"] == "E\ufffd42"
        finally:
            engine.dispose()

"""The store as it stood when migrations began: receiver tables and console tables.

Databases made by the releases before migrations (``Base.metadata.create_all``, no
``alembic_version``) are adopted by this revision: it creates only the tables they lack, so
upgrading them is safe. Constraint and index names are the ones the models produce.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import context, op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Creation order: a table comes after the tables its foreign keys name.
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


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _create(
    present: set[str],
    name: str,
    *elements: Any,
    indexes: Sequence[tuple[str, list[str]]] = (),
    **options: Any,
) -> None:
    """Create table ``name`` and its indexes, unless a legacy database already has it."""
    if name in present:
        return
    op.create_table(name, *elements, **options)
    for index, columns in indexes:
        op.create_index(index, name, columns)


def _present_tables() -> set[str]:
    if context.is_offline_mode():
        return set()  # generating SQL for an empty database
    return set(sa.inspect(op.get_bind()).get_table_names())


def upgrade() -> None:
    present = _present_tables()
    _create(
        present,
        "webhook_receipts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("received_at", _utc(), nullable=False),
        sa.Column("receiver", sa.String(255), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("group_key", sa.Text(), nullable=False),
        sa.Column("truncated_alerts", sa.Integer(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("processed_at", _utc(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        indexes=[("ix_webhook_receipts_unprocessed", ["processed_at"])],
    )
    _create(
        present,
        "alerts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("starts_at", _utc(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("ends_at", _utc(), nullable=True),
        sa.Column("alertname", sa.String(255), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("family", sa.String(32), nullable=False),
        sa.Column("site", sa.String(255), nullable=False),
        sa.Column("charge_point_id", sa.String(255), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("annotations", sa.JSON(), nullable=False),
        sa.Column("generator_url", sa.Text(), nullable=False),
        sa.Column("first_received_at", _utc(), nullable=False),
        sa.Column("last_received_at", _utc(), nullable=False),
        sa.Column("truncated", sa.Boolean(), nullable=False),
        sa.UniqueConstraint("fingerprint", "starts_at", name="uq_alerts_occurrence"),
        indexes=[("ix_alerts_status_site", ["status", "site"])],
    )
    _create(
        present,
        "deliveries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("dedup_key", sa.String(128), nullable=False, unique=True),
        sa.Column("receipt_id", sa.Integer(), sa.ForeignKey("webhook_receipts.id"), nullable=True),
        sa.Column("group_key", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("site", sa.String(255), nullable=False),
        sa.Column("recipient_id", sa.String(255), nullable=False),
        sa.Column("recipient_name", sa.String(255), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("address", sa.String(320), nullable=False),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        # DeliveryState by member name, in a plain VARCHAR (no database enum type).
        sa.Column(
            "state",
            sa.Enum(
                "PENDING",
                "SENDING",
                "SENT",
                "FAILED",
                "DEAD",
                name="deliverystate",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", _utc(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("sent_at", _utc(), nullable=True),
        sa.Column("failure_reason", sa.String(32), nullable=True),
        sa.Column("failure_detail", sa.Text(), nullable=True),
        sa.Column("provider_id", sa.String(255), nullable=True),
        sa.Column("provider_status", sa.String(32), nullable=True),
        sa.Column("failover_channel", sa.String(16), nullable=True),
        sa.Column("failover_address", sa.String(320), nullable=True),
        sa.Column("failover_of_id", sa.Integer(), sa.ForeignKey("deliveries.id"), nullable=True),
        indexes=[
            ("ix_deliveries_due", ["state", "next_attempt_at"]),
            ("ix_deliveries_provider_id", ["provider_id"]),
        ],
    )
    _create(
        present,
        "delivery_alerts",
        sa.Column("delivery_id", sa.Integer(), sa.ForeignKey("deliveries.id"), primary_key=True),
        sa.Column("alert_id", sa.Integer(), sa.ForeignKey("alerts.id"), primary_key=True),
    )
    _create(
        present,
        "notified_alert_states",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("starts_at", _utc(), nullable=False),
        sa.Column("recipient_id", sa.String(255), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("delivery_id", sa.Integer(), sa.ForeignKey("deliveries.id"), nullable=False),
        sa.UniqueConstraint(
            "fingerprint",
            "status",
            "starts_at",
            "recipient_id",
            "channel",
            name="uq_notified_state",
        ),
    )
    _create(
        present,
        "acknowledgements",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("alert_id", sa.Integer(), sa.ForeignKey("alerts.id"), nullable=False),
        sa.Column("by", sa.String(255), nullable=False),
        sa.Column("at", _utc(), nullable=False),
        sa.Column("via", sa.String(16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        indexes=[("ix_acknowledgements_alert_id", ["alert_id"])],
    )
    _create(
        present,
        "console_users",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sqlite_autoincrement=True,  # a removed user's id is never given to a new one
    )
    _create(
        present,
        "console_api_tokens",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("console_users.id"), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", _utc(), nullable=False),
        indexes=[("ix_console_api_tokens_user_id", ["user_id"])],
    )
    _create(
        present,
        "console_alert_silences",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("alert_id", sa.Integer(), sa.ForeignKey("alerts.id"), nullable=False),
        sa.Column("silence_id", sa.String(64), nullable=False),
        sa.Column("ends_at", _utc(), nullable=False),
        sa.Column("expired_at", _utc(), nullable=True),
        indexes=[("ix_console_alert_silences_alert_id", ["alert_id"])],
    )
    _create(
        present,
        "console_charger_notes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("charge_point_id", sa.String(255), nullable=False),
        sa.Column("by", sa.String(64), nullable=False),
        sa.Column("at", _utc(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        indexes=[("ix_console_charger_notes_charge_point_id", ["charge_point_id"])],
    )
    _create(
        present,
        "console_config_changes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", _utc(), nullable=False),
        sa.Column("by", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("before", sa.Text(), nullable=False),
        sa.Column("after", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        indexes=[("ix_console_config_changes_at", ["at"])],
    )


def downgrade() -> None:
    for name in reversed(TABLES):
        op.drop_table(name)

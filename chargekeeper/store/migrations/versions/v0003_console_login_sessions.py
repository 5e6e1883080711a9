"""Console logins that logout can end, and user names in one canonical form.

1. ``console_login_sessions``: one row per live login, named by the random id its signed
   cookie carries. The console honours a cookie only while its row exists, so logout (which
   deletes it) ends the session at once instead of when the cookie expires. Cookies issued
   before this revision carry no id: their users log in again.
2. ``console_users.username`` in the console's canonical form (Unicode NFKC, surrounding
   whitespace stripped, casefolded), the one key the login lookup and the login throttle
   share. Two users whose names fold to the same key stop the upgrade with both names, and
   nothing is changed until one of them is removed or renamed.

Downgrade drops the table and keeps the names, which revision 0002's code reads as they are.
"""

from __future__ import annotations

import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TABLE = "console_login_sessions"


def canonical(name: str) -> str:
    """The console's user-name key as of this revision (a copy: revisions never change)."""
    return unicodedata.normalize("NFKC", name).strip().casefold()


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=f"pk_{TABLE}"),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["console_users.id"],
            name=f"fk_{TABLE}_user_id_console_users",
            ondelete="CASCADE",
        ),
    )
    op.create_index(f"ix_{TABLE}_user_id", TABLE, ["user_id"])
    op.create_index(f"ix_{TABLE}_expires_at", TABLE, ["expires_at"])
    _canonical_usernames()


def _canonical_usernames() -> None:
    users = sa.table("console_users", sa.column("id", sa.Integer), sa.column("username"))
    connection = op.get_bind()
    rows = connection.execute(sa.select(users.c.id, users.c.username)).all()
    owner: dict[str, str] = {}
    for _id, name in rows:
        key = canonical(name)
        if key in owner:
            raise RuntimeError(
                f"console users {owner[key]!r} and {name!r} have the same name once "
                f"normalised ({key!r}): remove or rename one of them in console_users, "
                "then start again"
            )
        owner[key] = name
    for user_id, name in rows:
        if canonical(name) != name:
            connection.execute(
                users.update().where(users.c.id == user_id).values(username=canonical(name))
            )


def downgrade() -> None:
    op.drop_index(f"ix_{TABLE}_expires_at", table_name=TABLE)
    op.drop_index(f"ix_{TABLE}_user_id", table_name=TABLE)
    op.drop_table(TABLE)

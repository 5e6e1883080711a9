"""Column types of the store.

:class:`UtcDateTime` keeps every time in UTC on both engines. PostgreSQL's ``timestamptz``
returns aware values by itself, but SQLite has no time type: SQLAlchemy writes text without an
offset and reads back naive datetimes. Converting here, once, means a query written anywhere
gets aware datetimes on either engine, and an aware value in another zone is stored as the
same instant in UTC rather than as its wall-clock digits.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, Dialect
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """A ``DateTime(timezone=True)`` that binds and returns aware UTC datetimes.

    A naive value bound to it is taken as UTC, as everything the store holds is.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

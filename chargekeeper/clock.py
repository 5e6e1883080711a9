"""Time as every component reads it: an injectable clock that tells UTC.

Components take a :data:`Clock` argument defaulting to :func:`utc_now`, so tests pass their
own instead of patching ``datetime``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """Now, as an aware UTC datetime."""
    return datetime.now(UTC)


def assume_utc(value: datetime) -> datetime:
    """``value`` as an aware datetime, a naive one taken as UTC.

    For times users and peers send without an offset (an ack's ``until``, a preview's
    instant); what the store returns is aware already (``chargekeeper.store.types``).
    """
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value

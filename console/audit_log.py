"""The audit log of the console's configuration editors: every attempt to change policy.yaml
or routing.yaml, applied or not, as a ``ConfigChange`` row of that editor's kind."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from chargekeeper.store import ConfigChange


def record_change(
    sessions: sessionmaker[Session],
    kind: str,
    by: str,
    summary: list[str],
    before: str,
    after: str,
    outcome: str,
    detail: str = "",
) -> int:
    """Store one save attempt; returns its id."""
    change = ConfigChange(
        at=datetime.now(UTC),
        by=by,
        kind=kind,
        summary="\n".join(summary) or "no setting changed",
        before=before,
        after=after,
        outcome=outcome,
        detail=detail,
    )
    with sessions.begin() as session:
        session.add(change)
        session.flush()
        return change.id


def latest_changes(sessions: sessionmaker[Session], kind: str, limit: int) -> list[ConfigChange]:
    """The latest ``limit`` save attempts of ``kind``, newest first."""
    with sessions() as session:
        query = (
            select(ConfigChange)
            .where(ConfigChange.kind == kind)
            .order_by(ConfigChange.at.desc(), ConfigChange.id.desc())
            .limit(limit)
        )
        return list(session.scalars(query))


def find_change(sessions: sessionmaker[Session], kind: str, change_id: int) -> ConfigChange | None:
    """Save attempt ``change_id`` if it is one of ``kind`` (another editor's is not found)."""
    with sessions() as session:
        change = session.get(ConfigChange, change_id)
    return change if change is not None and change.kind == kind else None

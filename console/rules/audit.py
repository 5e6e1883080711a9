"""The policy's audit log: every save attempt as a ``ConfigChange`` row, and its diff."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from console.store import ConfigChange

KIND = "policy"
Outcome = Literal["applied", "rejected"]


@dataclass(frozen=True)
class DiffLine:
    """One line of a unified diff and how to show it (added, removed, hunk header, context)."""

    text: str
    kind: Literal["add", "remove", "hunk", "context"]


def record_change(
    sessions: sessionmaker[Session],
    by: str,
    summary: list[str],
    before: str,
    after: str,
    outcome: Outcome,
    detail: str = "",
) -> int:
    """Store one save attempt; returns its id."""
    change = ConfigChange(
        at=datetime.now(UTC),
        by=by,
        kind=KIND,
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


def policy_changes(sessions: sessionmaker[Session], limit: int = 200) -> list[ConfigChange]:
    """The latest policy save attempts, newest first."""
    with sessions() as session:
        query = (
            select(ConfigChange)
            .where(ConfigChange.kind == KIND)
            .order_by(ConfigChange.at.desc(), ConfigChange.id.desc())
            .limit(limit)
        )
        return list(session.scalars(query))


def policy_change(sessions: sessionmaker[Session], change_id: int) -> ConfigChange | None:
    with sessions() as session:
        change = session.get(ConfigChange, change_id)
    return change if change is not None and change.kind == KIND else None


def diff_lines(before: str, after: str) -> list[DiffLine]:
    """policy.yaml before → after as a unified diff (three lines of context)."""
    lines = difflib.unified_diff(
        before.splitlines(),
        after.splitlines(),
        "policy.yaml (before)",
        "policy.yaml (after)",
        lineterm="",
    )
    return [DiffLine(line, _kind(line)) for line in lines]


def _kind(line: str) -> Literal["add", "remove", "hunk", "context"]:
    if line.startswith("@@") or line.startswith(("+++", "---")):
        return "hunk"
    if line.startswith("+"):
        return "add"
    if line.startswith("-"):
        return "remove"
    return "context"

"""The policy's audit log (console.audit_log, kind ``policy``) and its diffs."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.orm import Session, sessionmaker

from chargekeeper.store import ConfigChange
from console.audit_log import find_change, latest_changes

KIND = "policy"
Outcome = Literal["applied", "rejected"]


@dataclass(frozen=True)
class DiffLine:
    """One line of a unified diff and how to show it (added, removed, hunk header, context)."""

    text: str
    kind: Literal["add", "remove", "hunk", "context"]


def policy_changes(sessions: sessionmaker[Session], limit: int = 200) -> list[ConfigChange]:
    """The latest policy save attempts, newest first."""
    return latest_changes(sessions, KIND, limit)


def policy_change(sessions: sessionmaker[Session], change_id: int) -> ConfigChange | None:
    return find_change(sessions, KIND, change_id)


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

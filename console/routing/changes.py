"""What a routing edit changes, in words for the audit log, and as a line diff."""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from typing import Any

import yaml

from console.routing.document import ID_KEYS, SECTION_KINDS


def _show(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "[" + ", ".join(value) + "]"
    return json.dumps(value, ensure_ascii=False, default=str)


def _load(text: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return {}
    return data if isinstance(data, dict) else {}


def _by_id(items: Any, key: str) -> dict[str, Mapping[str, Any]]:
    if not isinstance(items, list):
        return {}
    # str(): a holiday's date is a date unquoted and a string quoted; both name the same day.
    return {str(i[key]): i for i in items if isinstance(i, dict) and key in i}


def _entry_changes(kind: str, id_key: str, before: Any, after: Any) -> list[str]:
    old, new = _by_id(before, id_key), _by_id(after, id_key)
    lines = [f"{kind} {i!r} added" for i in new if i not in old]
    lines += [f"{kind} {i!r} removed" for i in old if i not in new]
    for item_id in (i for i in new if i in old):
        keys = dict.fromkeys([*old[item_id], *new[item_id]])
        lines += [
            f"{kind} {item_id!r}: {key} {_show(old[item_id].get(key))} → "
            f"{_show(new[item_id].get(key))}"
            for key in keys
            if old[item_id].get(key) != new[item_id].get(key)
        ]
    if not lines and list(old) != list(new):
        lines.append(f"{kind} entries reordered")
    return lines


def describe_changes(before_text: str, after_text: str) -> list[str]:
    """One plain-language line per changed setting (``technician 'zoe' added``,
    ``coverage 'north': sites [a] → [a, b]``), as the receiver would read both files."""
    before, after = _load(before_text), _load(after_text)
    lines: list[str] = []
    for section, kind in SECTION_KINDS.items():
        id_key = ID_KEYS.get(section, "id")
        lines += _entry_changes(kind, id_key, before.get(section), after.get(section))
    for key in dict.fromkeys([*before, *after]):
        if key not in SECTION_KINDS and before.get(key) != after.get(key):
            lines.append(f"{key}: {_show(before.get(key))} → {_show(after.get(key))}")
    return lines or ["layout or comments only: the policy is the same"]


def unified_diff(before_text: str, after_text: str) -> str:
    """The edit as a unified diff of routing.yaml."""
    return "".join(
        difflib.unified_diff(
            before_text.splitlines(keepends=True),
            after_text.splitlines(keepends=True),
            fromfile="routing.yaml (before)",
            tofile="routing.yaml (after)",
        )
    )

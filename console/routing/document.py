"""routing.yaml as an editable document whose comments, key order and quoting survive a save.

The console edits the file through ruamel.yaml's round-trip mode rather than regenerating it:
operators annotate routing.yaml by hand (why a site has its own engineer, why a shift starts
at 07:30), and a save that dropped those notes would lose knowledge (the round-trip
mechanics are console.yamldoc's). The receiver reads routing.yaml with PyYAML (YAML 1.1),
where an unquoted ``19:00`` is a number and ``+33612345001`` an integer: every string the
editor writes is double-quoted when YAML 1.1 would read it as anything but that string.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from console.yamldoc import (
    DocumentError,
    add_key,
    attach_trailing,
    delete,
    delete_key,
    detach_trailing,
    dump,
    load,
    yaml11_safe,
)

# A value inside a small mapping: text, a number of seconds, or a list of names.
InnerValue = str | int | Sequence[str]
# A field's new value: text, a list of ids, a list of small mappings (a schedule's times, a
# coverage's subscriptions and escalation tiers), or None to remove the key.
FieldValue = str | Sequence[str] | Sequence[Mapping[str, InnerValue]] | None

SECTION_KINDS = {
    "technicians": "technician",
    "teams": "team",
    "schedules": "schedule",
    "coverage": "coverage",
    "holidays": "holiday",
}
# The key that names an entry of a section: holidays are named by their date.
ID_KEYS = {"holidays": "date"}
# Where a key the editor adds goes among an entry's keys: the order of the model's fields.
_KEY_ORDER = {
    "technicians": ("id", "name", "email", "phone", "language", "timezone"),
    "teams": ("id", "name", "members"),
    "schedules": ("id", "description", "weekdays", "times", "holidays"),
    "coverage": (
        "id",
        "sites",
        "clients",
        "technicians",
        "teams",
        "schedules",
        "subscriptions",
        "escalation",
    ),
    "holidays": ("date", "name"),
    "timing": ("group_wait", "group_interval", "repeat_interval"),
}


def _flow_seq(values: Sequence[Any]) -> CommentedSeq:
    seq = CommentedSeq(values)
    seq.fa.set_flow_style()
    return seq


def _inner(value: InnerValue) -> Any:
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        # Times of day and channel names: always quoted, as the demo asks.
        return DoubleQuotedScalarString(value)
    return _flow_seq([yaml11_safe(v) for v in value])


def _flow_map(values: Mapping[str, InnerValue]) -> CommentedMap:
    mapping = CommentedMap((key, _inner(v)) for key, v in values.items())
    mapping.fa.set_flow_style()
    return mapping


def _plain(values: Sequence[Any]) -> list[Any]:
    return [dict(v) if isinstance(v, Mapping) else v for v in values]


ListValue = Sequence[str] | Sequence[Mapping[str, InnerValue]]


def _mappings(value: ListValue) -> list[Mapping[str, InnerValue]]:
    return [v for v in value if isinstance(v, Mapping)]


def _strings(value: ListValue) -> list[str]:
    return [yaml11_safe(v) for v in value if isinstance(v, str)]


def _new_value(value: str | ListValue) -> Any:
    if isinstance(value, str):
        return yaml11_safe(value)
    if _mappings(value):
        return CommentedSeq(_flow_map(v) for v in _mappings(value))  # one '- {...}' per line
    return _flow_seq(_strings(value))


def _set_field(item: CommentedMap, key: str, value: FieldValue, order: Sequence[str]) -> None:
    """Set one key, leaving it untouched (quoting, flow style) when its value is unchanged."""
    if value is None:
        item.pop(key, None)
        return
    current = item.get(key)
    if isinstance(value, str):
        # An unquoted date is a date to ruamel; the form names the same day by its text.
        same_day = isinstance(current, date) and current.isoformat() == value
        if current != value and not same_day:
            item[key] = yaml11_safe(value)
        return
    if isinstance(current, list) and _plain(current) == _plain(value):
        return
    if isinstance(current, CommentedSeq) and not _mappings(value):
        current[:] = _strings(value)  # keeps the list's layout and comments
        return
    if key in item:
        item[key] = _new_value(value)
        return
    rank = order.index(key) if key in order else len(order)
    position = sum(1 for k in item if (order.index(k) if k in order else len(order)) <= rank)
    item.insert(position, key, _new_value(value))


def _scalar(value: str | int) -> Any:
    return yaml11_safe(value) if isinstance(value, str) else value


class RoutingDocument:
    """One routing.yaml, parsed for editing; :meth:`text` writes it back."""

    def __init__(self, text: str) -> None:
        self._yaml, self._root = load(text, "routing.yaml", "technicians:, teams:, ...")

    def text(self) -> str:
        return dump(self._yaml, self._root)

    def _section(self, section: str) -> CommentedSeq:
        items = self._root.get(section)
        if items is None:
            items = CommentedSeq()
            add_key(self._root, section, items)
        if not isinstance(items, CommentedSeq):
            raise DocumentError(f"routing.yaml: {section} must be a list")
        return items

    def _index(self, section: str, item_id: str) -> int | None:
        key = ID_KEYS.get(section, "id")
        for index, item in enumerate(self._section(section)):
            # str(): an unquoted date is a date to ruamel, the form names it by its text.
            if isinstance(item, CommentedMap) and str(item.get(key)) == item_id:
                return index
        return None

    def has(self, section: str, item_id: str) -> bool:
        return self._index(section, item_id) is not None

    def update_mapping(self, key: str, fields: Mapping[str, str | int | None]) -> None:
        """Set (or, for None, remove) keys of the top-level mapping ``key`` (``timing``); the
        mapping is created when a value is set and removed once it is empty."""
        mapping = self._root.get(key)
        order = _KEY_ORDER.get(key, ())
        if mapping is None:
            values = {k: v for k, v in fields.items() if v is not None}
            if values:
                new = CommentedMap()
                for name in sorted(values, key=lambda k: order.index(k) if k in order else 99):
                    new[name] = _scalar(values[name])
                add_key(self._root, key, new)
            return
        if not isinstance(mapping, CommentedMap):
            raise DocumentError(f"routing.yaml: {key} must be a mapping")
        block = not mapping.fa.flow_style()
        tail = detach_trailing(mapping) if block else ""
        for name, value in fields.items():
            if value is None:
                mapping.pop(name, None)
            elif mapping.get(name) != value:
                rank = order.index(name) if name in order else len(order)
                if name in mapping:
                    mapping[name] = _scalar(value)
                else:
                    at = sum(1 for k in mapping if (order.index(k) if k in order else 99) <= rank)
                    mapping.insert(at, name, _scalar(value))
        if not mapping:
            delete_key(self._root, key)
            return
        attach_trailing(mapping, tail)

    def upsert(self, section: str, original_id: str, fields: Mapping[str, FieldValue]) -> int:
        """Update the item ``original_id`` of ``section`` (or append one when it is empty) with
        ``fields``; return the item's index. ``id`` may be among the fields (a rename)."""
        items = self._section(section)
        section_tail = detach_trailing(items)
        if original_id:
            index = self._index(section, original_id)
            if index is None:
                kind = SECTION_KINDS.get(section, section)
                raise DocumentError(
                    f"there is no {kind} {original_id!r} any more: reload the page and try again"
                )
            item = items[index]
        else:
            item = CommentedMap()
            # A new entry looks like its neighbours: one line each if they are.
            if items and all(isinstance(i, CommentedMap) and i.fa.flow_style() for i in items):
                item.fa.set_flow_style()
            items.append(item)
            index = len(items) - 1
        item_tail = detach_trailing(item)
        for key, value in fields.items():
            _set_field(item, key, value, _KEY_ORDER.get(section, ()))
        attach_trailing(item, item_tail)
        attach_trailing(items, section_tail)
        return index

    def remove(self, section: str, item_id: str) -> None:
        index = self._index(section, item_id)
        if index is None:
            kind = SECTION_KINDS.get(section, section)
            raise DocumentError(f"there is no {kind} {item_id!r}: reload the page")
        items = self._section(section)
        delete(items, index)

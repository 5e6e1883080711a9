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
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from console.yamldoc import (
    DocumentError,
    add_key,
    attach_trailing,
    delete,
    detach_trailing,
    dump,
    load,
    yaml11_safe,
)

# A field's new value: text, a list of ids, a list of small mappings (a schedule's times), or
# None to remove the key.
FieldValue = str | Sequence[str] | Sequence[Mapping[str, str]] | None

SECTION_KINDS = {
    "technicians": "technician",
    "teams": "team",
    "schedules": "schedule",
    "coverage": "coverage",
}
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
}


def _flow_seq(values: Sequence[Any]) -> CommentedSeq:
    seq = CommentedSeq(values)
    seq.fa.set_flow_style()
    return seq


def _flow_map(values: Mapping[str, str]) -> CommentedMap:
    # Small mappings are times of day and channel names: always quoted, as the demo asks.
    mapping = CommentedMap((key, DoubleQuotedScalarString(v)) for key, v in values.items())
    mapping.fa.set_flow_style()
    return mapping


def _plain(values: Sequence[Any]) -> list[Any]:
    return [dict(v) if isinstance(v, Mapping) else v for v in values]


def _mappings(value: Sequence[str] | Sequence[Mapping[str, str]]) -> list[Mapping[str, str]]:
    return [v for v in value if isinstance(v, Mapping)]


def _strings(value: Sequence[str] | Sequence[Mapping[str, str]]) -> list[str]:
    return [yaml11_safe(v) for v in value if isinstance(v, str)]


def _new_value(value: str | Sequence[str] | Sequence[Mapping[str, str]]) -> Any:
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
        if current != value:
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
        for index, item in enumerate(self._section(section)):
            if isinstance(item, CommentedMap) and item.get("id") == item_id:
                return index
        return None

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

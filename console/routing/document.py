"""routing.yaml as an editable document whose comments, key order and quoting survive a save.

The console edits the file through ruamel.yaml's round-trip mode rather than regenerating it:
operators annotate routing.yaml by hand (why a site has its own engineer, why a shift starts
at 07:30), and a save that dropped those notes would lose knowledge. Two layout choices are
written down here:

- Flow collections (``- {id: alice, name: ...}``) are re-emitted on one line each; ruamel
  would otherwise wrap them at an arbitrary key, which reads worse than a long line.
- The receiver reads routing.yaml with PyYAML (YAML 1.1), where an unquoted ``19:00`` is a
  number and ``+33612345001`` an integer. Every string the editor writes is double-quoted when
  YAML 1.1 would read it as anything but that string.
"""

from __future__ import annotations

import copy
import io
from collections.abc import Mapping, Sequence
from typing import Any, TypeAlias

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString
from ruamel.yaml.util import load_yaml_guess_indent

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
_STR_TAG = "tag:yaml.org,2002:str"
# Wider than any line a person writes: flow collections stay on one line (see above).
_LINE_WIDTH = 4096


class DocumentError(ValueError):
    """routing.yaml cannot be edited as asked (not YAML, not a mapping, no such item)."""


def _round_trip() -> YAML:
    loader = YAML(typ="rt")
    loader.preserve_quotes = True
    # The layout of examples/demo/routing.yaml (list items indented under their key), for
    # files too small to tell.
    loader.indent(mapping=2, sequence=4, offset=2)
    loader.width = _LINE_WIDTH
    return loader


def yaml11_safe(value: str) -> str:
    """``value`` as a scalar that YAML 1.1 (PyYAML, the receiver's reader) reads back as is."""
    # PyYAML ships no type hints for its resolver.
    resolver = yaml.resolver.Resolver()
    tag = resolver.resolve(yaml.ScalarNode, value, (True, False))  # type: ignore[no-untyped-call]
    return value if tag == _STR_TAG else DoubleQuotedScalarString(value)


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


Collection: TypeAlias = CommentedMap | CommentedSeq


def _tail_path(root: Collection) -> list[Collection]:
    """The block collections that end where ``root`` ends, outermost first."""
    path: list[Collection] = [root]
    while True:
        current = path[-1]
        if not current:
            return path
        last = current[-1] if isinstance(current, CommentedSeq) else current[list(current)[-1]]
        if not isinstance(last, Collection) or last.fa.flow_style() or not last:
            return path
        path.append(last)


def _detach_trailing_comments(root: Collection) -> list[Any]:
    """Take the comments and blank lines that follow ``root``'s last entry off that entry.

    ruamel attaches them to the innermost collection that ends there: appending an entry or
    a key would otherwise leave them stuck above the new one (a new coverage below the next
    section's heading comment).
    """
    tokens: list[Any] = []
    for node in _tail_path(root):
        if isinstance(node, CommentedSeq):
            tokens += node.ca.end or []
            node.ca.end = []
        elif node:
            slot = node.ca.items.get(list(node)[-1])
            if slot is not None and slot[2] is not None:
                tokens.append(slot[2])
                slot[2] = None
    return tokens


def _attach_trailing_comments(root: Collection, tokens: list[Any]) -> None:
    """Put ``tokens`` back after ``root``'s (possibly new) last entry."""
    innermost = _tail_path(root)[-1]
    if not tokens or not innermost:
        return
    if isinstance(innermost, CommentedSeq):
        # ruamel writes a sequence's end comments only when it has a comment list.
        if innermost.ca.comment is None:
            innermost.ca.comment = [None, None]
        innermost.ca.end = tokens
        return
    merged = copy.copy(tokens[0])
    merged.value = "".join(token.value for token in tokens)
    innermost.ca.items.setdefault(list(innermost)[-1], [None, None, None, None])[2] = merged


class RoutingDocument:
    """One routing.yaml, parsed for editing; :meth:`text` writes it back."""

    def __init__(self, text: str) -> None:
        self._yaml = _round_trip()
        try:
            _, indent, dash_offset = load_yaml_guess_indent(text)
            root = self._yaml.load(text)
        except YAMLError as exc:
            raise DocumentError(f"routing.yaml is not valid YAML: {exc}") from None
        if root is None:
            root = CommentedMap()
        if not isinstance(root, CommentedMap):
            raise DocumentError("routing.yaml must be a mapping (technicians:, teams:, ...)")
        if indent is not None and dash_offset is not None:
            # Lists keep the file's own layout ("- " under or beside its key).
            self._yaml.indent(mapping=2, sequence=indent, offset=dash_offset)
        self._root = root

    def text(self) -> str:
        out = io.StringIO()
        self._yaml.dump(self._root, out)
        return out.getvalue()

    def _section(self, section: str) -> CommentedSeq:
        items = self._root.get(section)
        if items is None:
            items = CommentedSeq()
            self._root[section] = items
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
        section_tail = _detach_trailing_comments(items)
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
        item_tail = _detach_trailing_comments(item)
        for key, value in fields.items():
            _set_field(item, key, value, _KEY_ORDER.get(section, ()))
        _attach_trailing_comments(item, item_tail)
        _attach_trailing_comments(items, section_tail)
        return index

    def remove(self, section: str, item_id: str) -> None:
        index = self._index(section, item_id)
        if index is None:
            kind = SECTION_KINDS.get(section, section)
            raise DocumentError(f"there is no {kind} {item_id!r}: reload the page")
        items = self._section(section)
        trailing = _detach_trailing_comments(items)
        del items[index]
        _attach_trailing_comments(items, trailing)

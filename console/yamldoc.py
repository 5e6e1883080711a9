"""Editing the hand-written YAML files of the console (policy.yaml, routing.yaml) in ruamel's
round-trip mode, so the SREs' comments, key order, quoting and indentation survive a save.

On top of ruamel: a dumper with the file's own indentation (an untouched file comes back byte
for byte); appends and deletes that leave the comments after a collection's last entry in
place; strings PyYAML (YAML 1.1, the receiver's and ``config render``'s reader) reads back as
strings; and atomic saves.
"""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path
from typing import Any, TypeAlias

import yaml as pyyaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark, YAMLError
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.representer import RoundTripRepresenter
from ruamel.yaml.resolver import VersionedResolver
from ruamel.yaml.scalarstring import DoubleQuotedScalarString
from ruamel.yaml.tokens import CommentToken
from ruamel.yaml.util import load_yaml_guess_indent

Collection: TypeAlias = CommentedMap | CommentedSeq

_STR_TAG = "tag:yaml.org,2002:str"
# Wider than any line a person writes: flow collections and long strings stay on one line
# (ruamel would otherwise wrap them at an arbitrary key).
_LINE_WIDTH = 4096
# The layout of the shipped examples (list items indented under their key), for files too
# small to tell.
_DEFAULT_SEQUENCE_INDENT, _DEFAULT_DASH_OFFSET = 4, 2


class DocumentError(ValueError):
    """A YAML file cannot be edited as asked (not YAML, not a mapping, no such item); the
    message says where."""


def _yaml11_tag(value: str) -> str:
    # PyYAML ships no type hints for its resolver.
    resolver = pyyaml.resolver.Resolver()
    return str(resolver.resolve(pyyaml.ScalarNode, value, (True, False)))  # type: ignore[no-untyped-call]


class _Yaml11SafeRepresenter(RoundTripRepresenter):
    """Double-quotes a plain string that ruamel would write unquoted (a string to YAML 1.2)
    but YAML 1.1 reads as something else; every other string is written as ruamel does."""

    _yaml12 = VersionedResolver()

    def represent_yaml11_safe_str(self, data: str) -> Any:
        plain_in_yaml12 = self._yaml12.resolve(ScalarNode, data, (True, False)) == _STR_TAG
        if type(data) is str and plain_in_yaml12 and _yaml11_tag(data) != _STR_TAG:
            return self.represent_scalar(_STR_TAG, data, style='"')
        return self.represent_str(data)


_Yaml11SafeRepresenter.add_representer(str, _Yaml11SafeRepresenter.represent_yaml11_safe_str)


def _round_trip(mapping_indent: int, sequence_indent: int, dash_offset: int) -> YAML:
    loader = YAML(typ="rt")
    loader.Representer = _Yaml11SafeRepresenter
    loader.preserve_quotes = True
    loader.width = _LINE_WIDTH
    loader.indent(mapping=mapping_indent, sequence=sequence_indent, offset=dash_offset)
    return loader


def dump(loader: YAML, data: Any) -> str:
    out = io.StringIO()
    loader.dump(data, out)
    return out.getvalue()


def load(text: str, name: str, hint: str) -> tuple[YAML, CommentedMap]:
    """Parse ``text`` (the file ``name``) as a mapping; return it with a loader/dumper that
    writes it back with the file's own indentation. ``hint`` names the keys expected at the
    top, for the error when the file is not a mapping."""
    try:
        _, sequence_indent, dash_offset = load_yaml_guess_indent(text)
        if dash_offset is None:  # no block list to tell
            sequence_indent, dash_offset = _DEFAULT_SEQUENCE_INDENT, _DEFAULT_DASH_OFFSET
        # ruamel guesses the list layout only; the mapping indent is whichever of the usual
        # ones reproduces the untouched file exactly.
        loaders = [_round_trip(indent, sequence_indent, dash_offset) for indent in (2, 4)]
        data = loaders[0].load(text)
        chosen = next((each for each in loaders if dump(each, each.load(text)) == text), None)
    except YAMLError as exc:
        raise DocumentError(f"{name} is not valid YAML: {exc}") from None
    if data is None:
        data = CommentedMap()
    if not isinstance(data, CommentedMap):
        raise DocumentError(f"{name} must be a mapping ({hint})")
    return chosen or loaders[0], data


def yaml11_safe(value: str) -> str:
    """``value`` as a scalar that YAML 1.1 (PyYAML) reads back as is: double-quoted when it
    would read it as anything but that string (ruamel would single-quote ``+33...``)."""
    return value if _yaml11_tag(value) == _STR_TAG else DoubleQuotedScalarString(value)


# ruamel keeps the comments and blank lines after a collection's last entry (often the next
# top-level key's heading) on that entry, in the innermost block collection ending there:
# appending or deleting the last entry would move or drop them, so they are detached first
# and put back after the new last entry.


def _tail(root: Collection) -> list[Collection]:
    """The block collections that end where ``root`` ends, outermost first."""
    path = [root]
    while path[-1]:
        current = path[-1]
        last = current[-1] if isinstance(current, CommentedSeq) else current[list(current)[-1]]
        if not isinstance(last, CommentedMap | CommentedSeq) or last.fa.flow_style() or not last:
            break
        path.append(last)
    return path


def detach_trailing(root: Collection) -> str:
    """The whole lines of comments and blank lines after ``root``'s last entry, taken off (a
    comment on the last value's own line stays)."""
    text = ""
    for node in reversed(_tail(root)):  # the innermost collection's come first in the file
        if isinstance(node, CommentedMap) and node:
            text += _detach_slot(node, list(node)[-1])
        text += "".join(token.value for token in node.ca.end or [])
        node.ca.end = []
    return text


def _detach_slot(mapping: CommentedMap, key: Any) -> str:
    """The lines after ``key``'s (scalar or flow) value; a comment on its own line stays."""
    slot = mapping.ca.items.get(key)
    if slot is None or len(slot) < 3 or slot[2] is None:
        return ""
    same_line, _, following = slot[2].value.partition("\n")
    if same_line.strip():
        slot[2] = CommentToken(same_line + "\n", slot[2].start_mark, None)
    else:
        slot[2] = None
    return str(following)


def attach_trailing(root: Collection, text: str) -> None:
    """Put lines taken off by :func:`detach_trailing` after ``root``'s last entry."""
    if not text:
        return
    innermost = _tail(root)[-1]
    if isinstance(innermost, CommentedSeq) or not innermost:
        if innermost.ca.comment is None:
            innermost.ca.comment = [None, None]  # ruamel writes end comments only with a list
        innermost.ca.end = [CommentToken(text, CommentMark(0), None)]
        return
    _after_value(innermost, list(innermost)[-1], text)


def _after_value(mapping: CommentedMap, key: Any, text: str) -> None:
    slot = mapping.ca.items.setdefault(key, [None, None, None, None])
    # A comment token after a value starts on the value's line: end that line first.
    same_line = slot[2].value if slot[2] is not None else "\n"
    slot[2] = CommentToken(same_line + text, CommentMark(0), None)


def append(seq: CommentedSeq, item: Any) -> None:
    trailing = detach_trailing(seq)
    seq.append(item)
    attach_trailing(seq, trailing)


def add_key(mapping: CommentedMap, key: str, value: Any) -> None:
    trailing = detach_trailing(mapping)
    mapping[key] = value
    attach_trailing(mapping, trailing)


def delete(seq: CommentedSeq, index: int) -> None:
    trailing = detach_trailing(seq) if index == len(seq) - 1 else ""
    del seq[index]
    attach_trailing(seq, trailing)


def delete_key(mapping: CommentedMap, key: str) -> None:
    """Delete ``key``; what followed its value (the next key's heading) now follows the
    value before it."""
    value = mapping[key]
    trailing = _detach_slot(mapping, key)
    if isinstance(value, CommentedMap | CommentedSeq) and not value.fa.flow_style():
        trailing += detach_trailing(value)
    keys = list(mapping)
    del mapping[key]
    if keys.index(key) == 0:
        return
    previous = keys[keys.index(key) - 1]
    before = mapping[previous]
    if isinstance(before, CommentedMap | CommentedSeq) and before and not before.fa.flow_style():
        # After whatever already trails it, so the comments keep their order.
        attach_trailing(before, detach_trailing(before) + trailing)
    elif trailing:
        _after_value(mapping, previous, trailing)


def stage_beside(path: Path, text: str) -> Path:
    """``text`` in a new hidden file beside ``path`` (same file system, so renaming it over
    ``path`` is atomic), with ``path``'s permissions (0644 for a new file)."""
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    descriptor, name = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.stem}-", suffix=path.suffix
    )
    staged = Path(name)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        staged.chmod(mode)
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
    return staged


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` in one rename: a reader sees the old file or the new
    one, never a part."""
    staged = stage_beside(path, text)
    try:
        os.replace(staged, path)
    finally:
        staged.unlink(missing_ok=True)

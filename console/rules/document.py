"""policy.yaml as a ruamel.yaml round-trip document, so the editor changes only what the user
changed: the SREs' comments, key order, quoting and the keys the editor does not know about
(maintenance windows, runbook URL...) survive every save.

Edits are made in place on the parsed document; a section that ends up empty is removed, and
an override left with only its scope is removed too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from chargekeeper.config.policy import parse_duration
from console.yamldoc import DocumentError, add_key, append, delete, delete_key, dump, load

# Section values the editor writes: seconds as "5m"-style text or a number, None, a ratio,
# a count or the enabled switch.
Value = str | int | float | bool | None


@dataclass(frozen=True)
class Scope:
    """Where a setting applies: the whole fleet (neither), a site, a group, or both."""

    site: str | None = None
    group: str | None = None

    @property
    def is_fleet(self) -> bool:
        return self.site is None and self.group is None

    def describe(self) -> str:
        if self.site and self.group:
            return f"site {self.site}, group {self.group}"
        if self.site:
            return f"site {self.site}"
        if self.group:
            return f"group {self.group}"
        return "fleet"


class PolicyDocument:
    """The parsed policy.yaml, changed in place and written back with :meth:`text`."""

    def __init__(self, text: str) -> None:
        self._yaml, self.data = load(text, "policy.yaml", "keys such as defaults, overrides")

    def text(self) -> str:
        return dump(self._yaml, self.data) if self.data else ""

    def plain(self) -> Any:
        """The document as plain dicts and lists (what pydantic validates)."""
        return _plain(self.data)

    # --- thresholds -------------------------------------------------------------------

    def section(self, scope: Scope, key: str) -> Mapping[str, Any]:
        """The values set explicitly for ``key`` at ``scope`` (empty when it inherits)."""
        holder = self._holder(scope)
        found = holder.get(key) if holder is not None else None
        return found if isinstance(found, Mapping) else {}

    def set_section(self, scope: Scope, key: str, values: Mapping[str, Value]) -> None:
        """Make ``values`` the settings of ``key`` at ``scope``; empty values remove it.

        A value equal to the one already written (same seconds, "30m" or 1800) keeps its
        original spelling, so the diff shows only what the user changed.
        """
        holder = self._holder(scope)
        if not values:
            if holder is not None and key in holder:
                delete_key(holder, key)
                self._drop_if_empty(scope)
            return
        current = holder.get(key) if holder is not None else None
        section = current if isinstance(current, CommentedMap) else CommentedMap()
        for name in [name for name in section if name not in values]:
            del section[name]
        for name, value in values.items():
            if name not in section or not _same(section[name], value):
                section[name] = value
        if section is current:
            return
        if holder is None or _siblings_flow(holder):
            section.fa.set_flow_style()
        if holder is not None:
            add_key(holder, key, section)
        elif scope.is_fleet:
            add_key(self.data, "defaults", CommentedMap([(key, section)]))
        else:
            entry = CommentedMap()
            for name, value in (("site", scope.site), ("group", scope.group)):
                if value is not None:
                    entry[name] = value
            entry[key] = section
            overrides = self._child_seq("overrides")
            if overrides is None:
                add_key(self.data, "overrides", CommentedSeq([entry]))
            else:
                append(overrides, entry)

    def update_section(
        self, scope: Scope, key: str, values: Mapping[str, Value], cleared: set[str]
    ) -> None:
        """Set ``values`` and drop ``cleared`` at ``scope``, keeping the section's other keys."""
        kept = {
            name: _plain(value)
            for name, value in self.section(scope, key).items()
            if name not in cleared and name not in values
        }
        self.set_section(scope, key, {**kept, **values})

    def _holder(self, scope: Scope) -> CommentedMap | None:
        """The mapping holding the sections of ``scope`` (defaults or the scope's override)."""
        if scope.is_fleet:
            return self._child_map("defaults")
        for entry in self._child_seq("overrides") or []:
            if (
                isinstance(entry, CommentedMap)
                and entry.get("site") == scope.site
                and entry.get("group") == scope.group
            ):
                return entry
        return None

    def _drop_if_empty(self, scope: Scope) -> None:
        if scope.is_fleet:
            defaults = self.data.get("defaults")
            if isinstance(defaults, CommentedMap) and not defaults:
                delete_key(self.data, "defaults")
            return
        overrides = self.data.get("overrides")
        if not isinstance(overrides, CommentedSeq):
            return
        for index, entry in enumerate(overrides):
            if (
                isinstance(entry, CommentedMap)
                and set(entry) <= {"site", "group"}
                and entry.get("site") == scope.site
                and entry.get("group") == scope.group
            ):
                delete(overrides, index)
                break
        if not overrides:
            delete_key(self.data, "overrides")

    def remove_override(self, scope: Scope) -> bool:
        """Remove the whole override for ``scope``; False if there is none."""
        overrides = self.data.get("overrides")
        if scope.is_fleet or not isinstance(overrides, CommentedSeq):
            return False
        for index, entry in enumerate(overrides):
            if (
                isinstance(entry, CommentedMap)
                and entry.get("site") == scope.site
                and entry.get("group") == scope.group
            ):
                delete(overrides, index)
                if not overrides:
                    delete_key(self.data, "overrides")
                return True
        return False

    # --- vendor codes -----------------------------------------------------------------

    def add_vendor_code(self, vendor: str, code: str, severity: str) -> None:
        """Surface ``code`` of ``vendor`` with ``severity`` (moved if listed with another)."""
        self.remove_vendor_code(vendor, code)
        entries = self._child_seq("vendor_codes")
        for entry in entries or []:
            if (
                isinstance(entry, CommentedMap)
                and entry.get("vendor") == vendor
                and entry.get("severity", "warning") == severity
                and isinstance(entry.get("codes"), list)
            ):
                entry["codes"].append(code)
                return
        entry = CommentedMap()
        entry["vendor"] = vendor
        codes = CommentedSeq([code])
        codes.fa.set_flow_style()
        entry["codes"] = codes
        entry["severity"] = severity
        if entries is None:
            add_key(self.data, "vendor_codes", CommentedSeq([entry]))
        else:
            append(entries, entry)

    def remove_vendor_code(self, vendor: str, code: str) -> bool:
        """Stop surfacing ``code`` of ``vendor``; an entry left without codes is removed."""
        entries = self.data.get("vendor_codes")
        if not isinstance(entries, CommentedSeq):
            return False
        removed = False
        for entry in list(entries):
            if not isinstance(entry, CommentedMap) or entry.get("vendor") != vendor:
                continue
            codes = entry.get("codes")
            if isinstance(codes, list) and code in codes:
                codes.remove(code)
                removed = True
                if not codes:
                    delete(entries, entries.index(entry))
        if not entries:
            delete_key(self.data, "vendor_codes")
        return removed

    # --- whole policy (the JSON API) --------------------------------------------------

    def replace_with(self, new: Mapping[str, Any]) -> None:
        """Make the document equal to ``new``, keeping every node (and its comments) whose
        value did not change."""
        _merge_map(self.data, new)

    # --- helpers ----------------------------------------------------------------------

    def _child_map(self, key: str) -> CommentedMap | None:
        found = self._child(key, CommentedMap, "a mapping")
        return found if isinstance(found, CommentedMap) else None

    def _child_seq(self, key: str) -> CommentedSeq | None:
        found = self._child(key, CommentedSeq, "a list")
        return found if isinstance(found, CommentedSeq) else None

    def _child(self, key: str, kind: type, what: str) -> object:
        found = self.data.get(key)
        if found is not None and not isinstance(found, kind):
            raise DocumentError(f"policy.yaml: {key} must be {what}")
        return found


def _siblings_flow(holder: CommentedMap) -> bool:
    """Whether the holder's other sections are written as {flow: mappings} (or it has none)."""
    styles = [value.fa.flow_style() for value in holder.values() if isinstance(value, CommentedMap)]
    return all(styles) if styles else True


def _same(current: Any, value: Value) -> bool:
    """Whether a written value means the same as ``value`` (durations compared in seconds)."""
    if isinstance(current, bool) or isinstance(value, bool):
        return current is value
    return bool(_seconds(_plain(current)) == _seconds(value))


def _seconds(value: Any) -> Any:
    """A duration or number as a float, anything else as it is."""
    try:
        return float(value)
    except (TypeError, ValueError):
        pass
    try:
        parsed = parse_duration(value)
    except ValueError:
        return value
    return float(parsed) if isinstance(parsed, int | float) else value


def _plain(node: Any) -> Any:
    if isinstance(node, Mapping):
        return {str(key): _plain(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_plain(item) for item in node]
    if isinstance(node, str):
        return str(node)  # a ruamel ScalarString subclass becomes a plain str
    if isinstance(node, bool):
        return node
    if isinstance(node, int):
        return int(node)  # ruamel's ScalarInt keeps its spelling; the value is what counts
    if isinstance(node, float):
        return float(node)
    return node


def _merge_map(target: CommentedMap, new: Mapping[str, Any]) -> None:
    for key in [key for key in target if key not in new]:
        del target[key]
    for key, value in new.items():
        current = target.get(key)
        if isinstance(current, CommentedMap) and isinstance(value, Mapping):
            _merge_map(current, value)
        elif isinstance(current, CommentedSeq) and isinstance(value, list):
            _merge_seq(current, value)
        elif key not in target or not _same(current, value):
            target[key] = value


def _merge_seq(target: CommentedSeq, new: list[Any]) -> None:
    """Item by item: unchanged items keep their nodes; a list that changed length is merged
    up to the shorter length, then trimmed or extended."""
    for index, value in enumerate(new[: len(target)]):
        current = target[index]
        if isinstance(current, CommentedMap) and isinstance(value, Mapping):
            _merge_map(current, value)
        elif isinstance(current, CommentedSeq) and isinstance(value, list):
            _merge_seq(current, value)
        elif not _same(current, value):
            target[index] = value
    del target[len(new) :]
    target.extend(new[len(target) :])

"""The compliant shape of an OCPP request object, built from its JSON schema, for the fast paths.

exporter.fastpath recognises a payload without the generated validator; what it may recognise
is decided here, from the schema file itself (types, enum members, length limits, date-time
format). A schema keyword these checks do not understand makes building the check fail at
import, so a schema change can never make a fast path accept what the validator refuses.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from fastjsonschema.draft04 import CodeGeneratorDraft04

from exporter import schemas

Check = Callable[[Any], bool]

# The very pattern fastjsonschema compiles for "format": "date-time" (draft 4 and 6 share it).
_is_date_time = re.compile(CodeGeneratorDraft04.FORMAT_REGEXS["date-time"]).match

# Schema keywords that say nothing about validity (additionalProperties on a 1.6 string enum
# applies to nothing; on an object it can only refuse properties, and an ObjectShape refuses
# every property it has no check for): every other keyword must be understood here.
_ANNOTATIONS = frozenset({"description", "javaType", "additionalProperties"})
# additionalItems means nothing beside an "items" schema (it applies to tuple-style arrays).
_LIST_KEYWORDS = frozenset({"type", "items", "minItems", "additionalItems"})


def _is_integer(value: Any) -> bool:
    # Only a JSON integer; draft 6 would also take 2.0, which the full path handles.
    return type(value) is int


def is_number(value: Any) -> bool:
    kind = type(value)
    return kind is float or kind is int  # a bool is neither


def is_text(value: Any) -> bool:
    return type(value) is str


def _text_up_to(limit: int) -> Check:
    def check(value: Any) -> bool:
        return type(value) is str and len(value) <= limit

    return check


def _one_of(members: Iterable[str]) -> Check:
    allowed = frozenset(members).__contains__

    def check(value: Any) -> bool:
        return type(value) is str and allowed(value)

    return check


def _date_time(value: Any) -> bool:
    return type(value) is str and _is_date_time(value) is not None


def _list_of_at_least(count: int) -> Check:
    def check(value: Any) -> bool:
        return type(value) is list and len(value) >= count

    return check


def list_check(field: dict[str, Any]) -> Check:
    """The check of an array field whose items the fast path checks itself."""
    keywords = field.keys() - _ANNOTATIONS
    if field.get("type") != "array" or not keywords <= _LIST_KEYWORDS:
        raise ValueError(f"no fast check for the schema {sorted(keywords)} of {field}")
    return _list_of_at_least(field.get("minItems", 0))


def field_check(field: dict[str, Any]) -> Check:
    """The check of one scalar field, built from its schema; unknown keywords are refused."""
    keywords = field.keys() - _ANNOTATIONS - {"default"}
    kind = field.get("type")
    if kind == "integer" and keywords == {"type"}:
        return _is_integer
    if kind == "number" and keywords == {"type"}:
        return is_number
    if kind == "string":
        if keywords == {"type"}:
            return is_text
        if keywords == {"type", "enum"}:
            return _one_of(field["enum"])
        if keywords == {"type", "maxLength"}:
            return _text_up_to(field["maxLength"])
        if keywords == {"type", "format"} and field["format"] == "date-time":
            return _date_time
    raise ValueError(f"no fast check for the schema {sorted(keywords)} of {field}")


# Object keywords an ObjectShape understands; any other one (minProperties, anyOf...) could
# refuse an object the shape accepts, so building a shape for it fails loudly.
_OBJECT_KEYWORDS = frozenset(
    {"type", "properties", "required", "$schema", "title", "comment", "definitions"}
)


class ObjectShape:
    """The compliant shape of a JSON object: one check per property, and the required ones.

    Built from the schema of the object at ``path`` in an action's request. Properties holding
    objects or arrays are left out (an object carrying one is not recognised) unless named in
    ``lists``: their check then only says "an array of at least minItems", and the fast path
    checks the items itself. Fields stating a default (not through a $ref) are listed in
    ``defaults``: the full path's validator fills those in, so a fast path reading the object
    must do the same.
    """

    def __init__(self, ocpp_version: str, action: str, *path: str, lists: Iterable[str] = ()):
        schema = schemas.request_object(ocpp_version, action, *path)
        unknown = schema.keys() - _OBJECT_KEYWORDS - _ANNOTATIONS
        if unknown:
            raise ValueError(f"no fast check for {sorted(unknown)} of {action} {path}")
        lists = frozenset(lists)
        self.checks: dict[str, Check] = {}
        self.defaults: dict[str, Any] = {}
        for name, stated in schema["properties"].items():
            field = schemas.request_field(ocpp_version, action, *path, name)
            if name in lists:
                self.checks[name] = list_check(field)
            elif field.get("type") not in ("object", "array"):
                self.checks[name] = field_check(field)
                if "default" in stated:  # fastjsonschema fills in no default behind a $ref
                    self.defaults[name] = stated["default"]
        self.required = frozenset(schema.get("required", ()))

    def matches(self, value: Any) -> bool:
        """Whether ``value`` is an object the schema accepts, with nothing left unchecked."""
        if type(value) is not dict:
            return False
        checks = self.checks
        for name, item in value.items():
            check = checks.get(name)
            if check is None or not check(item):
                return False
        return value.keys() >= self.required

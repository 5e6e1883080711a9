"""The OCPP JSON schemas shipped inside the ``ocpp`` package, compiled once with fastjsonschema.

The ``ocpp`` library validates with ``jsonschema``, which interprets the schema on every message;
fastjsonschema turns each schema into plain Python code once, which is an order of magnitude
faster on the per-message path. Validators are compiled lazily (the first message of an action
pays a few milliseconds) and shared by every session of the process.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import fastjsonschema
import ocpp

OCPP_VERSIONS = ("1.6", "2.0.1")

Validator = Callable[[Any], Any]
_SCHEMA_DIRS = {"1.6": "v16", "2.0.1": "v201"}
_PACKAGE_DIR = Path(ocpp.__file__).parent


def _schema_dir(ocpp_version: str) -> Path:
    return _PACKAGE_DIR / _SCHEMA_DIRS[ocpp_version] / "schemas"


def _request_file_name(ocpp_version: str, action: str) -> str:
    # 1.6 files are named after the action, 2.0.1 files carry a "Request" suffix.
    return f"{action}.json" if ocpp_version == "1.6" else f"{action}Request.json"


@cache
def known_actions(ocpp_version: str) -> frozenset[str]:
    """Every action the OCPP version defines, in either direction (from the schema file names)."""
    names = {path.stem for path in _schema_dir(ocpp_version).glob("*.json")}
    if ocpp_version == "1.6":
        return frozenset(n for n in names if not n.endswith("Response"))
    return frozenset(n.removesuffix("Request") for n in names if n.endswith("Request"))


def _read(path: Path) -> Any:
    # The 2.0.1 schema files start with a UTF-8 byte order mark.
    return json.loads(path.read_text(encoding="utf-8-sig"))


def _load(path: Path) -> Any:
    return _enums_as_formats(_read(path))


# fastjsonschema checks a string enum member by member (two calls per member: a measurand
# costs up to 44 of them); a custom format checks set membership in one call. Same meaning,
# a quarter less time on a MeterValues-heavy load. The 1.6 schemas also put
# additionalProperties on string enums, where it means nothing and only costs time.
ENUM_FORMAT_PREFIX = "ocpp-enum-"
_ENUM_FORMATS: dict[str, Callable[[str], bool]] = {}


def _enums_as_formats(node: Any) -> Any:
    if isinstance(node, list):
        return [_enums_as_formats(item) for item in node]
    if not isinstance(node, dict):
        return node
    result = {key: _enums_as_formats(value) for key, value in node.items()}
    members = result.get("enum")
    if (
        result.get("type") == "string"
        and isinstance(members, list)
        and all(isinstance(member, str) for member in members)
    ):
        result.pop("additionalProperties", None)
        del result["enum"]
        name = f"{ENUM_FORMAT_PREFIX}{'|'.join(members)}"
        _ENUM_FORMATS.setdefault(name, frozenset(members).__contains__)
        result["format"] = name
    return result


def _compile(path: Path) -> Validator:
    schema = _load(path)
    return fastjsonschema.compile(schema, formats=_ENUM_FORMATS)


@cache
def request_validator(ocpp_version: str, action: str) -> Validator:
    """The compiled validator of an action's request payload (raises KeyError if unknown)."""
    if action not in known_actions(ocpp_version):
        raise KeyError(action)
    return _compile(_schema_dir(ocpp_version) / _request_file_name(ocpp_version, action))


@cache
def _request_schema(ocpp_version: str, action: str) -> dict[str, Any]:
    if action not in known_actions(ocpp_version):
        raise KeyError(action)
    schema: dict[str, Any] = _read(
        _schema_dir(ocpp_version) / _request_file_name(ocpp_version, action)
    )
    return schema


def request_field(ocpp_version: str, action: str, *path: str) -> dict[str, Any]:
    """The schema of a field of an action's request, as the schema file states it.

    ``path`` names the properties from the payload down, stepping into arrays and following
    ``$ref`` on the way: ``("meterValue", "sampledValue", "measurand")``; no path is the
    payload itself. The fast paths build their checks from these (exporter.shapes), so
    they cannot drift from the schema they stand in for.
    """
    root = _request_schema(ocpp_version, action)
    node = root
    for name in path:
        node = _resolve(root, _items(root, node)["properties"][name])
    return node


def request_object(ocpp_version: str, action: str, *path: str) -> dict[str, Any]:
    """The schema of the object at ``path`` (of an array's items, for an array field)."""
    root = _request_schema(ocpp_version, action)
    return _items(root, request_field(ocpp_version, action, *path))


def _items(root: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    return _resolve(root, node["items"]) if node.get("type") == "array" else node


def _resolve(root: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    reference = node.get("$ref")
    if reference is None:
        return node
    # The OCPP schemas only refer to their own definitions: "#/definitions/<Name>".
    definition: dict[str, Any] = root["definitions"][reference.removeprefix("#/definitions/")]
    return definition


@cache
def response_validator(ocpp_version: str, action: str) -> Validator:
    """The compiled validator of an action's response payload (tests check every reply with it)."""
    if action not in known_actions(ocpp_version):
        raise KeyError(action)
    return _compile(_schema_dir(ocpp_version) / f"{action}Response.json")


SchemaError = fastjsonschema.JsonSchemaValueException


def missing_required(ocpp_version: str, action: str, payload: Any) -> list[str]:
    """The required fields absent from a request payload, as paths (``meterValue[].timestamp``).

    fastjsonschema stops at the first violation, which may hide a missing field behind a
    number sent as a string; a lenient reading must still refuse a payload that lacks what
    the spec requires (exporter.session). Fields of the wrong type are not descended into.
    """
    root = _request_schema(ocpp_version, action)
    missing: list[str] = []
    _collect_missing(root, root, payload, "", missing)
    return missing


def _collect_missing(
    root: dict[str, Any], node: dict[str, Any], value: Any, path: str, missing: list[str]
) -> None:
    node = _resolve(root, node)
    if type(value) is list and node.get("type") == "array" and "items" in node:
        for item in value:
            _collect_missing(root, node["items"], item, f"{path}[]", missing)
        return
    if type(value) is not dict:
        return
    prefix = f"{path}." if path else ""
    missing.extend(f"{prefix}{name}" for name in node.get("required", ()) if name not in value)
    for name, field in node.get("properties", {}).items():
        if name in value:
            _collect_missing(root, field, value[name], f"{prefix}{name}", missing)

"""Read docker-compose.yml as Compose would, for static checks without a Docker engine.

Compose resolves ``${VAR:-default}`` from the environment; the checks read the file as it
deploys with nothing set, i.e. with the defaults the file ships.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.support.paths import REPO

COMPOSE_FILE = REPO / "docker-compose.yml"
SECRETS_DIR = "/run/secrets"
GENERATED = "generated"  # the named volume `config-render` writes and the others mount
CONFIG_MOUNT = "/etc/chargekeeper"

# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error}, ${NAME?error}, and $$ (a literal $).
_VARIABLE = re.compile(r"\$\$|\$\{(?P<name>\w+)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")


def interpolate(text: str, environment: Mapping[str, str]) -> str:
    """``text`` with Compose's variable syntax resolved against ``environment``."""

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, op, arg = match.group("name", "op", "arg")
        value = environment.get(name)
        if op in (":-", ":?") and not value:
            value = None
        if value is not None:
            return value
        if op is None:
            return ""
        if op.endswith("?"):
            raise ValueError(f"${{{name}}} is required: {arg}")
        return str(arg)

    return _VARIABLE.sub(replace, text)


def _interpolate_tree(node: Any, environment: Mapping[str, str]) -> Any:
    if isinstance(node, str):
        return interpolate(node, environment)
    if isinstance(node, list):
        return [_interpolate_tree(item, environment) for item in node]
    if isinstance(node, dict):
        return {key: _interpolate_tree(value, environment) for key, value in node.items()}
    return node


def load_raw(path: Path = COMPOSE_FILE) -> dict[str, Any]:
    """The YAML document (anchors and ``<<`` merges resolved), before interpolation."""
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(document, dict), f"{path}: not a mapping"
    return document


def load(path: Path = COMPOSE_FILE, environment: Mapping[str, str] | None = None) -> Compose:
    """The compose file as deployed with ``environment`` (default: nothing set)."""
    document = _interpolate_tree(load_raw(path), environment or {})
    return Compose(document)


@dataclass(frozen=True)
class Mount:
    source: str
    target: str
    read_only: bool

    @property
    def is_bind(self) -> bool:
        return self.source.startswith((".", "/"))


@dataclass(frozen=True)
class Service:
    name: str
    spec: dict[str, Any]

    @property
    def image(self) -> str:
        return str(self.spec.get("image", ""))

    @property
    def command(self) -> list[str]:
        command = self.spec.get("command", [])
        assert isinstance(command, list), f"{self.name}: write command as a list"
        return [str(item) for item in command]

    def options(self, name: str) -> list[str]:
        """Every value of ``--name=VALUE`` in the command, in order."""
        prefix = f"--{name}="
        return [item.removeprefix(prefix) for item in self.command if item.startswith(prefix)]

    def option(self, name: str) -> str:
        values = self.options(name)
        assert len(values) == 1, f"{self.name}: expected one --{name}=…, found {values}"
        return values[0]

    @property
    def mounts(self) -> list[Mount]:
        mounts = []
        for entry in self.spec.get("volumes", []):
            assert isinstance(entry, str), f"{self.name}: use the short volume syntax"
            source, target, *mode = entry.split(":")
            mounts.append(Mount(source, target, mode == ["ro"]))
        return mounts

    def mount_of(self, source: str) -> Mount:
        found = [mount for mount in self.mounts if mount.source == source]
        assert len(found) == 1, f"{self.name}: expected one mount of {source}, found {found}"
        return found[0]

    @property
    def secrets(self) -> list[str]:
        return [str(secret) for secret in self.spec.get("secrets", [])]

    @property
    def environment(self) -> dict[str, str]:
        environment = self.spec.get("environment", {})
        assert isinstance(environment, dict), f"{self.name}: write environment as a mapping"
        return {str(key): str(value) for key, value in environment.items()}

    @property
    def published_ports(self) -> dict[int, str]:
        """Container port → the host side as written ("9000" or "127.0.0.1:9095")."""
        published = {}
        for entry in self.spec.get("ports", []):
            host, _, container = str(entry).rpartition(":")
            published[int(container)] = host
        return published

    def strings(self) -> Iterator[str]:
        """Every string in the service definition (commands, environment, entrypoint…)."""
        yield from _strings(self.spec)


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            yield str(key)
            yield from _strings(value)


@dataclass(frozen=True)
class Compose:
    document: dict[str, Any]

    @property
    def services(self) -> dict[str, Service]:
        return {name: Service(name, spec) for name, spec in self.document["services"].items()}

    def service(self, name: str) -> Service:
        return self.services[name]

    def with_image(self, repository: str) -> list[Service]:
        """Services running ``repository`` (any tag), by name."""
        return sorted(
            (s for s in self.services.values() if s.image.partition(":")[0] == repository),
            key=lambda service: service.name,
        )


def port_of(address: str) -> int:
    """The port of ``HOST:PORT`` (or of a URL ending in one)."""
    return int(address.rstrip("/").rpartition(":")[2])

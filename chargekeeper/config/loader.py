"""Load YAML files into pydantic models with errors that point at a file and line.

Operators edit these files by hand, so an error must say where it is and what is expected:
``fleet.yaml:14: chargers[3].site: unknown site 'lyon-2'``. PyYAML's composed node tree keeps
the line of every value; pydantic's error location is walked through it to find the line.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


class ConfigError(Exception):
    """A configuration file is missing, unreadable or invalid. ``problems`` lists each finding."""

    def __init__(self, path: Path | str, problems: Sequence[str]) -> None:
        self.path = Path(path)
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


def _line_of(node: yaml.Node | None, loc: Sequence[int | str]) -> int | None:
    """The 1-based line of the value at ``loc`` (or of its closest existing parent)."""
    line = node.start_mark.line + 1 if node is not None else None
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            found = [v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == key]
            if not found:
                break
            node = found[0]
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
        else:
            break
        line = node.start_mark.line + 1
    return line


def format_loc(loc: Sequence[int | str]) -> str:
    """``('chargers', 3, 'site')`` → ``chargers[3].site``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def read_yaml(path: Path) -> tuple[Any, yaml.Node | None]:
    """Parse ``path`` and return both the data and the node tree (for line numbers)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(path, [f"{path}: file not found"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(path, [f"{path}: cannot read: {exc}"]) from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(path, [f"{where}: invalid YAML: {problem}"]) from None
    return data, node


def validation_problems(
    path: Path, node: yaml.Node | None, error: ValidationError, loc_prefix: Sequence[int | str] = ()
) -> list[str]:
    """One ``file:line: field: message`` line per pydantic error."""
    problems = []
    for err in error.errors():
        loc = [*loc_prefix, *err["loc"]]
        line = _line_of(node, loc)
        where = f"{path}:{line}" if line is not None else str(path)
        message = err["msg"].removeprefix("Value error, ")
        problems.append(f"{where}: {format_loc(loc)}: {message}")
    return problems


def load_model(path: Path, model: type[M]) -> M:
    """Read a YAML file into ``model``; raise :class:`ConfigError` listing every problem."""
    data, node = read_yaml(path)
    try:
        return model.model_validate(data if data is not None else {})
    except ValidationError as exc:
        raise ConfigError(path, validation_problems(path, node, exc)) from None

"""Validate a proposed routing.yaml exactly as the receiver will read it, with precise errors.

The proposal is written to a scratch file and read with
:func:`chargekeeper.config.routing.load_routing` (PyYAML, the model, every reference checked
against the fleet), so the console accepts exactly what a restarted receiver would accept.
Each problem keeps its line and field (``technicians[6].phone``) so the page can show it
beside the form field it is about.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from chargekeeper.config.fleet import Fleet
from chargekeeper.config.loader import ConfigError
from chargekeeper.config.routing import RoutingPolicy, load_routing
from chargekeeper.render.stack import ROUTING_FILE

# What follows the path in a loader problem: ":LINE: FIELD: message" (line and field optional).
_PROBLEM = re.compile(r"^(?::(?P<line>\d+))?: (?P<rest>.*)$", re.DOTALL)
# A field location as chargekeeper.config.loader.format_loc writes it.
_FIELD = re.compile(
    r"^(?P<field>[A-Za-z_]\w*(?:\[\d+\]|\.[A-Za-z_]\w*)*): (?P<message>.*)$", re.DOTALL
)


@dataclass(frozen=True)
class Problem:
    """One reason the proposed routing cannot be used."""

    message: str
    line: int | None = None
    # Where in the policy, as in ``coverage[2].sites[0]``; empty when not about one field.
    field: str = ""

    def __str__(self) -> str:
        where = f"{ROUTING_FILE}:{self.line}: " if self.line is not None else ""
        return f"{where}{self.field + ': ' if self.field else ''}{self.message}"

    def field_of(self, section: str, index: int) -> str | None:
        """The field of entry ``index`` of ``section`` this problem is about: ``"phone"``,
        ``""`` for the entry as a whole, None when it is about something else."""
        match = re.match(rf"^{re.escape(section)}\[{index}\](?:\.(\w+))?", self.field)
        if match is None:
            return None
        return match.group(1) or ""

    def field_under(self, key: str) -> str | None:
        """The field of the top-level mapping ``key`` (``timing``) this problem is about."""
        match = re.match(rf"^{re.escape(key)}\.(\w+)", self.field)
        return match.group(1) if match else None


class RoutingRejected(Exception):
    """The proposed routing is invalid; ``problems`` says where and why."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def _problem(text: str, path: Path) -> Problem:
    rest = text.removeprefix(str(path))
    match = _PROBLEM.match(rest)
    if match is None:
        return Problem(rest)
    line = int(match.group("line")) if match.group("line") else None
    body = match.group("rest")
    field = _FIELD.match(body)
    if field is None:
        return Problem(body, line)
    return Problem(field.group("message"), line, field.group("field"))


def check_routing(text: str, fleet: Fleet) -> RoutingPolicy:
    """The policy ``text`` describes, or RoutingRejected listing every problem."""
    with tempfile.TemporaryDirectory(prefix="routing-check-") as scratch:
        path = Path(scratch) / ROUTING_FILE
        path.write_text(text, encoding="utf-8")
        try:
            return load_routing(path, fleet)
        except ConfigError as exc:
            raise RoutingRejected([_problem(p, path) for p in exc.problems]) from None

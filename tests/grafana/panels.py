"""Reading the generated dashboards the way Grafana does: targets, variables, interpolation."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from chargekeeper.dashboards import BUILDERS

LABEL_VALUES = re.compile(r"^label_values\((?P<selector>.+),\s*(?P<label>\w+)\)$")


@dataclass(frozen=True)
class Query:
    dashboard: str
    panel: str
    kind: str  # "prometheus" | "influxdb"
    text: str
    instant: bool

    def __str__(self) -> str:
        return f"{self.dashboard} / {self.panel}: {self.text}"


def dashboards() -> dict[str, dict[str, Any]]:
    return {name: build() for name, build in BUILDERS.items()}


def content(dashboard: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The panels that show data: every panel but the row headers."""
    return [panel for panel in dashboard["panels"] if panel["type"] != "row"]


def queries(dashboard: Mapping[str, Any], kind: str) -> Iterator[Query]:
    for panel in content(dashboard):
        for target in panel["targets"]:
            if target["datasource"]["type"] != kind:
                continue
            text = target["expr"] if kind == "prometheus" else target["query"]
            yield Query(dashboard["uid"], panel["title"], kind, text, target.get("instant", False))


def interpolate(text: str, values: Mapping[str, str]) -> str:
    """Replace ``$name`` and ``${name}`` by ``values``, longest names first; fail on leftovers."""
    for name in sorted(values, key=len, reverse=True):
        text = text.replace("${" + name + "}", values[name]).replace("$" + name, values[name])
    # "$1" is PromQL's (label_replace's replacement), and no Grafana variable name.
    leftover = re.findall(r"\$\{?[A-Za-z_]\w*", text)
    assert not leftover, f"no value for {leftover} in {text}"
    return text

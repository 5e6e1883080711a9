"""Grafana JSON building blocks: datasources, template variables, targets, panels, layout.

Plain dictionaries in Grafana's own dashboard schema rather than a builder library such as
grafanalib: the generated JSON is what reviewers diff and what Grafana loads, so the code that
writes it should name the same keys. Only the handful of panel types the dashboards use are here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

JSON = dict[str, Any]

TAG = "chargekeeper"
TITLE_PREFIX = "Chargekeeper / "
# Grafana 10/11 dashboard schema; provisioning upgrades older JSON, newer fields are ignored.
SCHEMA_VERSION = 39
GRID_WIDTH = 24

PROMETHEUS: JSON = {"type": "prometheus", "uid": "${prometheus}"}
INFLUXDB: JSON = {"type": "influxdb", "uid": "${influxdb}"}
# Table panels of instant queries: the evaluation time is the same in every row.
WITHOUT_TIME: JSON = {
    "transformations": [{"id": "organize", "options": {"excludeByName": {"Time": True}}}]
}


def datasource_variable(name: str, kind: str, label: str) -> JSON:
    """A datasource picker, so one dashboard serves any Prometheus or InfluxDB instance."""
    return {
        "name": name,
        "label": label,
        "type": "datasource",
        "query": kind,
        "current": {},
        "hide": 0,
        "refresh": 1,
        "options": [],
    }


def label_variable(
    name: str, label: str, metric: str, selector: str = "", *, multi: bool = True
) -> JSON:
    """Values of one label of ``metric`` (Grafana's ``label_values``), optionally multi-valued."""
    query = (
        f"label_values({metric}{{{selector}}}, {name})"
        if selector
        else (f"label_values({metric}, {name})")
    )
    variable: JSON = {
        "name": name,
        "label": label,
        "type": "query",
        "datasource": PROMETHEUS,
        "definition": query,
        "query": {"query": query, "refId": f"{name}-values"},
        "current": {},
        "hide": 0,
        "refresh": 2,  # on time range change: new chargers and sites appear without a reload
        "sort": 1,
        "multi": multi,
        "includeAll": multi,
        "options": [],
    }
    if multi:
        variable["allValue"] = ".*"
    return variable


def prometheus(
    expr: str, legend: str = "", *, instant: bool = False, table: bool = False, ref: str = "A"
) -> JSON:
    """A PromQL target; ``table`` (for table panels) implies an instant query."""
    instant = instant or table
    target: JSON = {
        "refId": ref,
        "datasource": PROMETHEUS,
        "expr": expr,
        "legendFormat": legend or "__auto",
        "instant": instant,
        "range": not instant,
    }
    if table:
        target["format"] = "table"
    return target


def influxql(query: str, *, table: bool = False, alias: str = "", ref: str = "A") -> JSON:
    target: JSON = {
        "refId": ref,
        "datasource": INFLUXDB,
        "rawQuery": True,
        "query": query,
        "resultFormat": "table" if table else "time_series",
    }
    if alias:
        target["alias"] = alias
    return target


def with_refs(targets: Sequence[JSON]) -> list[JSON]:
    """The targets with refIds A, B, C… in order."""
    return [{**target, "refId": chr(ord("A") + i)} for i, target in enumerate(targets)]


def value_mappings(texts: dict[str, str], colors: dict[str, str] | None = None) -> list[JSON]:
    """One value mapping from exact values to display texts (and colours)."""
    options: JSON = {}
    for index, (value, text) in enumerate(texts.items()):
        option: JSON = {"text": text, "index": index}
        if colors and value in colors:
            option["color"] = colors[value]
        options[value] = option
    return [{"type": "value", "options": options}]


def panel(
    kind: str,
    title: str,
    targets: Sequence[JSON],
    *,
    unit: str,
    width: int = 12,
    height: int = 8,
    description: str = "",
    mappings: Sequence[JSON] = (),
    overrides: Sequence[JSON] = (),
    options: JSON | None = None,
    extra: JSON | None = None,
    no_value: str | None = None,
    links: Sequence[JSON] = (),
    thresholds: Sequence[tuple[float | None, str]] = (),
) -> JSON:
    """One panel; its datasource is that of its targets (all targets share one).
    ``links`` are data links on every value (e.g. to a charger's dashboard); ``thresholds``
    are (from value, colour) steps, the first from ``None`` (the base colour)."""
    datasources = {target["datasource"]["uid"] for target in targets}
    if len(datasources) != 1:
        raise ValueError(f"panel {title!r} mixes datasources {sorted(datasources)}")
    defaults: JSON = {"unit": unit, "mappings": list(mappings)}
    if no_value is not None:
        defaults["noValue"] = no_value
    if links:
        defaults["links"] = list(links)
    if thresholds:
        defaults["thresholds"] = {
            "mode": "absolute",
            "steps": [{"value": value, "color": color} for value, color in thresholds],
        }
    result: JSON = {
        "type": kind,
        "title": title,
        "description": description,
        "datasource": targets[0]["datasource"],
        "targets": with_refs(targets),
        "fieldConfig": {"defaults": defaults, "overrides": list(overrides)},
        "options": options or {},
        "gridPos": {"w": width, "h": height},
    }
    if extra:
        result.update(extra)
    return result


def row(title: str) -> JSON:
    """A row header: a full-width, always expanded title over the panels that follow it."""
    return {
        "type": "row",
        "title": title,
        "collapsed": False,
        "panels": [],
        "gridPos": {"w": GRID_WIDTH, "h": 1},
    }


def layout(panels: Sequence[JSON]) -> list[JSON]:
    """Panels placed left to right, wrapping at the grid width, with ids 1, 2, 3… in order."""
    placed: list[JSON] = []
    x = y = row_height = 0
    for index, item in enumerate(panels, start=1):
        width, height = item["gridPos"]["w"], item["gridPos"]["h"]
        if x + width > GRID_WIDTH:
            x, y, row_height = 0, y + row_height, 0
        placed.append({**item, "id": index, "gridPos": {"x": x, "y": y, "w": width, "h": height}})
        x += width
        row_height = max(row_height, height)
    return placed


def dashboard(
    uid: str,
    title: str,
    description: str,
    variables: Sequence[JSON],
    panels: Sequence[JSON],
    *,
    time_from: str = "now-6h",
) -> JSON:
    return {
        "uid": uid,
        "title": TITLE_PREFIX + title,
        "description": description,
        "tags": [TAG],
        "editable": False,
        "graphTooltip": 1,
        "timezone": "browser",
        "schemaVersion": SCHEMA_VERSION,
        "version": 1,
        "refresh": "30s",
        "time": {"from": time_from, "to": "now"},
        "links": [
            {
                "type": "dashboards",
                "title": "Chargekeeper",
                "tags": [TAG],
                "asDropdown": True,
                "includeVars": True,
                "keepTime": True,
            }
        ],
        "templating": {"list": list(variables)},
        "annotations": {"list": []},
        "panels": layout(panels),
    }


CONNECTED_MAPPINGS = value_mappings(
    {"0": "Disconnected", "1": "Connected"}, {"0": "red", "1": "green"}
)
# A status series (one per OCPP status, 1 while current) drawn as a coloured band.
IN_STATUS_MAPPINGS = value_mappings({"1": "current"}, {"1": "blue"})


def charger_link(charger_uid: str) -> JSON:
    """A data link from a series with a ``charge_point_id`` label to that charger's dashboard."""
    return {
        "title": "Charger detail",
        "url": f"/d/{charger_uid}?var-client=${{__field.labels.client}}"
        "&var-site=${__field.labels.site}&var-charger=${__field.labels.charge_point_id}"
        "&${__url_time_range}",
    }

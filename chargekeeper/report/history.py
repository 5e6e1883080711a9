"""Reading the collector's history back from InfluxDB (InfluxQL, the 1.x ``/query`` API).

The schema is exporter/influx_schema.py's: ``ocpp_connection`` (field ``connected``) and
``ocpp_status`` (tag ``status``) tagged with charge_point_id, site, client and connector_id.
InfluxDB 2.x answers the same queries through its v1 compatibility API once the bucket has a
DBRP mapping.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from chargekeeper.report.availability import (
    ChargerHistory,
    ConnectionPoint,
    StatusPoint,
    Window,
)


class HistoryError(Exception):
    """InfluxDB could not be read: unreachable, refused, or it answered with an error."""


def influxql_string(value: str) -> str:
    """``value`` as an InfluxQL string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _ns(seconds: float) -> int:
    return round(seconds * 1e9)


@dataclass(frozen=True)
class InfluxHistory:
    """An InfluxDB database holding the collector's history."""

    url: str
    database: str
    auth: tuple[str, str] | None = None
    timeout: float = 60.0

    def query(self, influxql: str) -> list[dict[str, Any]]:
        """The series of the statement's result (empty when nothing matched)."""
        try:
            response = httpx.post(
                f"{self.url.rstrip('/')}/query",
                data={"q": influxql, "db": self.database, "epoch": "ms"},
                auth=self.auth,
                timeout=self.timeout,
            )
        except httpx.HTTPError as exc:
            raise HistoryError(f"cannot reach InfluxDB at {self.url}: {exc}") from exc
        if response.status_code != 200:
            raise HistoryError(
                f"InfluxDB at {self.url} answered {response.status_code}: {response.text[:300]}"
            )
        results = response.json().get("results", [])
        for result in results:
            if "error" in result:
                raise HistoryError(f"InfluxDB refused a query: {result['error']}")
        series: list[dict[str, Any]] = results[0].get("series", []) if results else []
        return series

    def chargers(self, client: str, window: Window) -> list[ChargerHistory]:
        """Every charger of ``client`` with a record before the end of ``window``: its records
        inside the window plus the last one before it (the state the window starts in)."""
        scope = f'"client" = {influxql_string(client)}'
        inside = f"{scope} AND time >= {_ns(window.start)} AND time < {_ns(window.end)}"
        before = f"{scope} AND time < {_ns(window.start)}"
        histories: dict[str, ChargerHistory] = {}

        def charger(tags: dict[str, str], site: str) -> ChargerHistory:
            cp = tags["charge_point_id"]
            return histories.setdefault(cp, ChargerHistory(cp, site))

        for tags, row in _rows(
            self.query(
                f'SELECT last("connected") AS "connected", "site" FROM "ocpp_connection" '  # noqa: S608 (client is quoted by influxql_string)
                f'WHERE {before} GROUP BY "charge_point_id"'
            )
        ):
            charger(tags, row["site"]).connections.append(
                ConnectionPoint(row["time"] / 1000, bool(row["connected"]))
            )
        for tags, row in _rows(
            self.query(
                f'SELECT "connected", "site" FROM "ocpp_connection" WHERE {inside} '  # noqa: S608 (as above)
                f'GROUP BY "charge_point_id"'
            )
        ):
            charger(tags, row["site"]).connections.append(
                ConnectionPoint(row["time"] / 1000, bool(row["connected"]))
            )
        # The last status before the window, per connector: the latest over its status tags.
        latest: dict[tuple[str, str], tuple[StatusPoint, str]] = {}
        for tags, row in _rows(
            self.query(
                f'SELECT last("vendor_id") AS "vendor_id", "site" FROM "ocpp_status" '  # noqa: S608 (as above)
                f'WHERE {before} GROUP BY "charge_point_id", "connector_id", "status"'
            )
        ):
            key = (tags["charge_point_id"], tags["connector_id"])
            point = StatusPoint(row["time"] / 1000, tags["status"])
            if key not in latest or latest[key][0].time < point.time:
                latest[key] = (point, row["site"])
        for (cp, connector), (point, site) in sorted(latest.items()):
            charger({"charge_point_id": cp}, site).statuses.setdefault(connector, []).append(point)
        for tags, row in _rows(
            self.query(
                f'SELECT "vendor_id", "status", "site" FROM "ocpp_status" WHERE {inside} '  # noqa: S608 (as above)
                f'GROUP BY "charge_point_id", "connector_id"'
            )
        ):
            history = charger(tags, row["site"])
            history.statuses.setdefault(tags["connector_id"], []).append(
                StatusPoint(row["time"] / 1000, row["status"])
            )
        for history in histories.values():
            history.connections.sort(key=lambda p: p.time)
            for points in history.statuses.values():
                points.sort(key=lambda p: p.time)
        return [histories[cp] for cp in sorted(histories)]


def _rows(series: list[dict[str, Any]]) -> Iterator[tuple[dict[str, str], dict[str, Any]]]:
    for one in series:
        tags: dict[str, str] = one.get("tags", {})
        for values in one["values"]:
            yield tags, dict(zip(one["columns"], values, strict=True))

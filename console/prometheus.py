"""Read-only queries to Prometheus's HTTP API for the console's live pages and charts.

The console shows what Prometheus knows now (connections, connector states, firing alerts) and
over a period (timelines, availability). Each call is one request with a short timeout: a page
that cannot reach Prometheus says so (:class:`PrometheusUnavailable`) and shows the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx


class PrometheusUnavailable(RuntimeError):
    """Prometheus did not answer, or refused the query; the message says which and where."""


@dataclass(frozen=True)
class Sample:
    """One series' value at the query's instant."""

    labels: dict[str, str]
    value: float


@dataclass(frozen=True)
class Series:
    """One series' values over a range: (unix seconds, value) pairs in time order."""

    labels: dict[str, str]
    points: list[tuple[float, float]]


class PrometheusQueries:
    """``query`` and ``query_range`` against one Prometheus server."""

    def __init__(self, base_url: str, timeout: float = 5.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._timeout = timeout

    def instant(self, promql: str, at: datetime | None = None) -> list[Sample]:
        params = {"query": promql}
        if at is not None:
            params["time"] = f"{at.timestamp():.3f}"
        data = self._get("/api/v1/query", params)
        return [Sample(dict(row["metric"]), float(row["value"][1])) for row in data["result"]]

    def range(
        self, promql: str, start: datetime, end: datetime, step_seconds: float
    ) -> list[Series]:
        params = {
            "query": promql,
            "start": f"{start.timestamp():.3f}",
            "end": f"{end.timestamp():.3f}",
            "step": f"{step_seconds:g}",
        }
        data = self._get("/api/v1/query_range", params)
        return [
            Series(dict(row["metric"]), [(float(t), float(v)) for t, v in row["values"]])
            for row in data["result"]
        ]

    def _get(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        try:
            with httpx.Client(base_url=self.base_url, timeout=self._timeout) as client:
                response = client.get(path, params=params)
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise PrometheusUnavailable(
                f"cannot query Prometheus at {self.base_url}: {exc}"
            ) from None
        if not response.is_success or body.get("status") != "success":
            raise PrometheusUnavailable(
                f"Prometheus at {self.base_url} refused {params['query']!r}: HTTP "
                f"{response.status_code} {body.get('error', '')}".strip()
            )
        data: dict[str, Any] = body["data"]
        return data

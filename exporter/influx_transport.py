"""How a batch of line protocol reaches the server: InfluxDB 2.x's API or InfluxDB 1.x's /write.

A :class:`LineTransport` runs on the InfluxDB writer's worker thread (exporter.influx) and says
by its exception whether a failed batch may succeed on retry (:class:`WriteFailed`) or never
will (:class:`WriteRejected`).
"""

from __future__ import annotations

from typing import Protocol

import httpx
from influxdb_client.client.influxdb_client import InfluxDBClient
from influxdb_client.client.write_api import SYNCHRONOUS
from influxdb_client.rest import ApiException

from exporter.influx_schema import PRECISION

# HTTP statuses that mean "this data will never be accepted": retrying the batch cannot help.
REJECTED_STATUSES = frozenset({400, 413, 422})


class WriteFailed(Exception):
    """A write that may succeed if retried: server down, timeout, 5xx, 429, auth, missing bucket."""


class WriteRejected(Exception):
    """The server refused the data itself (HTTP 400/413/422); retrying cannot help."""


def _raise_for_status(status: int, detail: str) -> None:
    if 200 <= status < 300:
        return
    message = f"HTTP {status}: {detail[:500]}"
    if status in REJECTED_STATUSES:
        raise WriteRejected(message)
    raise WriteFailed(message)


class LineTransport(Protocol):
    """Sends one batch of line protocol (millisecond timestamps). Runs on the worker thread."""

    def write(self, body: str) -> None:
        """Return when the server accepted the batch; raise WriteFailed or WriteRejected."""
        ...

    def close(self) -> None: ...


class InfluxV2Transport:
    """``/api/v2/write`` through influxdb-client's synchronous write API."""

    def __init__(self, url: str, token: str, org: str, bucket: str, timeout: float) -> None:
        self._org = org
        self._bucket = bucket
        # retries=False: each attempt is counted and backed off by the writer, not by urllib3.
        self._client = InfluxDBClient(
            url=url, token=token, org=org, timeout=round(timeout * 1000), retries=False
        )
        self._api = self._client.write_api(write_options=SYNCHRONOUS)

    def write(self, body: str) -> None:
        try:
            self._api.write(
                bucket=self._bucket, org=self._org, record=body, write_precision=PRECISION
            )
        except ApiException as exc:
            raw = exc.body
            detail = raw.decode(errors="replace") if isinstance(raw, bytes) else raw
            _raise_for_status(int(exc.status or 0), str(detail or exc.reason))
        except Exception as exc:  # urllib3 and socket errors: the server is unreachable
            raise WriteFailed(f"{type(exc).__name__}: {exc}") from exc

    def close(self) -> None:
        self._client.close()  # type: ignore[no-untyped-call]


class InfluxV1Transport:
    """InfluxDB 1.x ``/write``: the same line protocol, database and retention policy in the URL.

    Follows InfluxDB 1.8's own mapping for v2 clients: bucket is ``database`` or
    ``database/retention_policy`` and the token is ``username:password`` (empty: no auth).
    """

    def __init__(self, url: str, token: str, bucket: str, timeout: float) -> None:
        database, _, retention_policy = bucket.partition("/")
        self._params = {"db": database, "precision": "ms"}
        if retention_policy:
            self._params["rp"] = retention_policy
        username, _, password = token.partition(":")
        auth = httpx.BasicAuth(username, password) if token else None
        self._client = httpx.Client(base_url=url, auth=auth, timeout=timeout)

    def write(self, body: str) -> None:
        try:
            response = self._client.post("/write", params=self._params, content=body.encode())
        except httpx.HTTPError as exc:
            raise WriteFailed(f"{type(exc).__name__}: {exc}") from exc
        _raise_for_status(response.status_code, response.text)

    def close(self) -> None:
        self._client.close()

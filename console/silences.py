"""Alertmanager's v2 API as the console uses it: create and expire an alert's silence, and ask
whether a silenced alert is still active (Alertmanager will not say when it resolves)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime

import httpx

_GONE = ("silence not found", "already expired")
# Label values put into a ``filter`` matcher as they are. Alertmanager parses each filter string
# (its classic and its UTF-8 matcher grammars differ on escapes), so a value holding a quote, a
# backslash or a control character is left out of the filter rather than escaped; the answer is
# then broader and the fingerprint still picks the one alert.
_PLAIN_VALUE = re.compile(r'[^"\\\x00-\x1f\x7f]*')


class SilenceError(RuntimeError):
    """Alertmanager refused or could not be reached (the message says which and why)."""


class SilenceClient:
    """A thin client of ``/api/v2/silences``; ``transport`` is the test seam."""

    def __init__(
        self, base_url: str, timeout: float = 5.0, transport: httpx.BaseTransport | None = None
    ) -> None:
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"), timeout=timeout, transport=transport
        )

    def create(
        self,
        labels: Mapping[str, str],
        starts_at: datetime,
        ends_at: datetime,
        created_by: str,
        comment: str,
    ) -> str:
        """Silence exactly the alert with these labels (every label an equality matcher)."""
        body = {
            "matchers": [
                {"name": name, "value": value, "isRegex": False, "isEqual": True}
                for name, value in sorted(labels.items())
            ],
            "startsAt": starts_at.isoformat(),
            "endsAt": ends_at.isoformat(),
            "createdBy": created_by,
            "comment": comment,
        }
        response = self._send("POST", "/api/v2/silences", body)
        silence_id = response.json().get("silenceID")
        if not isinstance(silence_id, str):
            raise SilenceError(f"Alertmanager answered without a silenceID: {response.text[:200]}")
        return silence_id

    def expire(self, silence_id: str) -> None:
        """Expire a silence; one already expired or gone counts as done."""
        try:
            self._send("DELETE", f"/api/v2/silence/{silence_id}")
        except SilenceError as exc:
            # Alertmanager answers 500 (not 404) for an unknown or already expired silence.
            if not any(marker in str(exc) for marker in _GONE):
                raise

    def is_active(self, labels: Mapping[str, str], fingerprint: str) -> bool:
        """Whether Alertmanager still holds the alert as firing, silenced or inhibited included.

        ``GET /api/v2/alerts`` leaves out every alert whose end is past, so an alert that
        resolved (or that Alertmanager dropped after resolving it) is simply absent.
        """
        matchers = [
            f'{name}="{value}"'
            for name, value in sorted(labels.items())
            if _PLAIN_VALUE.fullmatch(value)
        ]
        params = httpx.QueryParams(
            {"filter": matchers, "silenced": "true", "inhibited": "true", "active": "true"}
        )
        response = self._send("GET", "/api/v2/alerts", params=params)
        found = response.json()
        if not isinstance(found, list):
            raise SilenceError(f"Alertmanager listed alerts as {type(found).__name__}, not a list")
        return any(isinstance(a, dict) and a.get("fingerprint") == fingerprint for a in found)

    def started_at(self) -> datetime:
        """When Alertmanager last started (``uptime`` of ``/api/v2/status``)."""
        status = self._send("GET", "/api/v2/status").json()
        uptime = status.get("uptime") if isinstance(status, dict) else None
        try:
            started = datetime.fromisoformat(str(uptime))
        except ValueError as exc:
            raise SilenceError(f"Alertmanager's status has no valid uptime: {uptime!r}") from exc
        return started if started.tzinfo else started.replace(tzinfo=UTC)

    def close(self) -> None:
        self._client.close()

    def _send(
        self,
        method: str,
        path: str,
        body: object = None,
        params: httpx.QueryParams | None = None,
    ) -> httpx.Response:
        try:
            response = self._client.request(method, path, json=body, params=params)
        except httpx.HTTPError as exc:
            raise SilenceError(
                f"Alertmanager at {self._client.base_url} unreachable: {exc}"
            ) from exc
        if response.is_success:
            return response
        raise SilenceError(
            f"Alertmanager {method} {path} answered {response.status_code}: {response.text[:200]}"
        )

"""Alertmanager silences through its v2 API: create one for an alert's labels, expire it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import httpx

_GONE = ("silence not found", "already expired")


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

    def close(self) -> None:
        self._client.close()

    def _send(self, method: str, path: str, body: object = None) -> httpx.Response:
        try:
            response = self._client.request(method, path, json=body)
        except httpx.HTTPError as exc:
            raise SilenceError(
                f"Alertmanager at {self._client.base_url} unreachable: {exc}"
            ) from exc
        if response.is_success:
            return response
        raise SilenceError(
            f"Alertmanager {method} {path} answered {response.status_code}: {response.text[:200]}"
        )

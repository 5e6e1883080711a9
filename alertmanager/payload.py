"""Alertmanager's webhook body, version 4, read leniently.

Unknown keys are ignored (newer Alertmanagers add some) and every field that Alertmanager may
leave out has a default, so only a body that is not a webhook at all is refused.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

# Alertmanager writes Go's zero time for "no end yet".
_GO_ZERO_YEAR = 1
# Alertmanager sends a uint64, the store keeps a 32-bit INTEGER: a larger count cannot be
# stored (every retry would fail), and no group ever truncates two billion alerts.
MAX_TRUNCATED_ALERTS = 2**31 - 1


def _without_nul(value: Any) -> Any:
    """``value`` with every NUL character in its strings replaced by U+FFFD.

    Label values come from chargers (vendor codes, info strings) and may hold NUL, which
    PostgreSQL refuses in text: storing would fail on every retry, so the webhook would be
    lost. The replacement keeps the rest of the text and shows where the NUL was.
    """
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd") if "\x00" in value else value
    if isinstance(value, dict):
        return {_without_nul(key): _without_nul(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_without_nul(item) for item in value]
    return value


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class WebhookAlert(_Lenient):
    """One alert of a group."""

    status: Literal["firing", "resolved"]
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    starts_at: datetime = Field(alias="startsAt")
    ends_at: datetime | None = Field(default=None, alias="endsAt")
    generator_url: str = Field(default="", alias="generatorURL")
    fingerprint: str = Field(min_length=1, max_length=64)

    @field_validator("starts_at", "ends_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        if value is None or value.year == _GO_ZERO_YEAR:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class WebhookPayload(_Lenient):
    """The body Alertmanager POSTs to a webhook receiver."""

    version: Literal["4"] = "4"
    receiver: str = Field(min_length=1, max_length=255)
    status: Literal["firing", "resolved"]
    alerts: list[WebhookAlert]
    group_labels: dict[str, str] = Field(default_factory=dict, alias="groupLabels")
    common_labels: dict[str, str] = Field(default_factory=dict, alias="commonLabels")
    common_annotations: dict[str, str] = Field(default_factory=dict, alias="commonAnnotations")
    external_url: str = Field(default="", alias="externalURL")
    group_key: str = Field(default="", alias="groupKey")
    truncated_alerts: int = Field(default=0, ge=0, le=MAX_TRUNCATED_ALERTS, alias="truncatedAlerts")

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        return _without_nul(data)

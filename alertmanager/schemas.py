"""JSON shapes of the receiver's API (``/api/v1/``): what the console builds on."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict


def _utc(value: datetime) -> datetime:
    # SQLite hands datetimes back naive; the store keeps UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


UtcDatetime = Annotated[datetime, AfterValidator(_utc)]


class WebhookAccepted(BaseModel):
    status: str = "stored"
    receipt_id: int
    alerts: int
    truncated_alerts: int


class Problem(BaseModel):
    """An error answer: what went wrong and how to fix it."""

    error: str
    detail: Any = None


class AlertOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    fingerprint: str
    status: str
    alertname: str
    severity: str
    family: str
    site: str
    charge_point_id: str
    starts_at: UtcDatetime
    ends_at: UtcDatetime | None
    labels: dict[str, str]
    annotations: dict[str, str]
    generator_url: str
    first_received_at: UtcDatetime
    last_received_at: UtcDatetime
    truncated: bool


class DeliveryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    created_at: UtcDatetime
    status: str
    site: str
    recipient_id: str
    recipient_name: str
    channel: str
    address: str
    language: str
    subject: str
    body_text: str
    state: str
    attempts: int
    next_attempt_at: UtcDatetime
    sent_at: UtcDatetime | None
    failure_reason: str | None
    failure_detail: str | None
    provider_id: str | None
    failover_of_id: int | None
    alert_ids: list[int]

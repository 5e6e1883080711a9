"""JSON shapes of the receiver's API (``/api/v1/``): what the console builds on."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


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
    starts_at: datetime
    ends_at: datetime | None
    labels: dict[str, str]
    annotations: dict[str, str]
    generator_url: str
    first_received_at: datetime
    last_received_at: datetime
    truncated: bool


class DeliveryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    created_at: datetime
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
    next_attempt_at: datetime
    sent_at: datetime | None
    failure_reason: str | None
    failure_detail: str | None
    provider_id: str | None
    failover_of_id: int | None
    alert_ids: list[int]

"""Every JSON shape of the API under ``/api/v1``, in one place: what the receiver's webhook
answers, and what the console's endpoints read and write.

The receiver and the console both serve ``/api/v1`` in one app; these models are their
contract with clients, and the OpenAPI document is generated from them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, computed_field

from chargekeeper.fault_since import fault_since
from chargekeeper.store import Acknowledgement, Alert, Delivery

# --- the Alertmanager webhook ---------------------------------------------------------------


class WebhookAccepted(BaseModel):
    status: str = "stored"
    receipt_id: int
    alerts: int
    truncated_alerts: int


class Problem(BaseModel):
    """An error answer: what went wrong and how to fix it."""

    error: str
    detail: Any = None


# --- alerts, acknowledgements, the delivery log --------------------------------------------


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

    @computed_field(  # type: ignore[prop-decorator]
        description="When the fault began: the 'since' annotation (the series' own start) "
        "when the rule gives one, else starts_at (when the current severity fired)"
    )
    @property
    def since(self) -> datetime:
        return fault_since(self.annotations, self.starts_at)


class AckOut(BaseModel):
    by: str
    at: datetime
    via: str
    note: str


class ConsoleAlertOut(AlertOut):
    ack: AckOut | None

    @classmethod
    def of(cls, alert: Alert, ack: Acknowledgement | None) -> ConsoleAlertOut:
        base = AlertOut.model_validate(alert).model_dump()
        return cls(
            **base,
            ack=AckOut(by=ack.by, at=ack.at, via=ack.via, note=ack.note) if ack else None,
        )


class AlertListOut(BaseModel):
    alerts: list[ConsoleAlertOut]
    counts: dict[str, dict[str, int]] = Field(
        description="Per filter, how many alerts each value would show with the other filters"
    )


class AckIn(BaseModel):
    note: str = Field(default="", max_length=2000)
    until: datetime | None = Field(
        default=None, description="Silence until then; omitted: until the alert resolves"
    )


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

    @classmethod
    def of(cls, row: Delivery) -> DeliveryOut:
        return cls(
            id=row.id,
            created_at=row.created_at,
            status=row.status,
            site=row.site,
            recipient_id=row.recipient_id,
            recipient_name=row.recipient_name,
            channel=row.channel,
            address=row.address,
            language=row.language,
            subject=row.subject,
            body_text=row.body_text,
            state=row.state.value,
            attempts=row.attempts,
            next_attempt_at=row.next_attempt_at,
            sent_at=row.sent_at,
            failure_reason=row.failure_reason,
            failure_detail=row.failure_detail,
            provider_id=row.provider_id,
            failover_of_id=row.failover_of_id,
            alert_ids=[link.alert_id for link in row.alerts],
        )


# --- chargers and their maintenance records ------------------------------------------------


class ChargerOut(BaseModel):
    id: str
    site: str
    client: str
    group: str
    vendor: str
    model: str
    firing_alerts: int


class IncidentOut(BaseModel):
    alert: ConsoleAlertOut
    duration: str = Field(description="Empty while the alert is still firing")


class ChargerRecordOut(BaseModel):
    charger: ChargerOut | None = Field(description="None for a charger absent from the fleet")
    incidents: list[IncidentOut]


# --- the rules (alert policy) ---------------------------------------------------------------


class RulesOut(BaseModel):
    policy: dict[str, Any] = Field(description="The whole policy with every default filled in")
    effective: dict[str, Any] = Field(
        description="Thresholds in effect per (site, group) and site-offline settings per site"
    )
    editable: bool
    read_only_reason: str | None


class SaveOut(BaseModel):
    outcome: str = Field(description="applied | rejected")
    summary: list[str]
    problems: list[str]
    change_id: int


class ChangeOut(BaseModel):
    id: int
    at: datetime
    by: str
    summary: str
    outcome: str
    detail: str
    before: str
    after: str


# --- the routing policy ---------------------------------------------------------------------


class RoutingOut(BaseModel):
    yaml: str = Field(description="routing.yaml as it is on disk, comments included")
    sha256: str = Field(description="Its version: send it back as base_sha256 with PUT")
    policy: dict[str, Any] | None = Field(
        description="The policy in force, as the receiver reads it (None without routing.yaml)"
    )
    editable: bool = Field(description="Whether PUT can apply a change here")
    read_only_reason: str = Field(description="Why PUT cannot apply a change; empty if it can")


class RoutingIn(BaseModel):
    yaml: str = Field(max_length=1_000_000, description="The whole new routing.yaml")
    base_sha256: str | None = Field(
        default=None,
        description="The sha256 from GET: refuse (409) if routing.yaml changed since",
    )


class ProblemOut(BaseModel):
    line: int | None
    field: str
    message: str


class RoutingChangeOut(BaseModel):
    outcome: str = Field(description="applied, rejected, unchanged or conflict")
    change_id: int | None = Field(description="The audit log entry (None when unchanged)")
    summary: list[str]
    problems: list[ProblemOut] = Field(description="What is wrong with the proposed policy")
    detail: str = Field(description="What was done, or what failed and what was restored")

"""What the processing stages pass along: :class:`Notice`, one message in the making.

A stage takes the notices so far and returns those that go on (fewer, or completed), inside
the transaction that processes one stored webhook. Like Alertmanager's ``notify.Stage``, every
stage has the same shape, so the pipeline is a list of them (``alertmanager.pipeline``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session

from alertmanager.messages import AlertView
from alertmanager.payload import WebhookAlert
from chargekeeper.routing import Recipient
from chargekeeper.store import Alert, Delivery


@dataclass(frozen=True, order=True)
class AlertState:
    """What makes an alert notification distinct: the unit of the dedup rule."""

    fingerprint: str
    status: str
    starts_at: datetime


@dataclass(frozen=True)
class StoredAlert:
    """An alert as a webhook carried it, with its row in the store."""

    alert: WebhookAlert
    row: Alert

    @property
    def state(self) -> AlertState:
        return AlertState(self.alert.fingerprint, self.alert.status, self.alert.starts_at)


@dataclass(frozen=True)
class Origin:
    """What a message answers: a stored webhook, or an escalation tier."""

    receipt_id: int | None = None
    group_key: str = ""
    escalation_tier: int | None = None


@dataclass
class Notice:
    """Alerts of one status to tell one recipient on one channel.

    Route makes it; dedup keeps only the alerts not told yet; translate fills ``views`` in the
    recipient's language; render fills ``delivery``; record puts it in the outbox.
    """

    recipient: Recipient
    channel: str
    address: str
    status: str
    alerts: list[StoredAlert]
    origin: Origin
    views: list[AlertView] = field(default_factory=list)
    delivery: Delivery | None = None
    # The site the message speaks of, when not its first alert's (a failover keeps the
    # failing delivery's); Alertmanager groups each site's alerts together.
    site: str = ""

    def rendered(self) -> Delivery:
        """The delivery the render stage made (the stages after it need one)."""
        if self.delivery is None:
            raise RuntimeError("the render stage has not run on this notice")
        return self.delivery


class Stage(Protocol):
    """One step of processing: the notices that go on from ``notices``."""

    def __call__(self, session: Session, notices: Sequence[Notice]) -> list[Notice]: ...


def run_stages(
    stages: Sequence[Stage], session: Session, notices: Sequence[Notice]
) -> list[Notice]:
    """Pass ``notices`` through ``stages`` in order; the notices that came out of the last."""
    passing = list(notices)
    for stage in stages:
        passing = stage(session, passing)
    return passing

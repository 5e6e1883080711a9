"""The pipeline-health strip above the alert pages: the stack's own alerts, not technicians'.

Green while no meta alert but the Watchdog fires; otherwise each firing meta alert, linked to
its page (where only an admin may acknowledge, and so silence, it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from chargekeeper.routing.plan import WATCHDOG_ALERT
from console.labels import alert_title, label_text
from console.queries import pipeline_alerts


@dataclass(frozen=True)
class PipelineItem:
    alert_id: int
    title: str
    severity: str  # the label value, for the badge's colour
    severity_text: str
    since: datetime


@dataclass(frozen=True)
class PipelineHealth:
    problems: tuple[PipelineItem, ...]
    # The Watchdog's latest occurrence: proof that alerts flow, and where an admin silences it.
    heartbeat: PipelineItem | None

    @property
    def healthy(self) -> bool:
        return not self.problems


def pipeline_health(session: Session, language: str) -> PipelineHealth:
    problems: list[PipelineItem] = []
    heartbeat = None
    for alert in pipeline_alerts(session):
        item = PipelineItem(
            alert.id,
            alert_title(language, alert.alertname),
            alert.severity,
            label_text(language, "severity", alert.severity),
            alert.starts_at,
        )
        if alert.alertname != WATCHDOG_ALERT:
            problems.append(item)
        elif heartbeat is None:
            heartbeat = item
    return PipelineHealth(tuple(problems), heartbeat)

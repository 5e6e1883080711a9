"""The alert list the console shows: filters, counts per filter value, acks alongside.

Filters combine with AND. The counts beside each value of one filter apply every *other*
filter, so they say how many alerts picking that value would show.

The stack's own alerts (family ``fleet``: the Watchdog, a collector or Alertmanager down) are
not technicians' alerts: the list leaves them out (unless its family filter names them) and
:func:`pipeline_alerts` gives them to the pipeline-health strip above it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TypeVarTuple

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from chargekeeper.config.fleet import Fleet
from chargekeeper.store import Acknowledgement, Alert
from console.auth.users import STACK_FAMILY

# The period filter's choices, in the order the page offers them.
PERIODS: Mapping[str, timedelta | None] = {
    "1h": timedelta(hours=1),
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
    "all": None,
}
STATUSES = ("firing", "resolved", "all")
LIST_LIMIT = 200


@dataclass(frozen=True)
class AlertFilter:
    """What the user asked for; empty strings mean "any"."""

    status: str = "firing"
    severity: str = ""
    family: str = ""
    site: str = ""
    client: str = ""
    period: str = "all"
    charge_point_id: str = ""

    @classmethod
    def parse(cls, params: Mapping[str, str]) -> AlertFilter:
        """From query parameters; unknown status or period values fall back to the default."""
        status = params.get("status", "firing")
        period = params.get("period", "all")
        return cls(
            status=status if status in STATUSES else "firing",
            severity=params.get("severity", "")[:16],
            family=params.get("family", "")[:32],
            site=params.get("site", "")[:255],
            client=params.get("client", "")[:64],
            period=period if period in PERIODS else "all",
            charge_point_id=params.get("charge_point_id", "")[:255],
        )


@dataclass(frozen=True)
class AlertRow:
    alert: Alert
    ack: Acknowledgement | None


@dataclass(frozen=True)
class AlertPage:
    rows: list[AlertRow]
    # facet name -> value -> count, e.g. {"severity": {"critical": 3}}
    counts: dict[str, dict[str, int]] = field(default_factory=dict)


Columns = TypeVarTuple("Columns")


def _where(
    query: Select[*Columns], wanted: AlertFilter, fleet: Fleet, now: datetime
) -> Select[*Columns]:
    if wanted.family != STACK_FAMILY:  # asked for by name, the stack's alerts are listed
        query = query.where(Alert.family != STACK_FAMILY)
    if wanted.status != "all":
        query = query.where(Alert.status == wanted.status)
    for column, value in (
        (Alert.severity, wanted.severity),
        (Alert.family, wanted.family),
        (Alert.site, wanted.site),
        (Alert.charge_point_id, wanted.charge_point_id),
    ):
        if value:
            query = query.where(column == value)
    if wanted.client:
        query = query.where(Alert.site.in_(sites_of(fleet, wanted.client)))
    span = PERIODS[wanted.period]
    if span is not None:
        query = query.where(Alert.starts_at >= now - span)
    return query


def sites_of(fleet: Fleet, client: str) -> list[str]:
    return [site.id for site in fleet.sites if site.client == client]


def alert_page(
    session: Session, wanted: AlertFilter, fleet: Fleet, now: datetime | None = None
) -> AlertPage:
    """The newest matching alerts (at most ``LIST_LIMIT``) with their first ack and the counts."""
    now = now or datetime.now(UTC)
    query = _where(select(Alert), wanted, fleet, now)
    alerts = list(
        session.scalars(query.order_by(Alert.starts_at.desc(), Alert.id.desc()).limit(LIST_LIMIT))
    )
    return AlertPage(
        [
            AlertRow(alert, ack)
            for alert, ack in zip(alerts, first_acks(session, alerts), strict=True)
        ],
        facet_counts(session, wanted, fleet, now),
    )


def first_acks(session: Session, alerts: Sequence[Alert]) -> list[Acknowledgement | None]:
    by_alert: dict[int, Acknowledgement] = {}
    ids = [alert.id for alert in alerts]
    if ids:
        query = select(Acknowledgement).where(Acknowledgement.alert_id.in_(ids))
        for ack in session.scalars(query.order_by(Acknowledgement.at.desc())):
            by_alert[ack.alert_id] = ack  # the earliest wins: rows come newest first
    return [by_alert.get(alert.id) for alert in alerts]


def facet_counts(
    session: Session, wanted: AlertFilter, fleet: Fleet, now: datetime
) -> dict[str, dict[str, int]]:
    """For each filter, how many alerts each of its values would show."""
    counts: dict[str, dict[str, int]] = {}
    for facet, column in (
        ("severity", Alert.severity),
        ("family", Alert.family),
        ("site", Alert.site),
    ):
        others = replace(wanted, **{facet: ""})
        query = _where(select(column, func.count()), others, fleet, now).group_by(column)
        counts[facet] = {str(value): int(n) for value, n in session.execute(query) if value}
    others = replace(wanted, client="")
    query = _where(select(Alert.site, func.count()), others, fleet, now).group_by(Alert.site)
    client_of = {site.id: site.client for site in fleet.sites}
    per_client: Counter[str] = Counter()
    for site, n in session.execute(query):
        if site in client_of:
            per_client[client_of[site]] += int(n)
    counts["client"] = {client.id: per_client[client.id] for client in fleet.clients}
    return counts


def pipeline_alerts(session: Session) -> list[Alert]:
    """The stack's own firing alerts, newest first (the Watchdog among them while it beats)."""
    query = (
        select(Alert)
        .where(Alert.family == STACK_FAMILY, Alert.status == "firing")
        .order_by(Alert.starts_at.desc(), Alert.id.desc())
        .limit(LIST_LIMIT)
    )
    return list(session.scalars(query))

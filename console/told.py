"""Who was told about an alert, or why nobody was.

Since every firing alert reaches the store through the recording route, many alerts have no
message at all: the deliveries say who was told, and the route plan evaluated at the alert's
start says why nobody was (``chargekeeper.routing.RoutingView``, which mirrors the generated
``alertmanager.yml``, as the console's preview does).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from chargekeeper.routing import RoutingView
from chargekeeper.routing.plan import WATCHDOG_ALERT
from chargekeeper.store import Alert, Delivery, DeliveryAlert, DeliveryState

# A message in these states reached, or is on its way to, its recipient.
_UNDER_WAY = (DeliveryState.SENT, DeliveryState.PENDING, DeliveryState.SENDING)


@dataclass(frozen=True)
class Person:
    """Someone told about the alert, with the channels used (``email``, ``sms``)."""

    name: str
    channels: tuple[str, ...]


@dataclass(frozen=True)
class Nobody:
    """Why nobody was told: ``headline`` and ``reason`` are catalog keys; ``names`` the
    coverages (outside their hours) or people (named by the routing but not told yet), ``at``
    the alert's start."""

    headline: str  # nobody_outside | nobody_yet | nobody_failed
    reason: str = ""
    names: tuple[str, ...] = ()
    at: datetime | None = None


@dataclass(frozen=True)
class Told:
    people: tuple[Person, ...]
    nobody: Nobody | None


def deliveries_by_alert(
    session: Session, alert_ids: Sequence[int]
) -> dict[int, list[tuple[str, str, DeliveryState]]]:
    """Per alert, every firing message sent about it: (recipient name, channel, state)."""
    found: dict[int, list[tuple[str, str, DeliveryState]]] = {}
    if not alert_ids:
        return found
    query = (
        select(
            DeliveryAlert.alert_id,
            Delivery.recipient_name,
            Delivery.recipient_id,
            Delivery.channel,
            Delivery.state,
        )
        .join(Delivery, Delivery.id == DeliveryAlert.delivery_id)
        .where(DeliveryAlert.alert_id.in_(alert_ids), Delivery.status == "firing")
        .order_by(Delivery.id)
    )
    for alert_id, name, recipient_id, channel, state in session.execute(query):
        found.setdefault(alert_id, []).append((name or recipient_id, channel, state))
    return found


def who_was_told(
    alert: Alert,
    deliveries: Sequence[tuple[str, str, DeliveryState]],
    view: RoutingView | None,
) -> Told:
    """The people a message reached (or is on its way to), or why there is nobody."""
    channels: dict[str, list[str]] = {}
    for name, channel, state in deliveries:
        if state in _UNDER_WAY and channel not in channels.setdefault(name, []):
            channels[name].append(channel)
    people = tuple(Person(name, tuple(used)) for name, used in channels.items() if used)
    if people:
        return Told(people, None)
    if deliveries:
        return Told((), Nobody("nobody_failed"))
    return Told((), why_nobody(alert, view))


def why_nobody(alert: Alert, view: RoutingView | None) -> Nobody:
    """Why the routing told nobody about ``alert``, evaluated at its start."""
    at = alert.starts_at
    if alert.alertname == WATCHDOG_ALERT:
        return Nobody("nobody_outside", "reason_heartbeat")
    if view is None:
        return Nobody("nobody_outside", "reason_no_routing")
    labels = {str(k): str(v) for k, v in alert.labels.items()}
    matched = view.matching(labels)
    if not matched:
        return Nobody("nobody_outside", "reason_no_coverage")
    if any(view.active(route, at) for route in matched):
        # Covered at its start, yet no message: Alertmanager's group wait has not passed,
        # or the message is still to be stored.
        names = tuple(person.name for person in view.who_is_told(labels, at))
        return Nobody("nobody_yet", "reason_expected", names, at)
    coverages = tuple(sorted({route.coverage_id for route in matched}))
    on_holiday = any(
        route.mute_on_holidays and at.astimezone(ZoneInfo(route.timezone)).date() in view.holidays
        for route in matched
    )
    return Nobody(
        "nobody_outside", "reason_holiday" if on_holiday else "reason_off_hours", coverages, at
    )

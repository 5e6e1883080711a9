"""An alert as the console shows it: a translated title and text, the code's meaning, the
fault's start and duration, who was told.

The list, the detail page and the pipeline strip share it, so they never disagree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from chargekeeper.fault_since import fault_since
from chargekeeper.routing import RoutingView
from chargekeeper.store import Acknowledgement, Alert, DeliveryState
from console.i18n import translate
from console.labels import alert_text, alert_title, duration_text, label_text
from console.told import Person, Told, who_was_told
from translator import Translation, Translator


@dataclass(frozen=True)
class AlertView:
    alert: Alert
    ack: Acknowledgement | None
    title: str
    text: str
    meaning: str  # the charger's code explained in a few words; "" without a code
    severity: str
    family: str
    status: str
    since: datetime
    duration: str  # "for 23 min" while firing, "lasted 1 h 5 min" once resolved
    told: Told


def translated_code(
    translator: Translator, labels: Mapping[str, str], language: str
) -> Translation | None:
    """The charger's codes explained in the reader's language; None if it sent no code."""
    if not (labels.get("error_code") or labels.get("vendor_error_code")):
        return None
    return translator.translate(
        vendor=labels.get("vendor") or None,
        vendor_id=labels.get("vendor_id") or None,
        vendor_error_code=labels.get("vendor_error_code") or None,
        error_code=labels.get("error_code") or None,
        info=labels.get("info") or None,
        language=language,
    )


def alert_view(
    alert: Alert,
    ack: Acknowledgement | None,
    deliveries: Sequence[tuple[str, str, DeliveryState]],
    *,
    language: str,
    translator: Translator,
    routing: RoutingView | None,
    now: datetime,
) -> AlertView:
    labels = {str(k): str(v) for k, v in alert.labels.items()}
    translation = translated_code(translator, labels, language)
    since = fault_since(alert.annotations, alert.starts_at)
    resolved = alert.status == "resolved" and alert.ends_at is not None
    end = alert.ends_at if resolved and alert.ends_at is not None else now
    duration = translate(
        language, "lasted" if resolved else "lasting", d=duration_text(language, since, end)
    )
    return AlertView(
        alert=alert,
        ack=ack,
        title=alert_title(language, alert.alertname),
        text=alert_text(language, alert.alertname, alert.annotations),
        meaning=translation.title if translation is not None else "",
        severity=label_text(language, "severity", alert.severity),
        family=label_text(language, "family", alert.family),
        status=label_text(language, "status", alert.status),
        since=since,
        duration=duration,
        told=_in_language(who_was_told(alert, deliveries, routing), language),
    )


def _in_language(told: Told, language: str) -> Told:
    people = tuple(
        Person(person.name, tuple(label_text(language, "channel", c) for c in person.channels))
        for person in told.people
    )
    return Told(people, told.nobody)

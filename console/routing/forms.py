"""The Routing page's forms → the fields of one routing.yaml entry.

Each form posts the entry's fields; blank optional fields are removed from the file (the
model's default applies) rather than written empty. Nothing is validated here: the whole new
policy goes through ``check_routing``, whose messages name the field.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from pydantic import BaseModel, ValidationError

from chargekeeper.config.policy import parse_duration
from chargekeeper.config.routing import (
    CHANNELS,
    SEVERITIES,
    WEEKDAYS,
    Coverage,
    EscalationTier,
    RoutingPolicy,
    Subscription,
)
from chargekeeper.routing import weekday_indexes
from console.routing.document import FieldValue, InnerValue

# Form field -> its values (one for an input, several for a group of checkboxes).
FormValues = Mapping[str, Sequence[str]]


def _one(values: FormValues, name: str) -> str:
    found = values.get(name) or [""]
    return found[0].strip()


def _optional(values: FormValues, name: str) -> str | None:
    return _one(values, name) or None


def _ids(values: FormValues, name: str) -> list[str] | None:
    chosen = [v.strip() for v in values.get(name, []) if v.strip()]
    return chosen or None


def weekday_ranges(days: Sequence[str]) -> list[str]:
    """Checked day names → the shortest list of ranges: ``["monday:friday", "sunday"]``."""
    wanted = sorted({WEEKDAYS.index(d) for d in days if d in WEEKDAYS})
    runs: list[list[int]] = []
    for day in wanted:
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return [
        WEEKDAYS[run[0]] if len(run) == 1 else f"{WEEKDAYS[run[0]]}:{WEEKDAYS[run[-1]]}"
        for run in runs
    ]


def time_ranges(text: str) -> list[dict[str, str]]:
    """``"08:00-12:00, 13:00-19:00"`` → the schedule's ``times``; the model judges each time."""
    ranges = []
    for part in text.split(","):
        if part.strip():
            start, _, end = part.partition("-")
            ranges.append({"start": start.strip(), "end": end.strip()})
    return ranges


def technician_fields(
    values: FormValues, _routing: RoutingPolicy, _original: str
) -> dict[str, FieldValue]:
    # People type numbers in groups ("+33 6 12 34 56 78"); E.164 has no spaces.
    phone = "".join(_one(values, "phone").split())
    return {
        "id": _one(values, "id"),
        "name": _one(values, "name"),
        "email": _optional(values, "email"),
        "phone": phone or None,
        "language": _optional(values, "language"),
        "timezone": _optional(values, "timezone"),
    }


def team_fields(
    values: FormValues, _routing: RoutingPolicy, _original: str
) -> dict[str, FieldValue]:
    return {
        "id": _one(values, "id"),
        "name": _optional(values, "name"),
        "members": _ids(values, "members") or [],
    }


def schedule_fields(
    values: FormValues, routing: RoutingPolicy, original: str
) -> dict[str, FieldValue]:
    ranges = weekday_ranges(values.get("weekdays", []))
    current = routing.schedule(original) if original else None
    weekdays: list[str] | None = ranges
    if current is not None and weekday_indexes(current.weekdays) == weekday_indexes(ranges):
        # The same days: keep them as written, or unwritten when they were the default.
        explicit = "weekdays" in current.model_fields_set
        weekdays = list(current.weekdays) if explicit else None
    elif weekday_indexes(ranges) == frozenset(range(len(WEEKDAYS))):
        weekdays = None  # every day is the default
    return {
        "id": _one(values, "id"),
        "description": _optional(values, "description"),
        "weekdays": weekdays,
        "times": time_ranges(_one(values, "times")),
        "holidays": _optional(values, "holidays"),
    }


def channels_choice(channels: Sequence[str]) -> str:
    """A subscription's or tier's channels as the form's select names them."""
    return "both" if tuple(channels) == CHANNELS else channels[0]


def _duration(text: str) -> str | int:
    # The model reads a bare number as seconds only when it is one, not the text "900".
    return int(text) if text.isdigit() else text


def _rows(values: FormValues, prefix: str) -> list[tuple[str, str]]:
    """The form's rows of ``prefix`` (``sub``, ``esc``) in order, with their kind: ``kept``
    (an existing line), ``new`` (the blank line: added once its channels are chosen)."""
    rows = []
    for name, found in values.items():
        parts = name.split("-")
        if len(parts) == 3 and parts[0] == prefix and parts[2] == "row" and parts[1].isdigit():
            rows.append((int(parts[1]), f"{prefix}-{parts[1]}-", found[0] if found else ""))
    return [(key, kind) for _, key, kind in sorted(rows)]


def _wanted(values: FormValues, row: str, kind: str) -> bool:
    if kind == "new":
        return bool(_one(values, row + "channels"))
    return not _one(values, row + "remove")


def subscription_rows(values: FormValues) -> list[dict[str, InnerValue]]:
    """The subscription lines of a coverage form; no type ticked is every type, no priority
    ticked every priority (the model's default, critical and warning, is left unwritten)."""
    lines: list[dict[str, InnerValue]] = []
    for row, kind in _rows(values, "sub"):
        if not _wanted(values, row, kind):
            continue
        line: dict[str, InnerValue] = {}
        families = _ids(values, row + "families")
        if families:
            line["families"] = families
        severities = [s for s in SEVERITIES if s in values.get(row + "severities", [])]
        if severities != ["critical", "warning"]:
            line["severities"] = severities
        line["channels"] = _one(values, row + "channels") or "both"
        lines.append(line)
    return lines


def escalation_rows(values: FormValues) -> list[dict[str, InnerValue]]:
    """The escalation tiers of a coverage form, in order."""
    tiers: list[dict[str, InnerValue]] = []
    for row, kind in _rows(values, "esc"):
        if not _wanted(values, row, kind):
            continue
        tier: dict[str, InnerValue] = {"after": _duration(_one(values, row + "after"))}
        for people in ("technicians", "teams"):
            chosen = _ids(values, row + people)
            if chosen:
                tier[people] = chosen
        tier["channels"] = _one(values, row + "channels") or "both"
        tiers.append(tier)
    return tiers


def _same(model: type[BaseModel], lines: Sequence[Mapping[str, object]], current: object) -> bool:
    """Whether ``lines`` mean what ``current`` (a list of models) means: then the file keeps
    its own wording (``channels: both`` or a list, a comment between lines)."""
    try:
        return [model.model_validate(line) for line in lines] == current
    except ValidationError:
        return False  # the whole policy's check will say why, beside the field


def coverage_fields(
    values: FormValues, routing: RoutingPolicy, original: str
) -> dict[str, FieldValue]:
    fields: dict[str, FieldValue] = {
        "id": _one(values, "id"),
        "sites": _ids(values, "sites"),
        "clients": _ids(values, "clients"),
        "technicians": _ids(values, "technicians"),
        "teams": _ids(values, "teams"),
        "schedules": _ids(values, "schedules"),
    }
    current: Coverage | None = next((c for c in routing.coverage if c.id == original), None)
    # A form without lines (a script posting the first version's fields) leaves them as they
    # are; a new coverage then starts with every type, critical and warning, on its channels.
    if _rows(values, "sub"):
        subscriptions = subscription_rows(values)
        if current is None or not _same(Subscription, subscriptions, current.subscriptions):
            fields["subscriptions"] = subscriptions
    elif current is None:
        fields["subscriptions"] = [{"channels": _one(values, "channels") or "both"}]
    if _rows(values, "esc"):
        tiers = escalation_rows(values)
        if current is None or not _same(EscalationTier, tiers, current.escalation):
            fields["escalation"] = tiers or None
    return fields


def holiday_fields(
    values: FormValues, _routing: RoutingPolicy, _original: str
) -> dict[str, FieldValue]:
    return {"date": _one(values, "date"), "name": _optional(values, "name")}


TIMING_FIELDS = ("group_wait", "group_interval", "repeat_interval")


def timing_fields(values: FormValues, routing: RoutingPolicy) -> dict[str, str | int | None]:
    """The timing form → the keys of ``timing`` to set (blank: the default). A duration that
    means what the file already says is left as written (``300`` stays, not ``5m``)."""
    fields: dict[str, str | int | None] = {}
    for name in TIMING_FIELDS:
        text = _one(values, name)
        if not text:
            fields[name] = None
            continue
        value = _duration(text)
        try:
            seconds = parse_duration(value)
        except ValueError:
            seconds = None  # check_routing explains it beside the field
        if seconds == getattr(routing.timing, name):
            continue  # unwritten stays unwritten (the default), written stays as written
        fields[name] = value
    return fields


FIELDS: dict[str, Callable[[FormValues, RoutingPolicy, str], dict[str, FieldValue]]] = {
    "technicians": technician_fields,
    "teams": team_fields,
    "schedules": schedule_fields,
    "coverage": coverage_fields,
    "holidays": holiday_fields,
}

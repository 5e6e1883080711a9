"""The Routing page's forms → the fields of one routing.yaml entry.

Each form posts the entry's fields; blank optional fields are removed from the file (the
model's default applies) rather than written empty. Nothing is validated here: the whole new
policy goes through ``check_routing``, whose messages name the field.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from chargekeeper.config.routing import WEEKDAYS, RoutingPolicy
from chargekeeper.routing import weekday_indexes
from console.routing.document import FieldValue

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


def coverage_fields(
    values: FormValues, _routing: RoutingPolicy, original: str
) -> dict[str, FieldValue]:
    fields: dict[str, FieldValue] = {
        "id": _one(values, "id"),
        "sites": _ids(values, "sites"),
        "clients": _ids(values, "clients"),
        "technicians": _ids(values, "technicians"),
        "teams": _ids(values, "teams"),
        "schedules": _ids(values, "schedules"),
    }
    if not original:
        # A new coverage starts with one subscription (every family, critical and warning);
        # finer subscriptions and escalation are edited in the YAML form.
        fields["subscriptions"] = [{"channels": _one(values, "channels") or "both"}]
    return fields


FIELDS: dict[str, Callable[[FormValues, RoutingPolicy, str], dict[str, FieldValue]]] = {
    "technicians": technician_fields,
    "teams": team_fields,
    "schedules": schedule_fields,
    "coverage": coverage_fields,
}

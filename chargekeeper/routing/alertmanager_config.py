"""Build ``alertmanager.yml`` from the routing policy: pure functions, no I/O.

The routes come from :func:`chargekeeper.routing.plan.route_plan`, the same plan that the
console's "who is told" preview evaluates (:func:`chargekeeper.routing.plan.who_is_told`), so
the file Alertmanager runs and the preview cannot drift apart. Decisions written down here:

- **Grouping by (site, family).** A site outage is one message per recipient: every
  ``ChargerDisconnected``, ``ChargerFlapping`` and the ``SiteOffline`` of a site share the
  ``disconnection`` family, so they land in one group, while a fault at the same site (a
  different action for the technician) is its own message. Grouping by alert name instead
  would split the outage into one message per alert name.
- **Recording is a route of its own.** Right after the Watchdog, a route with no matchers and
  no time intervals sends every alert to ``record``: the Chargekeeper webhook, which stores
  what it brings and tells nobody. The coverage routes' ``active_time_intervals`` only decide
  who is told; an alert whose every route is off duty still reaches the store, with its
  resolution (``send_resolved``), so the console lists everything that fires. Every alert now
  matches a route, so the root's receiver (Alertmanager requires one: ``record`` too) is never
  reached and the ``unrouted`` fallback of older configurations is gone. Why a route rather
  than the receiver polling Alertmanager's API: ``alertmanager/README.md``, "Recording every
  alert".
- **Every route continues.** Several coverages can tell different people about one alert.
- **Schedules are time intervals with a location** (Alertmanager 0.25+), one per schedule
  and site time zone, so "08:00" means 08:00 at the site.
- **Watchdog** goes first to its own route and receiver (``deadman``), never to people.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chargekeeper.config.fleet import Fleet
from chargekeeper.config.routing import DAY_MINUTES, WEEKDAYS, Holiday, RoutingPolicy
from chargekeeper.routing.plan import WATCHDOG_ALERT, PlannedRoute, route_plan
from chargekeeper.routing.recipients import DEAD_MANS_SWITCH_RECEIVER, RECORD_RECEIVER
from chargekeeper.routing.schedule import Window, schedule_windows

WEBHOOK_PATH = "/api/v1/alertmanager/webhook"
GROUP_BY = ["site", "family"]

# The recording route's timing, when the policy's is slower. Recording is not a message that
# someone reads, so it need not wait to batch a site's alerts: the store (and the console)
# should hold an alert within seconds of it firing, and its resolution within seconds of it
# ending. A group only posts when its alerts changed, so a short interval costs no webhooks
# while nothing happens.
RECORD_GROUP_WAIT = 1.0
RECORD_GROUP_INTERVAL = 10.0

# The inhibitions the rules ask for (rules/README.md, "For the Alertmanager side").
INHIBIT_RULES: list[dict[str, Any]] = [
    {
        # A site that is down is one alert; its chargers' disconnections and reconnect
        # storms say nothing more.
        "source_matchers": ['alertname="SiteOffline"'],
        "target_matchers": ['alertname=~"ChargerDisconnected|ChargerFlapping"'],
        "equal": ["site"],
    },
    {
        # Warning and critical variants share the alert name; a missing label counts as
        # equal, so connector and code labels only matter where the alert has them.
        "source_matchers": ['severity="critical"'],
        "target_matchers": ['severity="warning"'],
        "equal": [
            "alertname",
            "charge_point_id",
            "connector_id",
            "error_code",
            "vendor_error_code",
            "site",
            "channel",
        ],
    },
    {
        # The surfaced manufacturer code explains the fault better than the OCPP errorCode.
        "source_matchers": ['alertname="ChargerVendorErrorCode"'],
        "target_matchers": ['alertname="ChargerFaulted"'],
        "equal": ["charge_point_id", "connector_id", "vendor_error_code"],
    },
    {
        # Proxy mode: a CSMS that cannot be reached cuts off every charger behind it; its
        # one alert says so. ChargerDisconnected carries the charger's upstream only in
        # proxy mode, and ChargekeeperUpstreamDown always has it, so a standalone charger's
        # disconnection (no upstream label) is never held back by this rule.
        "source_matchers": ['alertname="ChargekeeperUpstreamDown"'],
        "target_matchers": ['alertname="ChargerDisconnected"'],
        "equal": ["upstream"],
    },
]


@dataclass(frozen=True)
class WebhookTarget:
    """Where Alertmanager posts: the Chargekeeper receiver, with a bearer token from a file."""

    base_url: str
    credentials_file: Path

    @property
    def url(self) -> str:
        return self.base_url.rstrip("/") + WEBHOOK_PATH


def duration(seconds: float) -> str:
    """Seconds → an Alertmanager duration (``90s``); whole seconds are enough for routing."""
    return f"{round(seconds)}s"


def _regex_alternatives(values: Sequence[str]) -> str:
    # Slugs only hold letters, digits, '.', '_' and '-'; of those only '.' means something
    # in RE2. Alertmanager anchors the regex at both ends.
    return "|".join(re.sub(r"\.", r"\\.", value) for value in values)


def _matcher(label: str, values: Sequence[str]) -> str:
    if len(values) == 1:
        return f'{label}="{values[0]}"'
    return f'{label}=~"{_regex_alternatives(values)}"'


def interval_name(schedule_id: str, timezone: str) -> str:
    return f"{schedule_id}@{timezone}"


def holidays_name(timezone: str) -> str:
    return interval_name("holidays", timezone)


# Alertmanager (Go) numbers weekdays from Sunday and rejects a range whose end comes first.
_GO_WEEKDAYS = ("sunday", *WEEKDAYS[:-1])


def _weekday_ranges(days: Iterable[int]) -> list[str]:
    """Python weekday indexes (Monday 0) → Alertmanager ranges: ``["monday:friday"]``."""
    ordered = sorted({(day + 1) % 7 for day in days})
    runs: list[list[int]] = []
    for day in ordered:
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return [
        _GO_WEEKDAYS[run[0]] if len(run) == 1 else f"{_GO_WEEKDAYS[run[0]]}:{_GO_WEEKDAYS[run[-1]]}"
        for run in runs
    ]


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _window_spec(window: Window, timezone: str) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    if (window.start, window.end) != (0, DAY_MINUTES):
        spec["times"] = [{"start_time": _clock(window.start), "end_time": _clock(window.end)}]
    if window.on_date is not None:
        spec["days_of_month"] = [str(window.on_date.day)]
        spec["months"] = [str(window.on_date.month)]
        spec["years"] = [str(window.on_date.year)]
    elif len(window.weekdays) < len(WEEKDAYS):
        spec["weekdays"] = _weekday_ranges(window.weekdays)
    spec["location"] = timezone
    return spec


def _holiday_specs(holidays: Sequence[Holiday], timezone: str) -> list[dict[str, Any]]:
    return [
        _window_spec(Window(0, DAY_MINUTES, on_date=holiday.date), timezone) for holiday in holidays
    ]


def time_intervals(routing: RoutingPolicy, plan: Sequence[PlannedRoute]) -> list[dict[str, Any]]:
    """One named interval per (schedule, site time zone) the plan uses, plus holidays."""
    intervals: dict[str, list[dict[str, Any]]] = {}
    for route in plan:
        for schedule_id in route.schedules:
            schedule = routing.schedule(schedule_id)
            name = interval_name(schedule_id, route.timezone)
            if schedule is not None and name not in intervals:
                windows = schedule_windows(schedule, routing.holidays)
                intervals[name] = [_window_spec(w, route.timezone) for w in windows]
        if route.mute_on_holidays and routing.holidays:
            name = holidays_name(route.timezone)
            intervals.setdefault(name, _holiday_specs(routing.holidays, route.timezone))
    return [{"name": name, "time_intervals": specs} for name, specs in intervals.items()]


def _route(planned: PlannedRoute, routing: RoutingPolicy) -> dict[str, Any]:
    matchers = [
        _matcher(label, values)
        for label, values in (
            ("site", planned.sites),
            ("family", planned.families),
            ("severity", planned.severities),
        )
        if values
    ]
    route: dict[str, Any] = {"receiver": planned.receiver}
    if matchers:
        route["matchers"] = matchers
    if planned.schedules:
        route["active_time_intervals"] = [
            interval_name(schedule_id, planned.timezone) for schedule_id in planned.schedules
        ]
    if planned.mute_on_holidays and routing.holidays:
        route["mute_time_intervals"] = [holidays_name(planned.timezone)]
    route["continue"] = True
    return route


def _watchdog_route(routing: RoutingPolicy) -> dict[str, Any]:
    return {
        "receiver": DEAD_MANS_SWITCH_RECEIVER,
        "matchers": [f'alertname="{WATCHDOG_ALERT}"'],
        "group_by": ["alertname"],
        "group_wait": "0s",
        "group_interval": duration(routing.watchdog.repeat_interval),
        "repeat_interval": duration(routing.watchdog.repeat_interval),
        "continue": False,
    }


def _record_route(routing: RoutingPolicy) -> dict[str, Any]:
    # No matchers: every alert the Watchdog route leaves. No time intervals: never muted.
    timing = routing.timing
    return {
        "receiver": RECORD_RECEIVER,
        "group_wait": duration(min(timing.group_wait, RECORD_GROUP_WAIT)),
        "group_interval": duration(min(timing.group_interval, RECORD_GROUP_INTERVAL)),
        "continue": True,
    }


def _webhook(url: str, credentials_file: Path | None, send_resolved: bool) -> dict[str, Any]:
    config: dict[str, Any] = {"url": url, "send_resolved": send_resolved}
    if credentials_file is not None:
        config["http_config"] = {
            "authorization": {"type": "Bearer", "credentials_file": str(credentials_file)}
        }
    return config


def receivers(
    routing: RoutingPolicy, plan: Sequence[PlannedRoute], target: WebhookTarget
) -> list[dict[str, Any]]:
    """``deadman``, ``record`` and one receiver per recipient set the plan names."""

    def to_chargekeeper(name: str) -> dict[str, Any]:
        # A fresh dict each time: shared ones would come out as YAML anchors and aliases.
        hook = _webhook(target.url, target.credentials_file, send_resolved=True)
        return {"name": name, "webhook_configs": [hook]}

    if routing.watchdog.url is not None:
        # A heartbeat service only needs the pings; a resolved Watchdog means nothing to it.
        hook = _webhook(routing.watchdog.url, None, send_resolved=False)
        deadman = {"name": DEAD_MANS_SWITCH_RECEIVER, "webhook_configs": [hook]}
    else:
        deadman = to_chargekeeper(DEAD_MANS_SWITCH_RECEIVER)
    names = dict.fromkeys(route.receiver for route in plan)
    return [deadman, to_chargekeeper(RECORD_RECEIVER), *(to_chargekeeper(n) for n in names)]


def alertmanager_config(
    routing: RoutingPolicy, fleet: Fleet, target: WebhookTarget
) -> dict[str, Any]:
    """The whole ``alertmanager.yml`` document."""
    plan = route_plan(routing, fleet)
    timing = routing.timing
    document: dict[str, Any] = {
        "route": {
            # Alertmanager requires a root receiver; the recording route matches every alert
            # the Watchdog route leaves, so nothing falls through to it.
            "receiver": RECORD_RECEIVER,
            "group_by": list(GROUP_BY),
            "group_wait": duration(timing.group_wait),
            "group_interval": duration(timing.group_interval),
            "repeat_interval": duration(timing.repeat_interval),
            "routes": [
                _watchdog_route(routing),
                _record_route(routing),
                *(_route(p, routing) for p in plan),
            ],
        },
        "inhibit_rules": copy.deepcopy(INHIBIT_RULES),
        "receivers": receivers(routing, plan, target),
    }
    intervals = time_intervals(routing, plan)
    if intervals:
        document["time_intervals"] = intervals
    return document

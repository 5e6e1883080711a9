"""The routing domain: what the routing policy (``chargekeeper.config.routing``) means.

The policy in ``routing.yaml`` is configuration; this package answers the questions asked of
it. The receiver uses it to turn a receiver name into people and to escalate, the console's
Routing editor and preview use it to show who would be told and to render the configuration
Alertmanager runs, and ``chargekeeper config render`` uses it to write ``alertmanager.yml``.
Both sides ask the same code, so what Alertmanager does and what the console shows agree.

- ``recipients``: a receiver name ↔ the people behind it, with their channels.
- ``schedule``: on-call schedules as plain windows of minutes.
- ``plan``: the Alertmanager route plan, and who an alert reaches at a given time.
- ``coverage``: the times at which a site's critical alerts would reach nobody.
- ``escalation``: who is told next about an unacknowledged critical alert.
- ``live``: the policy in force (swapped by the console without a restart) and the
  receiver's resolver and escalation plan read from it.
- ``alertmanager_config``: ``alertmanager.yml`` rendered from the route plan.
- ``watchdog``: whether the Watchdog's repeat interval fits the receiver's timeout.
"""

from chargekeeper.routing.alertmanager_config import (
    GROUP_BY,
    INHIBIT_RULES,
    WEBHOOK_PATH,
    WebhookTarget,
    alertmanager_config,
)
from chargekeeper.routing.coverage import GAP_STEP, SITE_FAMILIES, coverage_gaps
from chargekeeper.routing.escalation import EscalationStep, escalation_for
from chargekeeper.routing.live import (
    EscalationPlan,
    LiveRouting,
    RecipientResolver,
    routing_escalation,
    routing_resolver,
)
from chargekeeper.routing.plan import (
    META_FAMILY,
    META_SEVERITIES,
    OPERATIONS_COVERAGE,
    WATCHDOG_ALERT,
    PlannedRoute,
    RoutingView,
    receivers_for,
    route_matches,
    route_plan,
    who_is_told,
)
from chargekeeper.routing.recipients import (
    DEAD_MANS_SWITCH_RECEIVER,
    NOBODY_RECEIVERS,
    OPERATIONS_RECEIVER,
    RECORD_RECEIVER,
    UNROUTED_RECEIVER,
    Recipient,
    UnknownReceiverError,
    merge_recipients,
    operations_contacts,
    receiver_name,
    recipient_of,
    recipients_for,
)
from chargekeeper.routing.schedule import Window, schedule_windows, weekday_indexes
from chargekeeper.routing.watchdog import (
    DEFAULT_WATCHDOG_TIMEOUT,
    WATCHDOG_SLACK,
    watchdog_timing_problem,
)

__all__ = [
    "DEAD_MANS_SWITCH_RECEIVER",
    "DEFAULT_WATCHDOG_TIMEOUT",
    "GAP_STEP",
    "GROUP_BY",
    "INHIBIT_RULES",
    "META_FAMILY",
    "META_SEVERITIES",
    "NOBODY_RECEIVERS",
    "OPERATIONS_COVERAGE",
    "OPERATIONS_RECEIVER",
    "RECORD_RECEIVER",
    "SITE_FAMILIES",
    "UNROUTED_RECEIVER",
    "WATCHDOG_ALERT",
    "WATCHDOG_SLACK",
    "WEBHOOK_PATH",
    "EscalationPlan",
    "EscalationStep",
    "LiveRouting",
    "PlannedRoute",
    "Recipient",
    "RecipientResolver",
    "RoutingView",
    "UnknownReceiverError",
    "WebhookTarget",
    "Window",
    "alertmanager_config",
    "coverage_gaps",
    "escalation_for",
    "merge_recipients",
    "operations_contacts",
    "receiver_name",
    "receivers_for",
    "recipient_of",
    "recipients_for",
    "route_matches",
    "route_plan",
    "routing_escalation",
    "routing_resolver",
    "schedule_windows",
    "watchdog_timing_problem",
    "weekday_indexes",
    "who_is_told",
]

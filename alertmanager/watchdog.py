"""The receiver expects the Watchdog: when it stops arriving, the operations contacts are told
directly, without Alertmanager.

Prometheus fires ``Watchdog`` all the time and Alertmanager repeats it to the ``deadman``
receiver, the Chargekeeper webhook (unless routing.yaml's ``watchdog.url`` names a heartbeat
service, which then does this job). Its receipts are already in the store, so the last one says
when the pipeline last worked end to end. When none arrived for ``timeout`` seconds, Prometheus,
Alertmanager or the path between them is broken, and an alert about it could only travel
through the broken part. The monitor then makes up the webhook Alertmanager would have sent, an
alert ``ChargekeeperWatchdogMissing`` to the ``operations`` receiver, and the service stores and
processes it like a real one: the operations contacts hear of it on every channel they have,
through the outbox, with its retries and failover, and the console lists it. When the Watchdog
is back, the same alert's resolution tells them again.

Once per outage, even with several replicas sharing the store: the made-up alert's fingerprint
is fixed and its start is the last Watchdog's receipt plus ``timeout``, the same for every
replica, and the dedup stage tells one alert state once per recipient and channel. (When no
Watchdog was ever stored, the start counts from the process's own start, which replicas do not
share: each may tell its outage once.)
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from alertmanager.payload import WebhookPayload
from alertmanager.resolution import SYNTHESIZED_KEY
from chargekeeper.clock import Clock, utc_now
from chargekeeper.config.loader import ConfigError
from chargekeeper.routing import (
    DEAD_MANS_SWITCH_RECEIVER,
    DEFAULT_WATCHDOG_TIMEOUT,
    META_FAMILY,
    OPERATIONS_RECEIVER,
    LiveRouting,
    watchdog_timing_problem,
)
from chargekeeper.store import Alert, WebhookReceipt

log = logging.getLogger(__name__)

WATCHDOG_MISSING_ALERT = "ChargekeeperWatchdogMissing"
# One fingerprint for every outage (each is its own occurrence by its start), so replicas agree.
WATCHDOG_MISSING_FINGERPRINT = hashlib.sha256(WATCHDOG_MISSING_ALERT.encode()).hexdigest()[:16]
SYNTHESIZED_BY = "watchdog"

Webhook = tuple[WebhookPayload, dict[str, Any]]


class WatchdogMonitor:
    """Decides, at each :meth:`due` call, which made-up webhook (if any) the missing or returning
    Watchdog calls for. ``ReceiverService`` calls it every ``check_interval`` seconds and stores
    what it returns.

    Raises ConfigError at construction when ``timeout`` is too short for the policy's
    ``watchdog.repeat_interval`` (``chargekeeper.routing.watchdog_timing_problem``).
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        routing: LiveRouting,
        timeout: float = DEFAULT_WATCHDOG_TIMEOUT,
        clock: Clock = utc_now,
        check_interval: float | None = None,
    ) -> None:
        problem = watchdog_timing_problem(routing.current, timeout)
        if problem is not None:
            raise ConfigError("receiver.yaml", [problem])
        self._sessions = sessions
        self._routing = routing
        self._timeout = timedelta(seconds=timeout)
        self._clock = clock
        self._started_at = clock()
        self._timing_warned: str | None = None
        # A tenth of the timeout: the outage is reported at most 10% late.
        self.check_interval = check_interval or max(timeout / 10, 1.0)

    def due(self) -> list[Webhook]:
        """The webhook to store now: the outage's firing alert, its resolution, or nothing."""
        if self._routing.current.watchdog.url is not None:
            return []  # a heartbeat service expects the Watchdog, not this receiver
        # The console's Routing editor may change the repeat interval while this runs.
        problem = watchdog_timing_problem(self._routing.current, self._timeout.total_seconds())
        if problem is not None and problem != self._timing_warned:
            log.error("%s (false alarms likely)", problem)
        self._timing_warned = problem
        now = self._clock()
        with self._sessions() as session:
            last = session.scalar(
                select(func.max(WebhookReceipt.received_at)).where(
                    WebhookReceipt.receiver == DEAD_MANS_SWITCH_RECEIVER
                )
            )
            open_outage = session.scalars(
                select(Alert.starts_at)
                .where(Alert.fingerprint == WATCHDOG_MISSING_FINGERPRINT, Alert.status == "firing")
                .order_by(Alert.starts_at.desc())
                .limit(1)
            ).first()
        # A Watchdog stored before this process started counts from the start instead: the
        # receiver was down meanwhile, and Alertmanager needs a repeat interval to resend it.
        since = max(last, self._started_at) if last is not None else self._started_at
        missing_from = since + self._timeout
        if now >= missing_from:
            if open_outage is not None:
                return []  # reported already (by this process or a replica)
            return [_webhook("firing", missing_from, None, last, self._timeout)]
        if open_outage is not None:
            return [_webhook("resolved", open_outage, last or now, last, self._timeout)]
        return []


def _webhook(
    status: str,
    starts_at: datetime,
    ends_at: datetime | None,
    last: datetime | None,
    timeout: timedelta,
) -> Webhook:
    minutes = timeout.total_seconds() / 60
    labels = {"alertname": WATCHDOG_MISSING_ALERT, "severity": "critical", "family": META_FAMILY}
    if status == "firing":
        seen = f"The last one arrived at {last:%Y-%m-%d %H:%M:%S} UTC." if last else "None arrived."
        description = (
            f"The always-firing Watchdog alert has not reached the receiver for {minutes:g} "
            f"minutes. {seen} Prometheus, Alertmanager or the path between them is down, so "
            "alerts reach nobody: check them (their logs; the runbook's "
            "ChargekeeperAlertmanagerDown). The receiver sent this itself, without Alertmanager."
        )
    else:
        description = (
            f"The Watchdog reached the receiver again at {ends_at:%Y-%m-%d %H:%M:%S} UTC: "
            "alerts travel through Prometheus and Alertmanager again."
        )
    annotations = {
        "summary": "No Watchdog reaches the Chargekeeper receiver: alerts may reach nobody.",
        "description": description,
        # The console serves the runbook; links make this path absolute with its URL.
        "runbook_url": f"/runbook#{WATCHDOG_MISSING_ALERT.lower()}",
    }
    alert = {
        "status": status,
        "labels": labels,
        "annotations": annotations,
        "startsAt": starts_at.isoformat(),
        "endsAt": ends_at.isoformat() if ends_at is not None else "0001-01-01T00:00:00Z",
        "generatorURL": "",
        "fingerprint": WATCHDOG_MISSING_FINGERPRINT,
    }
    body: dict[str, Any] = {
        "version": "4",
        "receiver": OPERATIONS_RECEIVER,
        "status": status,
        "alerts": [alert],
        "groupLabels": {"alertname": WATCHDOG_MISSING_ALERT},
        "commonLabels": labels,
        "commonAnnotations": annotations,
        "externalURL": "",
        "groupKey": f'{{}}:{{alertname="{WATCHDOG_MISSING_ALERT}"}}',
        "truncatedAlerts": 0,
        SYNTHESIZED_KEY: {"by": SYNTHESIZED_BY, "reason": "watchdog missing"},
    }
    return WebhookPayload.model_validate(body), body

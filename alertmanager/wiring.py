"""Assemble the receiver component: the stages, outbox, escalation, notifiers (or their local
stand-ins) and its HTTP routers, over the store, fleet and routing the root hands it.

The root (``chargekeeper.receiver``) builds the process around it: the store, the app, the
console beside it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import APIRouter
from sqlalchemy.orm import Session, sessionmaker

from alertmanager.backlog import OutboxBacklog
from alertmanager.escalation import Escalator
from alertmanager.http import receiver_router
from alertmanager.localsms import LocalSmsServer
from alertmanager.localsmtp import LocalSmtpServer
from alertmanager.messages import Renderer
from alertmanager.metrics import ReceiverMetrics
from alertmanager.notify import Notifier, SmtpNotifier, TwilioNotifier
from alertmanager.outbox import Outbox
from alertmanager.pipeline import Pipeline, PipelineConfig
from alertmanager.service import ReceiverService
from alertmanager.settings import (
    LOCAL_ACCOUNT_SID,
    ReceiverConfig,
    local_auth_token,
    smtp_settings,
    twilio_settings,
)
from alertmanager.smshooks import SmsHooks
from alertmanager.stages.deliver import OutboxWorker, RateLimiter
from alertmanager.watchdog import WatchdogMonitor
from chargekeeper.api import BearerAuth
from chargekeeper.config.fleet import Fleet
from chargekeeper.net import free_port
from chargekeeper.routing import (
    NOBODY_RECEIVERS,
    EscalationPlan,
    LiveRouting,
    Recipient,
    RecipientResolver,
    routing_escalation,
    routing_resolver,
)
from translator import SqliteUnknownCodeStore, Translator, UnknownCodeRecorder, default_store_path

log = logging.getLogger(__name__)


@dataclass
class Receiver:
    """The assembled receiver: its background service, its HTTP routers (the webhook first),
    and the local providers it started, which ``close`` stops."""

    service: ReceiverService
    routers: list[APIRouter]
    # The key Twilio callbacks are signed with (the local endpoint's, with local providers).
    sms_auth_token: str
    local_servers: list[LocalSmtpServer | LocalSmsServer] = field(default_factory=list)

    def close(self) -> None:
        for server in self.local_servers:
            server.stop()


def _nobody(receiver: str) -> Sequence[Recipient]:
    if receiver in NOBODY_RECEIVERS:
        return []  # the recording route and the dead man's switch tell nobody anyway
    log.warning("no routing.yaml: webhook for %r stored, nobody notified", receiver)
    return []


def build_receiver(
    config: ReceiverConfig,
    sessions: sessionmaker[Session],
    fleet: Fleet,
    routing: LiveRouting | None,
    bearer: BearerAuth,
    state_dir: Path,
) -> Receiver:
    """The receiver over ``sessions``; with ``config.local_providers`` it starts the local SMTP
    server and SMS endpoint, keeping what they receive in ``state_dir``."""
    # The console's Routing editor replaces the live policy; these resolvers read it per call.
    resolve: RecipientResolver = routing_resolver(routing) if routing else _nobody
    plan = routing_escalation(routing, fleet) if routing else None
    local_servers: list[LocalSmtpServer | LocalSmsServer] = []
    local_sms: tuple[str, str] | None = None
    if config.local_providers:
        # The local SMTP server is internal to this process: any free port will do, so that
        # several stacks (a demo beside a test run) never collide.
        smtp = LocalSmtpServer(state_dir, config.smtp.host, free_port(config.smtp.host)).start()
        local_servers.append(smtp)
        config = config.model_copy(
            update={"smtp": config.smtp.model_copy(update={"port": smtp.port})}
        )
        # Its token also signs technicians' SMS replies: per state directory, never a constant.
        token = local_auth_token(state_dir)
        sms = LocalSmsServer(state_dir, LOCAL_ACCOUNT_SID, token).start()
        local_servers.append(sms)
        local_sms = (sms.url, token)
    notifiers: dict[str, Notifier] = {"email": SmtpNotifier(smtp_settings(config.smtp))}
    sms_settings = twilio_settings(config.twilio, local_sms, config.public_url)
    notifiers["sms"] = TwilioNotifier(sms_settings)

    limiters = {"sms": RateLimiter(sms_settings.rate_per_second)}
    service = build_service(config, sessions, fleet, resolve, state_dir, notifiers, limiters, plan)
    if routing is not None:
        service.watchdog = WatchdogMonitor(sessions, routing, config.watchdog_timeout)
    hooks = SmsHooks(
        sessions, service.worker.outbox, service.metrics, sms_settings.auth_token, config.public_url
    )
    routers = [receiver_router(service, bearer), hooks.router()]
    return Receiver(service, routers, sms_settings.auth_token, local_servers)


def build_service(
    config: ReceiverConfig,
    sessions: sessionmaker[Session],
    fleet: Fleet,
    resolve: RecipientResolver,
    state_dir: Path,
    notifiers: dict[str, Notifier],
    limiters: dict[str, RateLimiter] | None = None,
    escalation: EscalationPlan | None = None,
) -> ReceiverService:
    """The pipeline, outbox and escalation behind the routers (tests inject their notifiers)."""
    pipeline = Pipeline(
        sessions,
        Translator.load(),
        resolve,
        Renderer(),
        PipelineConfig(
            links=config.links_(),
            site_names={site.id: site.name or site.id for site in fleet.sites},
            notify_resolved=config.notify_resolved,
        ),
        recorder=UnknownCodeRecorder(SqliteUnknownCodeStore(default_store_path(state_dir))),
    )
    outbox = Outbox(sessions, config.retry_policy(), failover=pipeline.failover)
    metrics = ReceiverMetrics()
    metrics.registry.register(OutboxBacklog(sessions))
    worker = OutboxWorker(outbox, notifiers, metrics, limiters)
    escalator = Escalator(sessions, pipeline.tell, escalation) if escalation else None
    return ReceiverService(
        pipeline, worker, metrics, escalator, escalation_interval=config.escalation_interval
    )

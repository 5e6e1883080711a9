"""Assemble the receiver from a config directory: store, translator, routing, notifiers, app."""

from __future__ import annotations

import logging
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy import Engine

from alertmanager.app import create_app
from alertmanager.backlog import OutboxBacklog
from alertmanager.escalation import Escalator
from alertmanager.localsms import LocalSmsServer
from alertmanager.localsmtp import LocalSmtpServer
from alertmanager.metrics import ReceiverMetrics
from alertmanager.notify import Notifier, SmtpNotifier, TwilioNotifier
from alertmanager.outbox import Outbox, OutboxWorker, RateLimiter
from alertmanager.pipeline import Pipeline, PipelineConfig
from alertmanager.recipients import (
    Addressee,
    EscalationPlan,
    LiveRouting,
    RecipientResolver,
    routing_escalation,
    routing_resolver,
)
from alertmanager.render import Renderer
from alertmanager.service import ReceiverService
from alertmanager.settings import (
    LOCAL_ACCOUNT_SID,
    LOCAL_AUTH_TOKEN,
    ReceiverConfig,
    load_receiver_config,
    read_secret,
    smtp_settings,
    twilio_settings,
)
from alertmanager.smshooks import SmsHooks
from chargekeeper.config.fleet import Fleet, load_fleet
from chargekeeper.config.routing import load_routing
from chargekeeper.store import create_schema, make_engine, make_sessionmaker, sqlite_url
from console.app import build_console
from console.settings import ConsoleOverrides, load_console_config
from translator import SqliteUnknownCodeStore, Translator, UnknownCodeRecorder, default_store_path

log = logging.getLogger(__name__)


@dataclass
class Receiver:
    """The assembled receiver; ``close`` stops the local providers it started."""

    app: FastAPI
    service: ReceiverService
    local_servers: list[LocalSmtpServer | LocalSmsServer] = field(default_factory=list)

    def close(self) -> None:
        """Stop the local providers and close the store's connections (once the app and its
        workers have stopped: a connection still open would be dropped unclosed)."""
        for server in self.local_servers:
            server.stop()
        engine = self.service.pipeline.sessions.kw.get("bind")
        if isinstance(engine, Engine):
            engine.dispose()


def _free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def _nobody(receiver: str) -> Sequence[Addressee]:
    log.warning("no routing.yaml: webhook for %r stored, nobody notified", receiver)
    return []


def build_receiver(
    config_dir: Path,
    state_dir: Path,
    *,
    local_providers: bool = False,
    token_file: Path | None = None,
    console_overrides: ConsoleOverrides | None = None,
) -> Receiver:
    """Everything ``chargekeeper receiver`` serves, built from ``config_dir``.

    ``local_providers`` (or ``local_providers: true`` in receiver.yaml) starts the local SMTP
    server and SMS endpoint, keeping what they receive in ``state_dir``. ``console_overrides``
    replaces console.yaml's settings of the same name (the command line's, from ``up``).
    """
    config = load_receiver_config(config_dir)
    if local_providers:
        config = config.model_copy(update={"local_providers": True})
    if token_file is not None:
        config = config.model_copy(update={"token_file": token_file.resolve()})
    state_dir.mkdir(parents=True, exist_ok=True)
    fleet_path, routing_path = config_dir / "fleet.yaml", config_dir / "routing.yaml"
    fleet = load_fleet(fleet_path) if fleet_path.exists() else Fleet()
    # The console's Routing editor replaces the live policy; these resolvers read it per call.
    routing = LiveRouting(load_routing(routing_path, fleet)) if routing_path.exists() else None
    resolve: RecipientResolver = routing_resolver(routing) if routing else _nobody
    plan = routing_escalation(routing, fleet) if routing else None
    token = read_secret(config.token_file, "receiver bearer token") if config.token_file else None
    if token is None:
        log.warning("no token_file in receiver.yaml: the webhook accepts unauthenticated posts")

    local_servers: list[LocalSmtpServer | LocalSmsServer] = []
    local_sms_url = None
    if config.local_providers:
        # The local SMTP server is internal to this process: any free port will do, so that
        # several stacks (a demo beside a test run) never collide.
        smtp = LocalSmtpServer(state_dir, config.smtp.host, _free_port(config.smtp.host)).start()
        local_servers.append(smtp)
        config = config.model_copy(
            update={"smtp": config.smtp.model_copy(update={"port": smtp.port})}
        )
        sms = LocalSmsServer(state_dir, LOCAL_ACCOUNT_SID, LOCAL_AUTH_TOKEN).start()
        local_servers.append(sms)
        local_sms_url = sms.url
    notifiers: dict[str, Notifier] = {"email": SmtpNotifier(smtp_settings(config.smtp))}
    sms_settings = twilio_settings(config.twilio, local_sms_url, config.public_url)
    notifiers["sms"] = TwilioNotifier(sms_settings)

    limiters = {"sms": RateLimiter(sms_settings.rate_per_second)}
    service = build_service(config, fleet, resolve, state_dir, notifiers, limiters, plan)
    hooks = SmsHooks(
        service.pipeline.sessions,
        service.worker.outbox,
        service.metrics,
        sms_settings.auth_token,
        config.public_url,
    )
    # The console (issue 6) is served by the same app over the same store: its pages, its
    # JSON API and the sweeper that stores the resolutions Alertmanager mutes (acked alerts) and
    # expires the silences of resolved alerts.
    console_config = load_console_config(config_dir, console_overrides)
    console = build_console(
        config_dir,
        state_dir,
        service.pipeline.sessions,
        fleet,
        config.links_(),
        routing,
        console_config,
        service.store,
    )
    routers = [hooks.router(), *console.routers]
    return Receiver(create_app(service, token, routers), service, local_servers)


def build_service(
    config: ReceiverConfig,
    fleet: Fleet,
    resolve: RecipientResolver,
    state_dir: Path,
    notifiers: dict[str, Notifier],
    limiters: dict[str, RateLimiter] | None = None,
    escalation: EscalationPlan | None = None,
) -> ReceiverService:
    """The store, pipeline and outbox behind the app (tests inject their own notifiers)."""
    engine = make_engine(config.database_url or sqlite_url(state_dir / "receiver.sqlite3"))
    create_schema(engine)
    sessions = make_sessionmaker(engine)
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
    escalator = Escalator(sessions, pipeline, escalation) if escalation else None
    return ReceiverService(
        pipeline, worker, metrics, escalator, escalation_interval=config.escalation_interval
    )

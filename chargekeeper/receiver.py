"""The root of ``chargekeeper receiver``: the webhook receiver and the console in one process.

The receiver (``alertmanager/``: webhook, pipeline, outbox) and the console (``console/``:
pages, JSON API, editors) never import each other. This module wires them together: one store,
one FastAPI app and its lifespan, one bearer check for ``/api/v1``, and the resolution feed
from the console's sweeper to the receiver's pipeline.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from fastapi import FastAPI
from fastapi_offline import FastAPIOffline
from sqlalchemy import Engine

from alertmanager.service import ReceiverService
from alertmanager.settings import (
    RECEIVER_FILE,
    ReceiverConfig,
    load_receiver_config,
    read_secret,
)
from alertmanager.wiring import Receiver as ReceiverComponent
from alertmanager.wiring import build_receiver as build_receiver_component
from chargekeeper.api import BearerAuth
from chargekeeper.config.fleet import Fleet, load_fleet
from chargekeeper.config.loader import ConfigError
from chargekeeper.config.routing import load_routing
from chargekeeper.routing import LiveRouting
from chargekeeper.store import create_schema, make_engine, make_sessionmaker, sqlite_url
from console.app import Console, build_console
from console.settings import ConsoleOverrides, load_console_config

log = logging.getLogger(__name__)

# What a request body may weigh on a route that does not set its own limit (FastAPI refuses
# more with a 413 before reading it, declared or chunked).
MAX_BODY_BYTES = 1024 * 1024


@dataclass
class Receiver:
    """The process's app and its parts; ``close`` once the app has stopped."""

    app: FastAPI
    component: ReceiverComponent
    console: Console
    engine: Engine

    @property
    def service(self) -> ReceiverService:
        return self.component.service

    def close(self) -> None:
        """Stop the local providers and close the store's connections (once the app and its
        workers have stopped: a connection still open would be dropped unclosed)."""
        self.component.close()
        self.engine.dispose()


def build_receiver(
    config_dir: Path,
    state_dir: Path,
    *,
    local_providers: bool = False,
    token_file: Path | None = None,
    console_url: str | None = None,
    console_overrides: ConsoleOverrides | None = None,
    require_token: bool = False,
) -> Receiver:
    """Everything ``chargekeeper receiver`` serves, built from ``config_dir``.

    ``local_providers`` (or ``local_providers: true`` in receiver.yaml) starts the local SMTP
    server and SMS endpoint, keeping what they receive in ``state_dir``. ``console_url``
    replaces receiver.yaml's ``links.console`` (the base of every console link a message
    carries). ``console_overrides`` replaces console.yaml's settings of the same name (the
    command line's, from ``up``). ``require_token`` refuses to build without a webhook token
    unless receiver.yaml says ``insecure_no_webhook_token: true`` (the command line requires
    one unless --insecure-no-webhook-token).
    """
    config = load_receiver_config(config_dir)
    if local_providers:
        config = config.model_copy(update={"local_providers": True})
    if token_file is not None:
        config = config.model_copy(update={"token_file": token_file.resolve()})
    if console_url is not None:
        links = config.links.model_copy(update={"console": console_url})
        config = config.model_copy(update={"links": links})
    state_dir.mkdir(parents=True, exist_ok=True)
    fleet_path, routing_path = config_dir / "fleet.yaml", config_dir / "routing.yaml"
    fleet = load_fleet(fleet_path) if fleet_path.exists() else Fleet()
    routing = LiveRouting(load_routing(routing_path, fleet)) if routing_path.exists() else None
    token = webhook_token(config, required=require_token)
    console_config = load_console_config(config_dir, console_overrides)

    engine = make_engine(config.database_url or sqlite_url(state_dir / "receiver.sqlite3"))
    create_schema(engine)
    sessions = make_sessionmaker(engine)
    bearer = BearerAuth(sessions, token)
    receiver = build_receiver_component(config, sessions, fleet, routing, bearer, state_dir)
    console = build_console(
        config_dir,
        state_dir,
        sessions,
        fleet,
        config.links_(),
        bearer,
        routing,
        console_config,
        feed=receiver.service,
    )

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await receiver.service.start()
        try:
            async with console.running():
                yield
        finally:
            await receiver.service.stop()

    # /docs and /redoc with Swagger UI and ReDoc served from the package's own copies (under
    # /static-offline-docs): FastAPI's default pages load them from a CDN, blank offline.
    app = FastAPIOffline(
        title="Chargekeeper receiver",
        version="1",
        description="Alertmanager webhook receiver, alerts and the notification delivery log.",
        lifespan=lifespan,
        # Console forms and JSON edits are a few KB (routing.yaml in the editor a few hundred
        # at most); the webhook (32 MB) and Twilio's callbacks (64 KB) set their own limits.
        max_body_size=MAX_BODY_BYTES,
    )
    # The receiver's routes first: requests are matched in order, and the webhook, hit a hundred
    # times at once in a storm, should not be tried against every console page first.
    for router in (*receiver.routers, *console.routers):
        app.include_router(router)
    return Receiver(app, receiver, console, engine)


def webhook_token(config: ReceiverConfig, *, required: bool) -> str | None:
    """The bearer token Alertmanager must send; ConfigError when one is required and absent."""
    if config.token_file is not None:
        return read_secret(config.token_file, "receiver bearer token")
    if required and not config.insecure_no_webhook_token:
        raise ConfigError(
            RECEIVER_FILE,
            [
                f"{RECEIVER_FILE}: no token_file: the webhook would accept alerts from anyone "
                "who can reach it; write a random token to a file and set token_file (or pass "
                "--token-file FILE), or accept the risk with --insecure-no-webhook-token"
            ],
        )
    log.warning(
        "INSECURE: no webhook token (token_file): the webhook accepts unauthenticated posts"
    )
    return None


def _host_port(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise typer.BadParameter(f"{value!r} is not HOST:PORT (e.g. 127.0.0.1:9095)")
    return host.strip("[]") or "0.0.0.0", int(port)  # noqa: S104 - ':PORT' means every interface


def register(app: typer.Typer) -> None:
    """Add ``chargekeeper receiver`` to the command line."""

    @app.command("receiver")
    def receiver(
        listen: Annotated[
            str,
            typer.Option("--listen", metavar="HOST:PORT", help="HOST:PORT of the webhook and API."),
        ] = "127.0.0.1:9095",
        config: Annotated[
            Path,
            typer.Option(
                "--config",
                metavar="DIR",
                help="Config directory (fleet.yaml, routing.yaml, receiver.yaml).",
                exists=True,
                file_okay=False,
            ),
        ] = Path("examples/demo"),
        state_dir: Annotated[
            Path,
            typer.Option(
                "--state-dir", metavar="DIR", help="Store, local mail and SMS, unknown codes."
            ),
        ] = Path(".state"),
        local_providers: Annotated[
            bool,
            typer.Option(
                "--local-providers",
                help="Demo: send through a local SMTP server and SMS endpoint in the state dir.",
            ),
        ] = False,
        token_file: Annotated[
            Path | None,
            typer.Option(
                "--token-file",
                metavar="FILE",
                help="File holding the bearer token Alertmanager sends (overrides receiver.yaml).",
                show_default=False,
            ),
        ] = None,
        insecure_no_webhook_token: Annotated[
            bool,
            typer.Option(
                "--insecure-no-webhook-token",
                help="Start without a webhook token: anyone who reaches the receiver can then "
                "post alerts (same as receiver.yaml insecure_no_webhook_token: true).",
            ),
        ] = False,
        console_url: Annotated[
            str | None,
            typer.Option(
                help=(
                    "The console's address as technicians reach it, the base of every link "
                    "a message carries (overrides receiver.yaml's links.console)."
                ),
                metavar="URL",
                show_default=False,
            ),
        ] = None,
        alertmanager_url: Annotated[
            str | None,
            typer.Option(
                metavar="URL",
                help="Alertmanager the console silences and reloads (overrides console.yaml).",
                show_default=False,
            ),
        ] = None,
        alertmanager_peers: Annotated[
            list[str] | None,
            typer.Option(
                "--alertmanager-peer",
                metavar="URL",
                help=(
                    "Another Alertmanager of the cluster, reloaded too after a routing edit "
                    "(repeat for each; overrides console.yaml)."
                ),
                show_default=False,
            ),
        ] = None,
        prometheus_url: Annotated[
            str | None,
            typer.Option(
                metavar="URL",
                help="Prometheus the Rules editor queries and reloads (overrides console.yaml).",
                show_default=False,
            ),
        ] = None,
        render_dir: Annotated[
            Path | None,
            typer.Option(
                help=(
                    "Where `config render` wrote prometheus/ and alertmanager/: the console's "
                    "editors re-render there (overrides console.yaml)."
                ),
                metavar="DIR",
                show_default=False,
            ),
        ] = None,
    ) -> None:
        """Receive Alertmanager webhooks, notify technicians by email and SMS, serve the console."""
        host, port = _host_port(listen)
        overrides = ConsoleOverrides()
        if alertmanager_url is not None:
            overrides["alertmanager_url"] = alertmanager_url
        if alertmanager_peers:
            overrides["alertmanager_peers"] = alertmanager_peers
        if prometheus_url is not None:
            overrides["prometheus_url"] = prometheus_url
        if render_dir is not None:
            overrides["render_dir"] = render_dir.resolve()
        try:
            built = build_receiver(
                config,
                state_dir,
                local_providers=local_providers,
                token_file=token_file,
                console_url=console_url,
                console_overrides=overrides,
                require_token=not insecure_no_webhook_token,
            )
        except ConfigError as exc:
            for problem in exc.problems:
                typer.echo(problem, err=True)
            raise typer.Exit(2) from None
        try:
            uvicorn.run(
                built.app,
                host=host,
                port=port,
                log_level="warning",
                access_log=False,
                # X-Forwarded-For is believed only from console.yaml's trusted_proxies.
                forwarded_allow_ips=built.console.context.config.forwarded_allow_ips(),
            )
        finally:
            built.close()

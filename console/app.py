"""Assemble the console: its context, page and API routers, static files and the sweeper.

The console serves its pages and the JSON API in the app the root ``chargekeeper.receiver``
builds, over the store the receiver writes. It never calls the receiver: the resolutions
Alertmanager mutes reach it through the kernel's resolution feed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from chargekeeper.api import BearerAuth
from chargekeeper.blocking import BlockingCalls
from chargekeeper.config.fleet import Fleet
from chargekeeper.links import Links
from chargekeeper.resolutions import ResolutionFeed, ResolutionNotStored
from chargekeeper.routing import LiveRouting
from console.acks import RESOLVED_WHILE_SILENCED, AckService
from console.api import api_routers
from console.auth import LoginLimiter, SessionSigner, bootstrap_admin, load_or_create_secret
from console.context import ConsoleContext
from console.settings import ConsoleConfig, load_console_config
from console.silences import SilenceClient, SilenceError
from console.web.alert_detail import alert_detail_router
from console.web.alerts import alerts_router
from console.web.chargers import chargers_router
from console.web.charts import charts_router
from console.web.login import login_router
from console.web.notifications import notifications_router
from console.web.routing_edit import routing_editor_router
from console.web.routing_preview import routing_preview_router
from console.web.rules import rules_router
from console.web.runbook import runbook_router
from console.web.tokens import tokens_router
from console.web.unknown_codes import unknown_codes_router
from console.web.users import users_router
from translator import Translator

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
STATIC_FILES = {
    "console.css": "text/css",
    "live.js": "text/javascript",
    "charts.js": "text/javascript",
}
# How often acked alerts are checked for a resolution Alertmanager muted, and the silences of
# resolved alerts expired in Alertmanager.
SWEEP_SECONDS = 5.0


@dataclass
class Console:
    """The assembled console: what its handlers share, the routers to include, and the
    resolution feed its sweeper hands what it learns (None: not learnt)."""

    context: ConsoleContext
    routers: list[APIRouter]
    feed: ResolutionFeed | None = None

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Run the sweeper every ``SWEEP_SECONDS`` while the block runs; close the
        Alertmanager client after it."""
        blocking = BlockingCalls("console-sweeper")
        task = asyncio.create_task(_sweep_forever(self.context.acks, self.feed, blocking))
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await blocking.drain()  # a sweep's store query may still hold a connection
            self.context.acks.close()


def build_console(
    config_dir: Path,
    state_dir: Path,
    sessions: sessionmaker[Session],
    fleet: Fleet,
    links: Links,
    bearer: BearerAuth,
    routing: LiveRouting | None = None,
    config: ConsoleConfig | None = None,
    feed: ResolutionFeed | None = None,
) -> Console:
    """The console over an existing store; creates the first admin if one is configured."""
    config = config or load_console_config(config_dir)
    bootstrap_admin(sessions, state_dir)
    silences = SilenceClient(config.alertmanager_url) if config.alertmanager_url else None
    if silences is None:
        log.warning("console.yaml has no alertmanager_url: acks will not create silences")
    context = ConsoleContext(
        sessions=sessions,
        fleet=fleet,
        config=config,
        signer=SessionSigner(load_or_create_secret(state_dir), int(config.session_hours * 3600)),
        limiter=LoginLimiter(),
        acks=AckService(sessions, silences, config.silence_days),
        translator=Translator.load(),
        links=links,
        bearer=bearer,
    )
    routers = [
        _static_router(),
        login_router(context),
        alerts_router(context, routing),
        alert_detail_router(context, routing),
        chargers_router(context),
        charts_router(context),
        runbook_router(context),
        notifications_router(context),
        routing_preview_router(context, routing),
        routing_editor_router(context, config_dir, routing),
        unknown_codes_router(context, state_dir),
        tokens_router(context),
        users_router(context),
        rules_router(context, config_dir),
        *api_routers(context),
    ]
    return Console(context, routers, feed)


def _static_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/console/static/{name}")
    def static(name: str) -> FileResponse:
        if name not in STATIC_FILES:
            raise HTTPException(404, f"no static file {name!r}")
        return FileResponse(STATIC / name, media_type=STATIC_FILES[name])

    return router


async def _sweep_forever(
    acks: AckService, feed: ResolutionFeed | None, blocking: BlockingCalls
) -> None:
    while True:
        # Sleeping first lets the receiver's service, started just before, start its writer.
        await asyncio.sleep(SWEEP_SECONDS)
        try:
            await sweep(acks, feed, blocking)
        except (SilenceError, SQLAlchemyError, ResolutionNotStored) as exc:
            log.warning("sweeping acked alerts failed, will retry: %s", exc)


async def sweep(acks: AckService, feed: ResolutionFeed | None, blocking: BlockingCalls) -> None:
    """Hand ``feed`` the resolutions of acked alerts that Alertmanager muted (the receiver
    then tells them as it tells any), then expire the silences of every resolved alert.

    The feed stores the resolution before it returns, so its silence is expired in this same
    sweep. Any error leaves the rest for the next sweep. Blocking calls run through
    ``blocking``, which the caller drains before closing the store.
    """
    if feed is not None:
        for alert_id, observed_at in await blocking.run(acks.resolved_under_silence):
            await feed.resolved(alert_id, observed_at, "console", RESOLVED_WHILE_SILENCED)
    expired = await blocking.run(acks.expire_resolved)
    if expired:
        log.info("expired the silences of %d resolved alerts", expired)

"""Assemble the console: its context, page routers, static files and the silence sweeper.

The console runs inside the receiver's FastAPI app (``alertmanager.wiring`` passes
:attr:`Console.routers` to ``create_app``), sharing its store.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, HTTPException
from fastapi.responses import FileResponse
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from alertmanager.groupcommit import WriterNotRunning
from alertmanager.payload import WebhookPayload
from alertmanager.recipients import LiveRouting
from chargekeeper.blocking import BlockingCalls
from chargekeeper.config.fleet import Fleet
from chargekeeper.links import Links
from console.acks import AckService
from console.api import api_router
from console.auth import LoginLimiter, SessionSigner, bootstrap_admin, load_or_create_secret
from console.context import ConsoleContext
from console.settings import ConsoleConfig, load_console_config
from console.silences import SilenceClient, SilenceError
from console.web.alert_detail import alert_detail_router
from console.web.alerts import alerts_router
from console.web.chargers import chargers_router
from console.web.login import login_router
from console.web.notifications import notifications_router
from console.web.routing_edit import routing_editor_router
from console.web.routing_preview import routing_preview_router
from console.web.rules import rules_router
from console.web.tokens import tokens_router
from console.web.unknown_codes import unknown_codes_router
from console.web.users import users_router
from translator import Translator

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
STATIC_FILES = {"console.css": "text/css", "live.js": "text/javascript"}
# How often acked alerts are checked for a resolution Alertmanager muted, and the silences of
# resolved alerts expired in Alertmanager.
SWEEP_SECONDS = 5.0

StoreWebhook = Callable[[WebhookPayload, dict[str, Any]], Awaitable[int]]


@dataclass
class Console:
    """The assembled console: what its handlers share, and the routers to include."""

    context: ConsoleContext
    routers: list[APIRouter]


def build_console(
    config_dir: Path,
    state_dir: Path,
    sessions: sessionmaker[Session],
    fleet: Fleet,
    links: Links,
    routing: LiveRouting | None = None,
    config: ConsoleConfig | None = None,
    store_webhook: StoreWebhook | None = None,
) -> Console:
    """The console over an existing store; creates the first admin if one is configured.

    ``store_webhook`` is the receiver's way in for a webhook (``ReceiverService.store``): the
    sweeper hands it the resolutions Alertmanager muted. Without it they are not learnt.
    """
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
    )
    return Console(
        context,
        [
            _static_router(),
            _sweeper(context, store_webhook),
            login_router(context),
            alerts_router(context),
            alert_detail_router(context),
            chargers_router(context),
            notifications_router(context),
            routing_preview_router(context, routing),
            routing_editor_router(context, config_dir, routing),
            unknown_codes_router(context, state_dir),
            tokens_router(context),
            users_router(context),
            rules_router(context, config_dir),
            api_router(context),
        ],
    )


def _static_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/console/static/{name}")
    def static(name: str) -> FileResponse:
        if name not in STATIC_FILES:
            raise HTTPException(404, f"no static file {name!r}")
        return FileResponse(STATIC / name, media_type=STATIC_FILES[name])

    return router


def _sweeper(context: ConsoleContext, store_webhook: StoreWebhook | None) -> APIRouter:
    """A router with no routes whose lifespan runs :func:`sweep` every ``SWEEP_SECONDS`` (and
    closes the Alertmanager client at shutdown)."""

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        blocking = BlockingCalls("console-sweeper")
        task = asyncio.create_task(_sweep_forever(context, store_webhook, blocking))
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await blocking.drain()  # a sweep's store query may still hold a connection
            context.acks.close()

    return APIRouter(lifespan=lifespan)


async def _sweep_forever(
    context: ConsoleContext, store_webhook: StoreWebhook | None, blocking: BlockingCalls
) -> None:
    while True:
        # Sleeping first lets the receiver's service, started just before, start its writer.
        await asyncio.sleep(SWEEP_SECONDS)
        try:
            await sweep(context.acks, store_webhook, blocking)
        except (SilenceError, SQLAlchemyError, WriterNotRunning) as exc:
            log.warning("sweeping acked alerts failed, will retry: %s", exc)


async def sweep(
    acks: AckService, store_webhook: StoreWebhook | None, blocking: BlockingCalls
) -> None:
    """Store the resolutions of acked alerts that Alertmanager muted (the receiver then tells
    them as it tells any), then expire the silences of every resolved alert.

    Storing updates the alert in the store before it returns, so its silence is expired in this
    same sweep. Any error leaves the rest for the next sweep. Blocking calls run through
    ``blocking``, which the caller drains before closing the store.
    """
    if store_webhook is not None:
        for payload, raw in await blocking.run(acks.unannounced_resolutions):
            receipt_id = await store_webhook(payload, raw)
            log.info(
                "alert %s resolved under its ack's silence: stored as webhook %d for %r",
                payload.alerts[0].fingerprint,
                receipt_id,
                payload.receiver,
            )
    expired = await blocking.run(acks.expire_resolved)
    if expired:
        log.info("expired the silences of %d resolved alerts", expired)

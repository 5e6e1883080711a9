"""The unknown codes page: codes chargers reported that the translator's catalog lacks.

Grouped by manufacturer and ranked by chargers affected, so the operator sees whose code table
to ask for and import first.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from console.context import ConsoleContext
from console.web.guard import page_user
from console.web.render import render
from translator import SqliteUnknownCodeStore, default_store_path, rank_by_manufacturer


def unknown_codes_router(ctx: ConsoleContext, state_dir: Path) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    path = default_store_path(state_dir)

    @router.get("/unknown-codes")
    def unknown_codes(request: Request) -> HTMLResponse:
        user, data = page_user(ctx, request)
        # Opened per request: the receiver's recorder writes the same file from its own
        # connection, and a page view is rare enough for the open to cost nothing noticeable.
        store = SqliteUnknownCodeStore(path)
        try:
            codes = store.list()
        finally:
            store.close()
        return render(
            request,
            "unknown_codes.html",
            ctx.config.language,
            user=user,
            csrf=data.csrf,
            gaps=rank_by_manufacturer(codes),
            local_time=ctx.local_time,
        )

    return router

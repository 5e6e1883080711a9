"""The runbook, served by the console: every alert's ``runbook_url`` can point here
(``policy.yaml: runbook_base_url: <console>/runbook``), so the link in a message answers
wherever the console does, offline included.

Public like the file it renders (``rules/runbook.md``, shipped with the package): a technician
following the link from an SMS reads it before logging in.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import markdown
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse

from chargekeeper.render.prometheus import DEFAULT_RULES_DIR
from console.context import ConsoleContext
from console.web.render import render

RUNBOOK = DEFAULT_RULES_DIR / "runbook.md"


@cache
def runbook_html(path: Path) -> str:
    """The runbook as HTML; each alert's heading gets the id its runbook_url ends with
    (``#chargerfaulted``: the toc extension lower-cases the heading)."""
    return markdown.markdown(path.read_text(encoding="utf-8"), extensions=["toc", "tables"])


def runbook_router(ctx: ConsoleContext, path: Path = RUNBOOK) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/runbook")
    def runbook(request: Request) -> HTMLResponse:
        if not path.is_file():
            raise HTTPException(404, f"the runbook is missing: {path} (reinstall the package)")
        return render(
            request, "runbook.html", ctx.config.language, user=None, body=runbook_html(path)
        )

    return router

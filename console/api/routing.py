"""``/api/v1/routing``: read the routing policy, and (admins) replace it the way the page does."""

# No ``from __future__ import annotations``: FastAPI resolves the dependency annotations at
# run time, and ``ApiUser`` is local to the router function.

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from chargekeeper.api.models import ProblemOut, RoutingChangeOut, RoutingIn, RoutingOut
from chargekeeper.routing import LiveRouting
from chargekeeper.store import User
from console.api.base import console_api_router
from console.context import ConsoleContext
from console.i18n import translate
from console.routing import RoutingEditor
from console.routing.apply import text_sha256
from console.web.users import require_admin

EDITS_ROUTING = "edits the routing"


_PUT_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"description": "Only an admin token may change the routing"},
    409: {
        "description": "Read-only here (render_dir or alertmanager_url unset), or "
        "routing.yaml changed since base_sha256"
    },
    422: {"model": RoutingChangeOut, "description": "Invalid policy; nothing was changed"},
    502: {
        "model": RoutingChangeOut,
        "description": "Rendering, amtool or Alertmanager failed; the previous files are back",
    },
}


def routing_api_router(
    ctx: ConsoleContext,
    editor: RoutingEditor | None,
    live: LiveRouting | None,
    routing_file: Path,
    read_only_reason: str,
) -> APIRouter:
    router = console_api_router()

    ApiUser = Annotated[User, Depends(ctx.bearer.user())]

    @router.get("/routing", response_model=RoutingOut)
    def get_routing(_user: ApiUser) -> RoutingOut:
        """routing.yaml and the policy in force."""
        text = routing_file.read_text(encoding="utf-8") if routing_file.is_file() else ""
        return RoutingOut(
            yaml=text,
            sha256=text_sha256(text),
            policy=live.current.model_dump(mode="json") if live else None,
            editable=editor is not None,
            read_only_reason=translate("en", read_only_reason) if read_only_reason else "",
        )

    @router.put("/routing", response_model=RoutingChangeOut, responses=_PUT_ERRORS)
    async def put_routing(body: RoutingIn, user: ApiUser) -> Any:
        """Replace routing.yaml: validated, rendered, checked with amtool, Alertmanager
        reloaded and confirmed, or nothing changed (the same path as the Routing page)."""
        require_admin(user, EDITS_ROUTING)
        if editor is None:
            raise HTTPException(
                status.HTTP_409_CONFLICT,
                f"the routing is read-only here: {translate('en', read_only_reason)}",
            )
        result = await run_in_threadpool(editor.apply, body.yaml, user.username, body.base_sha256)
        out = RoutingChangeOut(
            outcome=result.outcome,
            change_id=result.change_id,
            summary=result.summary,
            problems=[
                ProblemOut(line=p.line, field=p.field, message=p.message) for p in result.problems
            ],
            detail=result.detail,
        )
        if result.outcome in ("rejected", "conflict"):
            code = 422 if result.problems else 409 if result.outcome == "conflict" else 502
            return JSONResponse(out.model_dump(mode="json"), status_code=code)
        return out

    return router

"""The API tokens page: each user issues (shown once), lists and revokes their own tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from console.auth import issue_api_token, revoke_api_token, tokens_of
from console.auth.users import UserError
from console.context import ConsoleContext
from console.web.guard import check_csrf, page_user
from console.web.render import render


def tokens_router(ctx: ConsoleContext) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    def page(request: Request, new_token: str = "", status_code: int = 200) -> HTMLResponse:
        user, data = page_user(ctx, request)
        return render(
            request,
            "tokens.html",
            ctx.config.language,
            status_code=status_code,
            user=user,
            csrf=data.csrf,
            tokens=tokens_of(ctx.sessions, user.id),
            new_token=new_token,
            local_time=ctx.local_time,
        )

    @router.get("/tokens")
    def tokens(request: Request) -> HTMLResponse:
        return page(request)

    @router.post("/tokens")
    def issue(
        request: Request,
        csrf: Annotated[str, Form(max_length=128)],
        name: Annotated[str, Form(min_length=1, max_length=64)],
    ) -> HTMLResponse:
        user, data = page_user(ctx, request)
        check_csrf(data, csrf)
        try:
            token = issue_api_token(ctx.sessions, user.username, name)
        except UserError:
            return page(request, status_code=422)
        # Shown in this answer only: the store keeps its digest.
        response = page(request, new_token=token)
        response.headers["Cache-Control"] = "no-store"
        return response

    @router.post("/tokens/{token_id}/revoke")
    def revoke(
        token_id: int, request: Request, csrf: Annotated[str, Form(max_length=128)]
    ) -> RedirectResponse:
        user, data = page_user(ctx, request)
        check_csrf(data, csrf)
        revoke_api_token(ctx.sessions, user.id, token_id)
        return RedirectResponse("/tokens", status_code=303)

    return router

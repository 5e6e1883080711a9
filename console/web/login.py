"""Login and logout: throttled, CSRF-protected (double-submit cookie before a session exists).

The throttle counts the client's address as the server sees it: the peer, or what a proxy
listed in ``console.yaml``'s ``trusted_proxies`` forwarded (see :mod:`console.settings`).
Logout closes the login in the store, so its cookie is refused from then on.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from console.auth import authenticate, close_login, open_login
from console.context import ConsoleContext
from console.i18n import LANG_COOKIE, LANGUAGES
from console.web.guard import SESSION_COOKIE, check_csrf, page_user, safe_next
from console.web.render import render

LOGIN_CSRF_COOKIE = "ck_login_csrf"


def login_router(ctx: ConsoleContext) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    def login_form(request: Request, error: str = "", status_code: int = 200) -> HTMLResponse:
        token = secrets.token_urlsafe(32)
        response = render(
            request,
            "login.html",
            ctx.config.language,
            status_code=status_code,
            csrf=token,
            next=safe_next(request.query_params.get("next")),
            error=error,
            user=None,
        )
        response.set_cookie(
            LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=ctx.secure_cookies
        )
        return response

    @router.get("/login")
    def login_page(request: Request) -> HTMLResponse:
        return login_form(request)

    @router.post("/login", response_model=None)
    def login(
        request: Request,
        username: Annotated[str, Form(max_length=64)],
        password: Annotated[str, Form(max_length=1024)],
        csrf: Annotated[str, Form(max_length=128)],
        next: Annotated[str, Form(max_length=2048)] = "/alerts",
    ) -> Response:
        cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
        if not cookie or not hmac.compare_digest(cookie.encode(), csrf.encode()):
            return login_form(request, "bad_login", 403)
        address = request.client.host if request.client else "?"
        if ctx.limiter.blocked(username, address):
            return login_form(request, "throttled", 429)
        user = authenticate(ctx.sessions, username, password)
        if user is None:
            ctx.limiter.failed(username, address)
            return login_form(request, "bad_login", 401)
        ctx.limiter.succeeded(username, address)
        response = RedirectResponse(safe_next(next), status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            ctx.signer.dumps(open_login(ctx.sessions, user.id, ctx.signer.max_age_seconds)),
            max_age=ctx.signer.max_age_seconds,
            httponly=True,
            samesite="lax",
            secure=ctx.secure_cookies,
        )
        response.delete_cookie(
            LOGIN_CSRF_COOKIE, httponly=True, samesite="strict", secure=ctx.secure_cookies
        )
        return response

    @router.post("/logout")
    def logout(request: Request, csrf: Annotated[str, Form(max_length=128)]) -> RedirectResponse:
        _user, data = page_user(ctx, request)
        check_csrf(data, csrf)
        close_login(ctx.sessions, data.sid)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(
            SESSION_COOKIE, httponly=True, samesite="lax", secure=ctx.secure_cookies
        )
        return response

    @router.get("/language/{language}")
    def switch_language(language: str, request: Request) -> RedirectResponse:
        response = RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
        if language in LANGUAGES:
            response.set_cookie(
                LANG_COOKIE,
                language,
                max_age=365 * 86400,
                samesite="lax",
                secure=ctx.secure_cookies,
            )
        return response

    return router

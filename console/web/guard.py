"""Who is asking: the session cookie for pages, CSRF checks for their forms."""

from __future__ import annotations

import hmac
from urllib.parse import quote

from fastapi import HTTPException, Request, status

from chargekeeper.store import User
from console.auth import Role, SessionData, login_user
from console.context import ConsoleContext

SESSION_COOKIE = "ck_session"


def _login_redirect(request: Request) -> HTTPException:
    # Routers cannot add exception handlers to the receiver's app; a 303 raised as an
    # HTTPException keeps its Location header, and browsers follow it like any redirect.
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return HTTPException(
        status.HTTP_303_SEE_OTHER, headers={"Location": f"/login?next={quote(target, safe='')}"}
    )


def page_user(ctx: ConsoleContext, request: Request) -> tuple[User, SessionData]:
    """The logged-in user and session, or a redirect to the login page: the cookie must be
    genuine, unexpired, and name a login still live in the store (logout closes it)."""
    raw = request.cookies.get(SESSION_COOKIE)
    data = ctx.signer.loads(raw) if raw else None
    if data is not None:
        user = login_user(ctx.sessions, data)
        if user is not None:
            return user, data
    raise _login_redirect(request)


def check_csrf(data: SessionData, submitted: str) -> None:
    """Refuse a form whose token is not the one bound to this login."""
    if not hmac.compare_digest(data.csrf.encode(), submitted.encode()):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, "missing or wrong CSRF token; reload the page"
        )


def require_acknowledger(user: User) -> None:
    if not Role(user.role).can_acknowledge:
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"role {user.role!r} cannot acknowledge")


def safe_next(target: str | None) -> str:
    """Only a local path may follow a login (no open redirect to another site)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/alerts"

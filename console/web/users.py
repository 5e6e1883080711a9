"""The users page (admins only): list the console's users, add one with a role, remove one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import delete, select

from chargekeeper.store import ApiToken, User
from console.auth import Role, SessionData, close_logins_of, create_user
from console.auth.users import UserError
from console.context import ConsoleContext
from console.web.guard import check_csrf, page_user
from console.web.render import render

MANAGES_USERS = "manages users"


def require_admin(user: User, doing: str) -> None:
    """Refuse (403) anyone but an admin; ``doing`` ends the message "only an admin ..."."""
    if user.role != Role.ADMIN:
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"only an admin {doing}")


def admin_posting(
    ctx: ConsoleContext, request: Request, csrf: str, doing: str
) -> tuple[User, SessionData]:
    """The logged-in admin posting a form, with the form's CSRF token checked."""
    user, data = page_user(ctx, request)
    require_admin(user, doing)
    check_csrf(data, csrf)
    return user, data


def users_router(ctx: ConsoleContext) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    def page(request: Request, error: str = "", status_code: int = 200) -> HTMLResponse:
        user, data = page_user(ctx, request)
        require_admin(user, MANAGES_USERS)
        with ctx.sessions() as session:
            users = list(session.scalars(select(User).order_by(User.username)))
        return render(
            request,
            "users.html",
            ctx.config.language,
            status_code=status_code,
            user=user,
            csrf=data.csrf,
            users=users,
            roles=[role.value for role in Role],
            error=error,
            local_time=ctx.local_time,
        )

    @router.get("/users")
    def users(request: Request) -> HTMLResponse:
        return page(request)

    @router.post("/users", response_model=None)
    def add_user(
        request: Request,
        csrf: Annotated[str, Form(max_length=128)],
        username: Annotated[str, Form(max_length=64)],
        password: Annotated[str, Form(max_length=1024)],
        role: Annotated[Role, Form()],
    ) -> Response:
        admin_posting(ctx, request, csrf, MANAGES_USERS)
        try:
            create_user(ctx.sessions, username, password, role)
        except UserError as exc:
            return page(request, error=str(exc), status_code=422)
        return RedirectResponse("/users", status_code=303)

    @router.post("/users/{user_id}/delete")
    def remove_user(
        user_id: int, request: Request, csrf: Annotated[str, Form(max_length=128)]
    ) -> RedirectResponse:
        admin, _data = admin_posting(ctx, request, csrf, MANAGES_USERS)
        if user_id == admin.id:
            raise HTTPException(status.HTTP_409_CONFLICT, "an admin cannot remove themselves")
        with ctx.sessions.begin() as session:
            session.execute(delete(ApiToken).where(ApiToken.user_id == user_id))
            close_logins_of(session, user_id)
            session.execute(delete(User).where(User.id == user_id))
        return RedirectResponse("/users", status_code=303)

    return router

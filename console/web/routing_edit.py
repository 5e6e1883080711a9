"""The Routing page: technicians, teams, schedules and coverage; admins edit them.

Every form turns into one edit of routing.yaml's round-trip document (comments kept), then
goes through :class:`console.routing.RoutingEditor`, which makes it live or changes nothing.
A rejected form comes back with each problem beside its field and the values as typed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from chargekeeper.config.routing import FAMILIES, SEVERITIES, WEEKDAYS, Schedule
from chargekeeper.render.stack import ROUTING_FILE
from chargekeeper.routing import LiveRouting, weekday_indexes
from chargekeeper.store import User
from console.api.routing import EDITS_ROUTING, routing_api_router
from console.audit_log import find_change, latest_changes
from console.auth import Role
from console.context import ConsoleContext
from console.routing import (
    ApplyResult,
    DocumentError,
    EditTarget,
    RoutingDocument,
    RoutingEditor,
    edit_target,
    unified_diff,
)
from console.routing.apply import CHANGE_KIND, text_sha256
from console.routing.check import Problem
from console.routing.forms import FIELDS, TIMING_FIELDS, FormValues, channels_choice, timing_fields
from console.routing.labels import routing_names
from console.rules.catalog import format_duration
from console.web.guard import page_user
from console.web.render import render
from console.web.users import admin_posting

# The audit page shows this many changes, newest first.
CHANGES_SHOWN = 50


@dataclass
class FormFailure:
    """A save that did not go live: which form, what was typed, and why."""

    key: str
    values: FormValues = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)

    def value(self, name: str) -> str:
        return (self.values.get(name) or [""])[0]

    def chosen(self, name: str) -> list[str]:
        return list(self.values.get(name, []))


def sort_problems(
    failure: FormFailure, result: ApplyResult, field_of: Callable[[Problem], str | None]
) -> None:
    """Put a rejection's problems about the form's own entry beside their field, the rest
    (and any other failure) above the form."""
    for problem in result.problems:
        name = field_of(problem)
        if name:
            # A problem inside one line of a list (subscriptions[1].channels) says which.
            deeper = problem.field.split(f".{name}", 1)[-1]
            where = f"{name}{deeper}: " if "." in deeper else ""
            failure.errors.setdefault(name, []).append(where + problem.message)
        else:
            failure.general.append(str(problem))
    if not result.problems:
        failure.general.append(result.detail)


def schedule_days(schedule: Schedule) -> list[str]:
    return [WEEKDAYS[i] for i in sorted(weekday_indexes(schedule.weekdays))]


def schedule_times(schedule: Schedule) -> str:
    return ", ".join(f"{span.start}-{span.end}" for span in schedule.times)


def read_only_reason(target: EditTarget | str, live: LiveRouting | None) -> str:
    if isinstance(target, str):
        return target
    return "routing_ro_no_file" if live is None else ""


def routing_editor_router(
    ctx: ConsoleContext, config_dir: Path, live: LiveRouting | None
) -> APIRouter:
    """The Routing page, its forms, its audit log and ``/api/v1/routing``."""
    target = edit_target(ctx.config, config_dir)
    reason = read_only_reason(target, live)
    editor = (
        RoutingEditor(target, ctx.fleet, live, ctx.sessions)
        if isinstance(target, EditTarget) and live is not None
        else None
    )
    router = APIRouter(include_in_schema=False)
    routing_file = config_dir / ROUTING_FILE

    def page(
        request: Request,
        failure: FormFailure | None = None,
        status_code: int = 200,
    ) -> HTMLResponse:
        user, data = page_user(ctx, request)
        change_id = request.query_params.get("change", "")
        # A Rules change is not this page's to announce.
        flash = (
            find_change(ctx.sessions, CHANGE_KIND, int(change_id)) if change_id.isdigit() else None
        )
        text = routing_file.read_text(encoding="utf-8") if routing_file.is_file() else ""
        routing = live.current if live else None
        names = routing_names(routing, ctx.fleet)
        return render(
            request,
            "routing.html",
            ctx.config.language,
            status_code=status_code,
            user=user,
            csrf=data.csrf,
            routing=routing,
            names=names,
            technician_options=names.options("technician"),
            team_options=names.options("team"),
            schedule_options=names.options("schedule"),
            yaml_text=failure.value("yaml") if failure and failure.key == "yaml" else text,
            yaml_base=text_sha256(text),
            site_options=names.options("site"),
            client_options=names.options("client"),
            families=FAMILIES,
            severities=SEVERITIES,
            timing_fields=TIMING_FIELDS,
            duration=format_duration,
            channels_choice=channels_choice,
            weekdays=WEEKDAYS,
            schedule_days=schedule_days,
            schedule_times=schedule_times,
            can_edit=editor is not None and user.role == Role.ADMIN,
            read_only=reason,
            failure=failure,
            flash=flash,
            unchanged=request.query_params.get("unchanged") == "1",
        )

    async def admin_form(request: Request) -> tuple[User, FormValues]:
        form = await request.form()
        values = {key: [str(v) for v in form.getlist(key)] for key in form}
        user, _data = admin_posting(ctx, request, (values.get("csrf") or [""])[0], EDITS_ROUTING)
        if editor is None:
            raise HTTPException(status.HTTP_409_CONFLICT, "the routing is read-only here")
        return user, values

    async def respond(
        request: Request,
        user: User,
        change: Callable[[str], str],
        failure: FormFailure,
        base_sha256: str | None = None,
        field_of: Callable[[Problem], str | None] = lambda _problem: None,
    ) -> Response:
        """Apply ``change`` to routing.yaml; on failure, the page with ``failure`` filled in
        (``field_of``: the form's field a problem is about, if any, once ``change`` has run)."""
        assert editor is not None  # admin_form checked it
        try:
            result = await run_in_threadpool(editor.edit, change, user.username, base_sha256)
        except DocumentError as exc:
            failure.general.append(str(exc))
            return page(request, failure, 409)
        if result.outcome == "applied":
            return RedirectResponse(f"/routing?change={result.change_id}", status_code=303)
        if result.outcome == "unchanged":
            return RedirectResponse("/routing?unchanged=1", status_code=303)
        sort_problems(failure, result, field_of)
        code = 422 if result.problems else 409 if result.outcome == "conflict" else 502
        return page(request, failure, code)

    @router.get("/routing")
    def routing_page(request: Request) -> HTMLResponse:
        return page(request)

    @router.post("/routing/yaml", response_model=None)
    async def save_yaml(request: Request) -> Response:
        user, values = await admin_form(request)
        text = (values.get("yaml") or [""])[0].replace("\r\n", "\n")
        base = (values.get("base") or [""])[0]
        failure = FormFailure("yaml", values)
        return await respond(request, user, lambda _current: text, failure, base)

    @router.post("/routing/timing", response_model=None)
    async def save_timing(request: Request) -> Response:
        user, values = await admin_form(request)
        assert live is not None  # an editor implies a routing
        fields = timing_fields(values, live.current)

        def update(current: str) -> str:
            document = RoutingDocument(current)
            document.update_mapping("timing", fields)
            return document.text()

        failure = FormFailure("timing", values)
        return await respond(
            request, user, update, failure, field_of=lambda p: p.field_under("timing")
        )

    @router.post("/routing/{section}", response_model=None)
    async def save_entry(section: str, request: Request) -> Response:
        if section not in FIELDS:
            raise HTTPException(404, f"no routing section {section!r}")
        user, values = await admin_form(request)
        assert live is not None  # an editor implies a routing
        original = (values.get("original_id") or [""])[0]
        fields = FIELDS[section](values, live.current, original)
        place: tuple[str, int] | None = None

        def upsert(current: str) -> str:
            nonlocal place
            document = RoutingDocument(current)
            entry = original
            if section == "holidays" and not entry and document.has(section, str(fields["date"])):
                entry = str(fields["date"])  # the day is listed already: this names it anew
            place = (section, document.upsert(section, entry, fields))
            return document.text()

        def field_of(problem: Problem) -> str | None:
            return problem.field_of(*place) if place is not None else None

        failure = FormFailure(f"{section}:{original}", values)
        return await respond(request, user, upsert, failure, field_of=field_of)

    @router.post("/routing/{section}/delete", response_model=None)
    async def delete_entry(section: str, request: Request) -> Response:
        if section not in FIELDS:
            raise HTTPException(404, f"no routing section {section!r}")
        user, values = await admin_form(request)
        item_id = (values.get("id") or [""])[0]

        def remove(current: str) -> str:
            document = RoutingDocument(current)
            document.remove(section, item_id)
            return document.text()

        failure = FormFailure(f"{section}-delete:{item_id}", values)
        return await respond(request, user, remove, failure)

    @router.get("/routing/changes")
    def changes(request: Request) -> HTMLResponse:
        user, data = page_user(ctx, request)
        return render(
            request,
            "routing_changes.html",
            ctx.config.language,
            user=user,
            csrf=data.csrf,
            changes=latest_changes(ctx.sessions, CHANGE_KIND, CHANGES_SHOWN),
            diff=lambda change: unified_diff(change.before, change.after),
            local_time=ctx.local_time,
        )

    both = APIRouter()
    both.include_router(router)
    both.include_router(routing_api_router(ctx, editor, live, routing_file, reason))
    return both

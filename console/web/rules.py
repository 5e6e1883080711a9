"""The Rules page: the alert policy per alert type, edited without YAML (admins), previewed
against what Prometheus sees now, saved live, and its audit log with diffs.

Every form posts a scope and values; the change is applied to the current policy.yaml by
:class:`console.rules.PolicyEditor`, which validates, writes, renders, checks and reloads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from chargekeeper.config.loader import ConfigError
from chargekeeper.config.policy import Policy
from chargekeeper.store import User
from console.api.rules import CHANGES_RULES, rules_api_router
from console.auth import Role, SessionData
from console.context import ConsoleContext
from console.rules import (
    ALERT_TYPES,
    ALERT_TYPES_BY_KEY,
    AlertType,
    Edit,
    KnobKind,
    PolicyDocument,
    PolicyEditor,
    PreviewResult,
    Scope,
    SectionForm,
    diff_lines,
    format_duration,
    overview,
    parse_section_form,
    policy_change,
    policy_changes,
    preview,
)
from console.web.guard import page_user
from console.web.render import render
from console.web.users import admin_posting

Action = Literal["preview", "save"]
SEVERITIES = ("warning", "critical")


@dataclass
class CardForm:
    """The edit form of one alert type as the page shows it (values as typed)."""

    site: str = ""
    group: str = ""
    switch: str = "keep"
    fields: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    preview: PreviewResult | None = None


@dataclass
class VendorForm:
    vendor: str = ""
    code: str = ""
    severity: str = "warning"
    problems: list[str] = field(default_factory=list)
    preview: PreviewResult | None = None


def known_alert_type(key: str) -> AlertType:
    """The alert type a form names; 422 for one the editor does not know."""
    found = ALERT_TYPES_BY_KEY.get(key)
    if found is None:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"no alert type {key!r}")
    return found


def form_fields(policy: Policy, alert_type: AlertType, scope: Scope) -> CardForm:
    """The form pre-filled with what ``scope`` sets explicitly for ``alert_type``."""
    if scope.is_fleet:
        section = getattr(policy.defaults, alert_type.key)
        is_set = alert_type.key in policy.defaults.model_fields_set
    else:
        found = [o for o in policy.overrides if (o.site, o.group) == (scope.site, scope.group)]
        section = getattr(found[0], alert_type.key) if found else None
        is_set = bool(found) and alert_type.key in found[0].model_fields_set
    form = CardForm(scope.site or "", scope.group or "")
    if section is None or not is_set:
        return form
    explicit = section.model_fields_set
    if "enabled" in explicit:
        form.switch = "on" if section.enabled else "off"
    for knob in alert_type.knobs:
        if knob.name in explicit:
            form.fields[knob.name] = input_value(knob.kind, getattr(section, knob.name))
    return form


def input_value(kind: KnobKind, value: object) -> str:
    """A policy value as the user would type it back."""
    if value is None:
        return "off"
    if not isinstance(value, int | float):
        return str(value)
    if kind in (KnobKind.DURATION, KnobKind.SEVERITY_DURATION):
        return format_duration(value)
    if kind is KnobKind.PERCENT:
        return f"{value * 100:g}"
    return f"{value:g}"


def rules_router(ctx: ConsoleContext, config_dir: Path) -> APIRouter:
    """The Rules pages and the rules JSON API over ``<config_dir>/policy.yaml``."""
    editor = PolicyEditor(
        config_dir, ctx.fleet, ctx.sessions, ctx.config.render_dir, ctx.config.prometheus_url
    )
    router = APIRouter()
    router.include_router(_pages(ctx, editor))  # pages: not in the OpenAPI document
    router.include_router(rules_api_router(ctx, editor))
    return router


def _pages(ctx: ConsoleContext, editor: PolicyEditor) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    groups = sorted({charger.group for charger in ctx.fleet.chargers})
    vendors = sorted({charger.vendor for charger in ctx.fleet.chargers if charger.vendor})

    def page(
        request: Request,
        user: User,
        data: SessionData,
        *,
        active: tuple[str, CardForm] | None = None,
        vendor_form: VendorForm | None = None,
        status_code: int = 200,
    ) -> HTMLResponse:
        policy_problems: list[str] = []
        try:
            policy = editor.current_policy()
        except ConfigError as exc:
            policy, policy_problems = Policy(), exc.problems
        params = request.query_params
        forms = {t.key: CardForm() for t in ALERT_TYPES}
        editing = ALERT_TYPES_BY_KEY.get(params.get("edit", ""))
        if editing is not None:
            scope = Scope(params.get("site") or None, params.get("group") or None)
            forms[editing.key] = form_fields(policy, editing, scope)
        if active is not None:
            forms[active[0]] = active[1]
        change_id = params.get("change", "")
        applied = policy_change(ctx.sessions, int(change_id)) if change_id.isdigit() else None
        return render(
            request,
            "rules.html",
            ctx.config.language,
            status_code=status_code,
            user=user,
            csrf=data.csrf,
            views=overview(policy, ctx.fleet),
            forms=forms,
            vendor_form=vendor_form or VendorForm(),
            surfaced=sorted(policy.surfaced_codes()),
            sites=ctx.fleet.sites,
            groups=groups,
            vendors=vendors,
            severities=SEVERITIES,
            can_edit=user.role == Role.ADMIN and not policy_problems,
            read_only_reason=editor.read_only_reason,
            policy_problems=policy_problems,
            applied=applied,
            editing=editing.key if editing else (active[0] if active else ""),
        )

    def editor_user(request: Request, csrf: str) -> tuple[User, SessionData]:
        """The admin posting a form, with its CSRF token checked, while edits can go live."""
        user, data = admin_posting(ctx, request, csrf, CHANGES_RULES)
        if editor.read_only_reason is not None:
            raise HTTPException(status.HTTP_409_CONFLICT, editor.read_only_reason)
        return user, data

    @router.get("/rules")
    def rules(request: Request) -> HTMLResponse:
        user, data = page_user(ctx, request)
        return page(request, user, data)

    @router.post("/rules/section", response_model=None)
    def change_section(
        request: Request,
        csrf: Annotated[str, Form(max_length=128)],
        alert_type: Annotated[str, Form(max_length=32)],
        action: Annotated[Action, Form()] = "save",
        site: Annotated[str, Form(max_length=64)] = "",
        group: Annotated[str, Form(max_length=64)] = "",
        enabled: Annotated[Literal["keep", "on", "off", "inherit"], Form()] = "keep",
        warning: Annotated[str, Form(max_length=32)] = "",
        critical: Annotated[str, Form(max_length=32)] = "",
        below: Annotated[str, Form(max_length=32)] = "",
        after: Annotated[str, Form(max_length=32)] = "",
        reconnects: Annotated[str, Form(max_length=32)] = "",
        ratio: Annotated[str, Form(max_length=32)] = "",
        min_chargers: Annotated[str, Form(max_length=32)] = "",
    ) -> Response:
        user, data = editor_user(request, csrf)
        chosen = known_alert_type(alert_type)
        typed = {
            "warning": warning,
            "critical": critical,
            "below": below,
            "after": after,
            "reconnects": reconnects,
            "ratio": ratio,
            "min_chargers": min_chargers,
        }
        parsed = parse_section_form(chosen, site, group, enabled, typed)
        card = CardForm(site, group, enabled, parsed.fields, dict(parsed.errors))
        if not parsed.ok:
            return page(request, user, data, active=(chosen.key, card), status_code=422)
        return _submit(request, user, data, action, _section_edit(parsed), (chosen.key, card))

    @router.post("/rules/section/delete", response_model=None)
    def remove_section(
        request: Request,
        csrf: Annotated[str, Form(max_length=128)],
        alert_type: Annotated[str, Form(max_length=32)],
        site: Annotated[str, Form(max_length=64)] = "",
        group: Annotated[str, Form(max_length=64)] = "",
    ) -> Response:
        user, data = editor_user(request, csrf)
        chosen = known_alert_type(alert_type)
        scope = Scope(site or None, group or None)

        def edit(document: PolicyDocument) -> None:
            document.set_section(scope, chosen.key, {})

        return _submit(request, user, data, "save", edit, (chosen.key, CardForm(site, group)))

    @router.post("/rules/vendor-codes", response_model=None)
    def add_vendor_code(
        request: Request,
        csrf: Annotated[str, Form(max_length=128)],
        vendor: Annotated[str, Form(max_length=128)],
        code: Annotated[str, Form(max_length=128)],
        severity: Annotated[Literal["warning", "critical"], Form()] = "warning",
        action: Annotated[Action, Form()] = "save",
    ) -> Response:
        user, data = editor_user(request, csrf)
        vendor, code = vendor.strip(), code.strip()
        form = VendorForm(vendor, code, severity)
        if not vendor or not code:
            form.problems.append("give both the vendor (as its chargers name it) and the code")
            return page(request, user, data, vendor_form=form, status_code=422)

        def edit(document: PolicyDocument) -> None:
            document.add_vendor_code(vendor, code, severity)

        return _submit(request, user, data, action, edit, None, form)

    @router.post("/rules/vendor-codes/delete", response_model=None)
    def remove_vendor_code(
        request: Request,
        csrf: Annotated[str, Form(max_length=128)],
        vendor: Annotated[str, Form(max_length=128)],
        code: Annotated[str, Form(max_length=128)],
    ) -> Response:
        user, data = editor_user(request, csrf)

        def edit(document: PolicyDocument) -> None:
            document.remove_vendor_code(vendor, code)

        return _submit(request, user, data, "save", edit, None, VendorForm())

    def _submit(
        request: Request,
        user: User,
        data: SessionData,
        action: Action,
        edit: Edit,
        card: tuple[str, CardForm] | None,
        vendor_form: VendorForm | None = None,
    ) -> Response:
        """Preview or save ``edit``; on success, back to the page showing what changed."""
        target = card[1] if card else vendor_form
        assert target is not None
        if action == "preview":
            proposal = editor.propose(edit)
            if proposal.policy is None:
                target.problems = proposal.problems
                return page(
                    request, user, data, active=card, vendor_form=vendor_form, status_code=422
                )
            target.preview = preview(proposal.policy, ctx.fleet, editor.prometheus_url)
            return page(request, user, data, active=card, vendor_form=vendor_form)
        result = editor.save(user.username, edit)
        if result.applied:
            anchor = f"#rule-{card[0]}" if card else "#vendor-codes"
            return RedirectResponse(f"/rules?change={result.change_id}{anchor}", status_code=303)
        target.problems = result.problems
        # Validation problems are the user's to fix (422); a failed check or reload is not.
        code = 422 if result.invalid else 502
        return page(request, user, data, active=card, vendor_form=vendor_form, status_code=code)

    @router.get("/rules/audit")
    def audit(request: Request) -> HTMLResponse:
        user, data = page_user(ctx, request)
        return render(
            request,
            "rules_audit.html",
            ctx.config.language,
            user=user,
            csrf=data.csrf,
            changes=policy_changes(ctx.sessions),
            local_time=ctx.local_time,
        )

    @router.get("/rules/audit/{change_id}")
    def audit_entry(change_id: int, request: Request) -> HTMLResponse:
        user, data = page_user(ctx, request)
        change = policy_change(ctx.sessions, change_id)
        if change is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no policy change {change_id}")
        return render(
            request,
            "rules_change.html",
            ctx.config.language,
            user=user,
            csrf=data.csrf,
            change=change,
            diff=diff_lines(change.before, change.after),
            local_time=ctx.local_time,
        )

    return router


def _section_edit(parsed: SectionForm) -> Edit:
    def edit(document: PolicyDocument) -> None:
        document.update_section(parsed.scope, parsed.alert_type.key, parsed.values, parsed.cleared)

    return edit

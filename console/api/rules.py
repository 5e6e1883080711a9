"""The Rules editor's JSON API (tag ``console``): read the effective policy, replace it (admin
token; the page's validation and apply path), and read the audit log."""

# No ``from __future__ import annotations``: FastAPI resolves the dependency's annotations.

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, status

from chargekeeper.api.models import ChangeOut, RulesOut, SaveOut
from chargekeeper.config.loader import ConfigError
from chargekeeper.store import User
from console.api.base import console_api_router
from console.context import ConsoleContext
from console.rules.apply import PolicyEditor
from console.rules.audit import policy_changes
from console.rules.document import PolicyDocument
from console.rules.overview import effective_json
from console.web.users import require_admin

CHANGES_RULES = "changes the alert rules"


def rules_api_router(ctx: ConsoleContext, editor: PolicyEditor) -> APIRouter:
    router = console_api_router()

    ApiUser = Annotated[User, Depends(ctx.bearer.user())]

    @router.get(
        "/rules",
        response_model=RulesOut,
        responses={409: {"description": "policy.yaml is invalid (the detail lists why)"}},
    )
    def get_rules(_user: ApiUser) -> RulesOut:
        """The alert policy in force and the thresholds it gives each site and group."""
        try:
            policy = editor.current_policy()
        except ConfigError as exc:
            raise HTTPException(status.HTTP_409_CONFLICT, exc.problems) from None
        return RulesOut(
            policy=policy.model_dump(mode="json"),
            effective=effective_json(policy, ctx.fleet),
            editable=editor.read_only_reason is None,
            read_only_reason=editor.read_only_reason,
        )

    @router.put(
        "/rules",
        response_model=SaveOut,
        responses={
            403: {"description": "Only an admin token changes the rules"},
            409: {"description": "The console cannot make a change live (no render_dir)"},
            422: {"description": "The policy is invalid; nothing was changed"},
            502: {"description": "promtool, writing or the Prometheus reload failed; rolled back"},
        },
    )
    def put_rules(body: dict[str, Any], user: ApiUser) -> SaveOut:
        """Replace policy.yaml with ``body`` (the policy file's structure as JSON), keeping the
        comments of every unchanged part, then render, check and reload Prometheus."""
        require_admin(user, CHANGES_RULES)
        if editor.read_only_reason is not None:
            raise HTTPException(status.HTTP_409_CONFLICT, editor.read_only_reason)

        def edit(document: PolicyDocument) -> None:
            document.replace_with(body)

        result = editor.save(user.username, edit)
        out = SaveOut(
            outcome=result.outcome,
            summary=result.summary,
            problems=result.problems,
            change_id=result.change_id,
        )
        if not result.applied:
            code = status.HTTP_422_UNPROCESSABLE_CONTENT if result.invalid else 502
            raise HTTPException(code, out.model_dump())
        return out

    @router.get("/rules/changes", response_model=list[ChangeOut])
    def list_changes(_user: ApiUser) -> list[ChangeOut]:
        """Every attempt to change the policy (at most 200), newest first."""
        return [
            ChangeOut(
                id=c.id,
                at=c.at,
                by=c.by,
                summary=c.summary,
                outcome=c.outcome,
                detail=c.detail,
                before=c.before,
                after=c.after,
            )
            for c in policy_changes(ctx.sessions)
        ]

    return router

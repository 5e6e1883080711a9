"""Who would be told: the routing preview for a site, source type and priority at a time.

It asks ``chargekeeper.routing.who_is_told``, which mirrors the generated
``alertmanager.yml`` (same matchers, same time intervals), so the answer is the routing's.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from chargekeeper.config.routing import FAMILIES, SEVERITIES
from chargekeeper.routing import LiveRouting, who_is_told
from console.context import ConsoleContext
from console.web.guard import page_user
from console.web.render import render


def parse_local_time(value: str, zone: ZoneInfo) -> datetime | None:
    """A ``datetime-local`` form value read in the site's zone; None if blank or malformed."""
    try:
        naive = datetime.fromisoformat(value)
    except ValueError:
        return None
    return naive.replace(tzinfo=zone) if naive.tzinfo is None else naive


def routing_preview_router(ctx: ConsoleContext, live: LiveRouting | None) -> APIRouter:
    """The preview reads the live policy, so it answers with the routing just applied."""
    router = APIRouter(include_in_schema=False)

    @router.get("/routing/preview")
    def preview(request: Request) -> HTMLResponse:
        user, data = page_user(ctx, request)
        params = request.query_params
        site_ids = [site.id for site in ctx.fleet.sites]
        site = params.get("site", site_ids[0] if site_ids else "")
        family = params.get("family", "error")
        severity = params.get("severity", "critical")
        zone = ctx.site_zone(site)
        at = parse_local_time(params.get("at", ""), zone) or datetime.now(UTC).astimezone(zone)
        routing = live.current if live is not None else None
        recipients = None
        if (
            routing is not None
            and site in site_ids
            and family in FAMILIES
            and severity in SEVERITIES
        ):
            known = ctx.fleet.site(site)
            labels = {"site": site, "family": family, "severity": severity}
            if known is not None:
                labels["client"] = known.client
            recipients = who_is_told(routing, ctx.fleet, labels, at)
        return render(
            request,
            "routing_preview.html",
            ctx.config.language,
            user=user,
            csrf=data.csrf,
            sites=ctx.fleet.sites,
            families=FAMILIES,
            severities=SEVERITIES,
            site=site,
            family=family,
            severity=severity,
            at_value=at.strftime("%Y-%m-%dT%H:%M"),
            at_text=at.strftime("%Y-%m-%d %H:%M %Z"),
            recipients=recipients,
            no_routing=routing is None,
        )

    return router

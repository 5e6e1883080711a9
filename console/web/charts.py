"""The console's pictures: a charger's history (JSON for ``static/charts.js``), the month's
availability per site, the CSMS's answer times (proxy mode), and the charting library itself,
served from this origin."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse

from console.charts import HISTORY_RANGES, charger_history, site_availability
from console.context import ConsoleContext
from console.csms import duration_text, p95_chart, upstreams
from console.prometheus import PrometheusQueries, PrometheusUnavailable
from console.web.guard import page_user
from console.web.render import SECURITY_HEADERS, render

# Chart.js from Debian's libjs-chart.js (deps/debian-packages.txt, the Dockerfile): a maintained
# build the machine already trusts, and no CDN, so the charts draw offline.
CHART_JS = Path("/usr/share/javascript/chart.js/chart.min.js")


def _prometheus(ctx: ConsoleContext) -> PrometheusQueries | None:
    url = ctx.config.prometheus_url
    return PrometheusQueries(url) if url else None


def charts_router(ctx: ConsoleContext, chart_js: Path = CHART_JS) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/console/static/vendor/chart.min.js")
    def chart_library() -> FileResponse:
        if not chart_js.is_file():
            raise HTTPException(
                404,
                f"the charting library is missing: {chart_js} (install the Debian package "
                "libjs-chart.js, or run ./dev setup)",
            )
        return FileResponse(chart_js, media_type="text/javascript")

    @router.get("/console/charts/chargers/{charge_point_id}")
    def charger_chart_data(
        request: Request, charge_point_id: str, period: str = "24h"
    ) -> JSONResponse:
        page_user(ctx, request)
        if period not in HISTORY_RANGES:
            raise HTTPException(400, f"period must be one of {', '.join(HISTORY_RANGES)}")
        prometheus = _prometheus(ctx)
        if prometheus is None:
            raise HTTPException(503, "console.yaml has no prometheus_url: no history to draw")
        try:
            charger = ctx.fleet.charger(charge_point_id)
            zone = str(ctx.site_zone(charger.site)) if charger else "UTC"
            data = charger_history(prometheus, charge_point_id, period, datetime.now(UTC), zone)
        except PrometheusUnavailable as exc:
            raise HTTPException(503, str(exc)) from None
        return JSONResponse(data, headers=SECURITY_HEADERS)

    @router.get("/availability")
    def availability(request: Request) -> HTMLResponse:
        user, data = page_user(ctx, request)
        prometheus = _prometheus(ctx)
        sites, problem = [], ""
        if prometheus is None:
            problem = "console.yaml has no prometheus_url: availability needs Prometheus"
        else:
            try:
                sites = site_availability(prometheus, ctx.fleet, datetime.now(UTC))
            except PrometheusUnavailable as exc:
                problem = str(exc)
        return render(
            request,
            "availability.html",
            ctx.config.language,
            user=user,
            csrf=data.csrf,
            sites=sites,
            problem=problem,
        )

    @router.get("/console/charts/csms")
    def csms_chart_data(request: Request) -> JSONResponse:
        page_user(ctx, request)
        prometheus = _prometheus(ctx)
        if prometheus is None:
            raise HTTPException(503, "console.yaml has no prometheus_url: no answer times to draw")
        try:
            data = p95_chart(prometheus, datetime.now(UTC))
        except PrometheusUnavailable as exc:
            raise HTTPException(503, str(exc)) from None
        return JSONResponse(data, headers=SECURITY_HEADERS)

    @router.get("/csms")
    def csms(request: Request) -> HTMLResponse:
        user, data = page_user(ctx, request)
        prometheus = _prometheus(ctx)
        found, problem = [], ""
        if prometheus is None:
            problem = "console.yaml has no prometheus_url: answer times need Prometheus"
        else:
            try:
                found = upstreams(prometheus, ctx.fleet, datetime.now(UTC))
            except PrometheusUnavailable as exc:
                problem = str(exc)
        return render(
            request,
            "csms.html",
            ctx.config.language,
            user=user,
            csrf=data.csrf,
            upstreams=found,
            problem=problem,
            duration=duration_text,
        )

    return router

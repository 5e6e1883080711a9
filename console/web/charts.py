"""The console's pictures: a charger's history (JSON for ``static/charts.js``), the month's
availability per site, the CSMS's answer times (proxy mode), and the charting library itself,
served from this origin."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

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
T = TypeVar("T")


def _from_prometheus(ctx: ConsoleContext, need: str, read: Callable[[PrometheusQueries], T]) -> T:
    """``read`` against the console's Prometheus; an HTTPException(503) naming why not."""
    url = ctx.config.prometheus_url
    if not url:
        raise HTTPException(503, f"console.yaml has no prometheus_url: {need}")
    try:
        return read(PrometheusQueries(url))
    except PrometheusUnavailable as exc:
        raise HTTPException(503, str(exc)) from None


def _chart(
    ctx: ConsoleContext, need: str, draw: Callable[[PrometheusQueries], Any]
) -> JSONResponse:
    return JSONResponse(_from_prometheus(ctx, need, draw), headers=SECURITY_HEADERS)


def _page_rows(
    ctx: ConsoleContext, need: str, read: Callable[[PrometheusQueries], list[T]]
) -> tuple[list[T], str]:
    """A page's rows, or none and the reason to show instead."""
    try:
        return _from_prometheus(ctx, need, read), ""
    except HTTPException as exc:
        return [], str(exc.detail)


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
        charger = ctx.fleet.charger(charge_point_id)
        zone = str(ctx.site_zone(charger.site)) if charger else "UTC"
        return _chart(
            ctx,
            "no history to draw",
            lambda prometheus: charger_history(
                prometheus, charge_point_id, period, datetime.now(UTC), zone
            ),
        )

    @router.get("/availability")
    def availability(request: Request) -> HTMLResponse:
        user, data = page_user(ctx, request)
        sites, problem = _page_rows(
            ctx,
            "availability needs Prometheus",
            lambda prometheus: site_availability(prometheus, ctx.fleet, datetime.now(UTC)),
        )
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
        return _chart(
            ctx,
            "no answer times to draw",
            lambda prometheus: p95_chart(prometheus, datetime.now(UTC)),
        )

    @router.get("/csms")
    def csms(request: Request) -> HTMLResponse:
        user, data = page_user(ctx, request)
        found, problem = _page_rows(
            ctx,
            "answer times need Prometheus",
            lambda prometheus: upstreams(prometheus, ctx.fleet, datetime.now(UTC)),
        )
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

"""The operator's CSMS as the collectors' proxy mode sees it: a row for Stack health.

Reads exporter/proxy/upstream_metrics.py's ``ocpp_upstream_*`` series, summed over the
selected collectors (a charger may be relayed by any of them); empty without proxy mode.
Upstreams are named as the collector names them (``site/<id>``, ``client/<id>``,
``charger/<id>``, ``default``), never by URL. The p95 is per upstream and action because a
slow Authorize keeps a driver waiting at the charger while a slow MeterValues does not.
"""

from __future__ import annotations

from chargekeeper.dashboards.grafana import JSON, panel, prometheus, row

DURATION = "ocpp_upstream_call_duration_seconds"
ERRORS = "ocpp_upstream_call_errors_total"
LEGEND_TABLE: JSON = {"legend": {"displayMode": "table", "placement": "right"}}


def _rate(metric: str, selector: str, by: str) -> str:
    return f"sum by ({by}) (rate({metric}{{{selector}}}[$__rate_interval]))"


def error_ratio(selector: str) -> str:
    """CALLERRORs and timeouts per call, by upstream. A timeout has no answer time, so calls
    are the answers plus the timeouts; ``or … * 0`` keeps upstreams without either at 0."""
    answers = _rate(f"{DURATION}_count", selector, "upstream")
    timeouts = _rate(ERRORS, f'{selector}, error_code="Timeout"', "upstream")
    errors = _rate(ERRORS, selector, "upstream")
    return f"({errors} or {answers} * 0)\n/\n({answers} + ({timeouts} or {answers} * 0))"


def csms_panels(selector: str) -> list[JSON]:
    """The CSMS row: p95 answer time, errors, chargers connected; ``selector`` picks the
    collectors (Stack health's ``$collector``)."""
    graph: JSON = {"options": LEGEND_TABLE}
    buckets = _rate(f"{DURATION}_bucket", selector, "le, upstream, action")
    return [
        row("CSMS (proxy mode)"),
        panel(
            "timeseries",
            "CSMS p95 answer time by upstream and action",
            [
                prometheus(
                    f"histogram_quantile(0.95, {buckets})",
                    "{{upstream}} {{action}}",
                )
            ],
            unit="s",
            description="How long the operator's CSMS takes to answer the chargers' calls "
            "(from forwarding the CALL to forwarding its answer), 95th percentile. "
            "ChargekeeperUpstreamSlow warns when an upstream's p90 stays above 5 s.",
            **graph,
        ),
        panel(
            "timeseries",
            "CSMS errors per call by upstream",
            [prometheus(error_ratio(selector), "{{upstream}}")],
            unit="percentunit",
            width=6,
            description="Share of the chargers' calls the CSMS answered with a CALLERROR or "
            "left unanswered for 30 s (Timeout).",
            **graph,
        ),
        panel(
            "timeseries",
            "Chargers connected to each CSMS",
            [
                prometheus(
                    f"sum by (upstream) (ocpp_charge_point_upstream_connected{{{selector}}})",
                    "{{upstream}}",
                )
            ],
            unit="short",
            width=6,
            description="Chargers whose upstream leg (collector to CSMS) is open now.",
            **graph,
        ),
    ]

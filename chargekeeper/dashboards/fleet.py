"""Fleet overview: how many chargers are up, where the trouble is, and which codes dominate."""

from __future__ import annotations

from chargekeeper.dashboards import variables
from chargekeeper.dashboards.grafana import (
    JSON,
    WITHOUT_TIME,
    dashboard,
    panel,
    prometheus,
    value_mappings,
)
from chargekeeper.dashboards.queries import CLIENT_SITE, error_code_titles, scoped

UID = "chargekeeper-fleet"


def build() -> JSON:
    connected = scoped("chargekeeper_charge_point:connected")
    panels = [
        panel(
            "stat",
            "Chargers",
            [
                prometheus(
                    f"sum(chargekeeper_site:charge_points:count{{{CLIENT_SITE}}})", "chargers"
                )
            ],
            unit="none",
            width=6,
            height=4,
            no_value="0",
        ),
        panel(
            "stat",
            "Connected",
            [prometheus(f"sum({connected})", "connected")],
            unit="none",
            width=6,
            height=4,
            no_value="0",
        ),
        panel(
            "stat",
            "Disconnected",
            [
                prometheus(
                    f"sum({scoped('(chargekeeper_charge_point:connected == bool 0)')})",
                    "disconnected",
                )
            ],
            unit="none",
            width=6,
            height=4,
            no_value="0",
        ),
        panel(
            "stat",
            "Connectors in error",
            [prometheus(f"count({scoped('chargekeeper_connector:error')})", "in error")],
            unit="none",
            width=6,
            height=4,
            no_value="0",
        ),
        panel(
            "timeseries",
            "Connectors by status and site",
            [
                prometheus(
                    "count by (site, status) (\n"
                    + scoped('chargekeeper_connector:status{connector_id!="0"}')
                    + "\n)",
                    "{{site}} {{status}}",
                )
            ],
            unit="none",
            description="Connectors of connected chargers, by the OCPP status they report.",
            options={"legend": {"displayMode": "table", "placement": "right"}},
        ),
        panel(
            "timeseries",
            "Chargers connected and disconnected by site",
            [
                prometheus(f"sum by (site) ({connected})", "{{site}} connected"),
                prometheus(
                    "sum by (site) ("
                    + scoped("(chargekeeper_charge_point:connected == bool 0)")
                    + ")",
                    "{{site}} disconnected",
                ),
            ],
            unit="none",
        ),
        panel(
            "table",
            "Active alerts by family",
            [
                prometheus(
                    "count by (family, severity, alertname) (\n"
                    '  ALERTS{alertstate="firing", alertname!="Watchdog", '
                    f"{CLIENT_SITE}}}\n)",
                    table=True,
                )
            ],
            unit="none",
            description="Firing alerts of the selected clients and sites (fleet alerts carry "
            "no site and show with All).",
            extra=WITHOUT_TIME,
        ),
        panel(
            "table",
            "Top error codes",
            [
                prometheus(
                    "topk(10, count by (error_code, vendor_id, vendor_error_code) (\n"
                    + scoped("chargekeeper_connector:error")
                    + "\n))",
                    table=True,
                )
            ],
            unit="none",
            description="Active connector errors by code; the OCPP code's title comes from "
            "the translator's catalog.",
            overrides=[
                {
                    "matcher": {"id": "byName", "options": "error_code"},
                    "properties": [
                        {"id": "mappings", "value": value_mappings(error_code_titles())},
                        {"id": "unit", "value": "string"},
                    ],
                }
            ],
            extra=WITHOUT_TIME,
        ),
        panel(
            "bargauge",
            "Availability by site, last day",
            [
                prometheus(
                    f"chargekeeper_site:availability:ratio1d{{{CLIENT_SITE}}}",
                    "{{site}}",
                    instant=True,
                )
            ],
            unit="percentunit",
            options={"orientation": "horizontal", "reduceOptions": {"calcs": ["lastNotNull"]}},
        ),
        panel(
            "bargauge",
            "Monitoring gap by site, last day",
            [
                prometheus(
                    f"chargekeeper_site:monitoring_gap:ratio1d{{{CLIENT_SITE}}}",
                    "{{site}}",
                    instant=True,
                )
            ],
            unit="percentunit",
            description="Share of the day without data from the collector: neither up nor down.",
            options={"orientation": "horizontal", "reduceOptions": {"calcs": ["lastNotNull"]}},
        ),
    ]
    return dashboard(
        UID,
        "Fleet overview",
        "Chargers by state and site, active alerts by family, top error codes.",
        [
            variables.PROMETHEUS_SOURCE,
            variables.clients(),
            variables.sites(),
        ],
        panels,
    )

"""Site: each charger's connection and connector status over time, and its uptime."""

from __future__ import annotations

from chargekeeper.dashboards import charger, variables
from chargekeeper.dashboards.grafana import (
    CONNECTED_MAPPINGS,
    IN_STATUS_MAPPINGS,
    JSON,
    WITHOUT_TIME,
    charger_link,
    dashboard,
    panel,
    prometheus,
)
from chargekeeper.dashboards.queries import ONE_SITE, scoped

UID = "chargekeeper-site"


def _site_ratio(rule: str, legend: str) -> JSON:
    return prometheus(f"{rule}{{{ONE_SITE}}}", legend, instant=True)


def build() -> JSON:
    panels = [
        panel(
            "stat",
            "Site availability",
            [
                _site_ratio("chargekeeper_site:availability:ratio1h", "last hour"),
                _site_ratio("chargekeeper_site:availability:ratio1d", "last day"),
                _site_ratio("chargekeeper_site:availability:ratio30d", "last 30 days"),
            ],
            unit="percentunit",
            width=12,
            height=4,
            description="Charger-time share in which the site's chargers could serve a driver; "
            "maintenance and monitoring gaps are left out (grafana/README.md).",
        ),
        panel(
            "stat",
            "Monitoring gap",
            [
                _site_ratio("chargekeeper_site:monitoring_gap:ratio1h", "last hour"),
                _site_ratio("chargekeeper_site:monitoring_gap:ratio1d", "last day"),
            ],
            unit="percentunit",
            width=12,
            height=4,
        ),
        panel(
            "state-timeline",
            "Connection",
            [
                prometheus(
                    scoped("chargekeeper_charge_point:connected", ONE_SITE),
                    "{{charge_point_id}}",
                )
            ],
            unit="none",
            width=24,
            mappings=CONNECTED_MAPPINGS,
            options={"showValue": "never", "mergeValues": True},
            links=[charger_link(charger.UID)],
        ),
        panel(
            "state-timeline",
            "Connector status",
            [
                prometheus(
                    scoped('chargekeeper_connector:status{connector_id!="0"}', ONE_SITE, ""),
                    "{{charge_point_id}} #{{connector_id}} {{status}}",
                )
            ],
            unit="none",
            width=24,
            height=10,
            mappings=IN_STATUS_MAPPINGS,
            description="One band per connector and OCPP status, drawn while that status is "
            "current.",
            options={"showValue": "never", "mergeValues": True},
        ),
        panel(
            "bargauge",
            "Uptime per charger, last day",
            [
                prometheus(
                    scoped("chargekeeper_charge_point:availability:ratio1d", ONE_SITE),
                    "{{charge_point_id}}",
                    instant=True,
                )
            ],
            unit="percentunit",
            options={"orientation": "horizontal", "reduceOptions": {"calcs": ["lastNotNull"]}},
            links=[charger_link(charger.UID)],
        ),
        panel(
            "table",
            "Active errors",
            [
                prometheus(
                    scoped("chargekeeper_connector:error_seconds", ONE_SITE, ""),
                    table=True,
                )
            ],
            unit="s",
            description="Each active error with how long its connector has been in that status.",
            extra=WITHOUT_TIME,
        ),
    ]
    return dashboard(
        UID,
        "Site",
        "Each charger's status timeline and uptime at one site.",
        [variables.PROMETHEUS_SOURCE, variables.clients(multi=False), variables.sites(multi=False)],
        panels,
    )

"""Availability / SLA: per port, charger, site and client over a day, 30 days and 12 months.

Day and 30-day figures are the recording rules of rules/availability.yml (Prometheus keeps
days to weeks); the twelve-month view reads InfluxDB. The figure a client is promised is the
report's (``chargekeeper report availability``), computed from the same InfluxDB history with
minute accounting (grafana/README.md).
"""

from __future__ import annotations

from chargekeeper.dashboards import variables
from chargekeeper.dashboards.grafana import (
    JSON,
    WITHOUT_TIME,
    dashboard,
    influxql,
    panel,
    prometheus,
)
from chargekeeper.dashboards.queries import CLIENT_SITE, influx_scope, scoped

UID = "chargekeeper-availability"

CLIENT = 'client=~"$client"'


def _table(title: str, expr: str, unit: str, description: str = "") -> JSON:
    return panel(
        "table",
        title,
        [prometheus(expr, table=True)],
        unit=unit,
        width=12,
        height=9,
        description=description,
        extra=WITHOUT_TIME,
    )


def build() -> JSON:
    panels = [
        panel(
            "stat",
            "Client availability",
            [
                prometheus(
                    f"chargekeeper_client:availability:ratio1d{{{CLIENT}}}",
                    "{{client}} last day",
                    instant=True,
                ),
                prometheus(
                    f"chargekeeper_client:availability:ratio30d{{{CLIENT}}}",
                    "{{client}} last 30 days",
                    instant=True,
                ),
            ],
            unit="percentunit",
            width=12,
            height=5,
        ),
        panel(
            "stat",
            "Client monitoring gap",
            [
                prometheus(
                    f"chargekeeper_client:monitoring_gap:ratio1d{{{CLIENT}}}",
                    "{{client}} last day",
                    instant=True,
                ),
                prometheus(
                    f"chargekeeper_client:monitoring_gap:ratio30d{{{CLIENT}}}",
                    "{{client}} last 30 days",
                    instant=True,
                ),
            ],
            unit="percentunit",
            width=12,
            height=5,
            description="Time without data from the collector: shown apart, never counted as up.",
        ),
        panel(
            "timeseries",
            "Site availability, hourly",
            [prometheus(f"chargekeeper_site:availability:ratio1h{{{CLIENT_SITE}}}", "{{site}}")],
            unit="percentunit",
            width=24,
        ),
        _table(
            "Sites, last day",
            f"chargekeeper_site:availability:ratio1d{{{CLIENT_SITE}}}",
            "percentunit",
        ),
        _table(
            "Sites, last 30 days",
            f"chargekeeper_site:availability:ratio30d{{{CLIENT_SITE}}}",
            "percentunit",
        ),
        _table(
            "Chargers, last day",
            scoped("chargekeeper_charge_point:availability:ratio1d"),
            "percentunit",
        ),
        _table(
            "Ports, last day",
            scoped("chargekeeper_connector:availability:ratio1d"),
            "percentunit",
            "A port (connector) is up when its charger is connected and it reports a status "
            "that serves a driver.",
        ),
        _table(
            "In maintenance now",
            scoped("chargekeeper:maintenance_active"),
            "none",
            "Chargers inside a maintenance window of the policy: left out of availability.",
        ),
        panel(
            "timeseries",
            "Connected share per site, daily, last 12 months (InfluxDB)",
            [
                influxql(
                    'SELECT mean("connected") FROM (\n'  # noqa: S608 (literal text, no outside input)
                    '  SELECT last("connected") AS "connected" FROM "ocpp_connection"\n'
                    f"  WHERE {influx_scope(CLIENT_SITE)} AND $timeFilter\n"
                    '  GROUP BY time(1h), "charge_point_id", "site" fill(previous)\n'
                    ")\n"
                    'WHERE $timeFilter GROUP BY time(1d), "site" fill(none)',
                    alias="$tag_site",
                )
            ],
            unit="percentunit",
            width=12,
            height=9,
            description="From the collector's connection history, sampled hourly: a trend. "
            "The contractual figure is the report's minute accounting.",
            extra={"timeFrom": "1y"},
        ),
    ]
    return dashboard(
        UID,
        "Availability / SLA",
        "Availability per port, charger, site and client; maintenance excluded, gaps apart.",
        [
            variables.PROMETHEUS_SOURCE,
            variables.INFLUXDB_SOURCE,
            variables.clients(),
            variables.sites(),
        ],
        panels,
        time_from="now-7d",
    )

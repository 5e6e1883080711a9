"""Charger detail: live state from Prometheus, and its history from InfluxDB."""

from __future__ import annotations

from chargekeeper.dashboards import variables
from chargekeeper.dashboards.grafana import (
    CONNECTED_MAPPINGS,
    IN_STATUS_MAPPINGS,
    JSON,
    dashboard,
    influxql,
    panel,
    prometheus,
)
from chargekeeper.dashboards.queries import JOULES_PER_KWH, ONE_CHARGER, influx_scope

UID = "chargekeeper-charger"
CHARGER = influx_scope(ONE_CHARGER)


def _meter_history(measurand: str) -> JSON:
    return influxql(
        'SELECT mean("value") FROM "ocpp_meter"\n'  # noqa: S608 (literal text, no outside input)
        f"WHERE {CHARGER} AND \"measurand\" = '{measurand}' AND $timeFilter\n"
        'GROUP BY time($__interval), "connector_id" fill(none)',
        alias="#$tag_connector_id",
    )


def build() -> JSON:
    panels = [
        panel(
            "stat",
            "Connection",
            [prometheus(f"chargekeeper_charge_point:connected{{{ONE_CHARGER}}}", "now")],
            unit="none",
            width=6,
            height=4,
            mappings=CONNECTED_MAPPINGS,
        ),
        panel(
            "stat",
            "Disconnected for",
            [
                prometheus(
                    f"chargekeeper_charge_point:disconnected_seconds{{{ONE_CHARGER}}}", "offline"
                )
            ],
            unit="s",
            width=6,
            height=4,
            no_value="connected",
        ),
        panel(
            "stat",
            "Availability",
            [
                prometheus(
                    f"chargekeeper_charge_point:availability:ratio1h{{{ONE_CHARGER}}}",
                    "last hour",
                ),
                prometheus(
                    f"chargekeeper_charge_point:availability:ratio1d{{{ONE_CHARGER}}}", "last day"
                ),
            ],
            unit="percentunit",
            width=6,
            height=4,
        ),
        panel(
            "stat",
            "Reconnects or boots, 15 min",
            [
                prometheus(
                    f"chargekeeper_charge_point:reconnects_or_boots:increase15m{{{ONE_CHARGER}}}",
                    "reconnects",
                )
            ],
            unit="none",
            width=6,
            height=4,
            no_value="0",
        ),
        panel(
            "state-timeline",
            "Connector status",
            [
                prometheus(
                    f"chargekeeper_connector:status{{{ONE_CHARGER}}}",
                    "#{{connector_id}} {{status}}",
                )
            ],
            unit="none",
            width=24,
            mappings=IN_STATUS_MAPPINGS,
            options={"showValue": "never", "mergeValues": True},
        ),
        panel(
            "timeseries",
            "Errors",
            [
                prometheus(
                    f"chargekeeper_connector:error_seconds{{{ONE_CHARGER}}}",
                    "#{{connector_id}} {{error_code}} {{vendor_id}} {{vendor_error_code}}",
                )
            ],
            unit="s",
            width=24,
            description="Each active error, drawn as the time its connector has been in that "
            "status.",
        ),
        panel(
            "timeseries",
            "State of charge",
            [prometheus(f"chargekeeper_connector:soc_ratio{{{ONE_CHARGER}}}", "#{{connector_id}}")],
            unit="percentunit",
            width=8,
        ),
        panel(
            "timeseries",
            "Power",
            [
                prometheus(
                    f"chargekeeper_connector:power_watts{{{ONE_CHARGER}}}", "#{{connector_id}}"
                )
            ],
            unit="watt",
            width=8,
        ),
        panel(
            "timeseries",
            "Energy delivered per interval",
            [
                prometheus(
                    "sum by (connector_id) (increase(ocpp_connector_energy_joules_total"
                    f"{{{ONE_CHARGER}}}[$__rate_interval])) / {JOULES_PER_KWH:g}",
                    "#{{connector_id}}",
                )
            ],
            unit="kwatth",
            width=8,
            description="Energy register increase, summed over collector instances (a charger "
            "that moved between instances has a counter on each).",
        ),
        panel(
            "state-timeline",
            "Connections (history)",
            [
                influxql(
                    'SELECT last("connected") FROM "ocpp_connection"\n'  # noqa: S608 (literal text, no outside input)
                    f"WHERE {CHARGER} AND $timeFilter\n"
                    "GROUP BY time($__interval) fill(previous)",
                    alias="connected",
                )
            ],
            unit="none",
            width=24,
            height=5,
            mappings=CONNECTED_MAPPINGS,
            options={"showValue": "never", "mergeValues": True},
        ),
        panel(
            "table",
            "Status and error history",
            [
                influxql(
                    'SELECT "connector_id", "status", "error_code", "vendor_id", '
                    '"vendor_error_code", "info"\n'
                    f'FROM "ocpp_status" WHERE {CHARGER} AND $timeFilter\n'
                    "ORDER BY time DESC LIMIT 500",
                    table=True,
                )
            ],
            unit="string",
            width=24,
            height=10,
            description="Every status notification in the time range, newest first.",
        ),
        panel(
            "timeseries", "State of charge (history)", [_meter_history("SoC")], unit="percentunit"
        ),
        panel(
            "timeseries", "Power (history)", [_meter_history("Power.Active.Import")], unit="watt"
        ),
    ]
    return dashboard(
        UID,
        "Charger detail",
        "One charger: status and errors, state of charge, power, energy and connections.",
        [
            variables.PROMETHEUS_SOURCE,
            variables.INFLUXDB_SOURCE,
            variables.clients(multi=False),
            variables.sites(multi=False),
            variables.chargers(),
        ],
        panels,
    )

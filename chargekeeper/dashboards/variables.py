"""The template variables the dashboards share: datasources, then client → site → charger."""

from __future__ import annotations

from chargekeeper.dashboards.grafana import JSON, datasource_variable, label_variable
from chargekeeper.dashboards.queries import INFO

PROMETHEUS_SOURCE = datasource_variable("prometheus", "prometheus", "Prometheus")
INFLUXDB_SOURCE = datasource_variable("influxdb", "influxdb", "InfluxDB (history)")


def clients(*, multi: bool = True) -> JSON:
    return label_variable("client", "Client", INFO, multi=multi)


def sites(*, multi: bool = True) -> JSON:
    selector = 'client=~"$client"' if multi else 'client="$client"'
    return label_variable("site", "Site", INFO, selector, multi=multi)


def chargers() -> JSON:
    return label_variable(
        "charge_point_id", "Charger", INFO, 'client="$client", site="$site"', multi=False
    ) | {"name": "charger"}

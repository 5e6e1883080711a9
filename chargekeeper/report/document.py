"""The availability report of one client and month: rows per port and site, as CSV and HTML.

The HTML is a self-contained printable page (print it to PDF from any browser): it is the
document a sales team hands to a client, so it says how every figure is defined.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import jinja2

from chargekeeper.report.availability import Minutes

COLUMNS = (
    "minutes_total",
    "minutes_up",
    "minutes_down",
    "minutes_excluded",
    "minutes_monitoring_gap",
    "minutes_faulted",
    "availability",
    "monitoring_gap_ratio",
    "network_reliability",
    "nevi_uptime_12_months",
)


@dataclass(frozen=True)
class Row:
    """One port, or one site (``charge_point_id`` and ``connector_id`` empty)."""

    site: str
    charge_point_id: str
    connector_id: str
    ports: int
    month: Minutes
    year: Minutes  # the twelve months ending with the month, for the NEVI figure
    timezone: str = ""  # a site's: its month runs from local midnight to local midnight

    def figures(self) -> list[str]:
        m = self.month
        return [
            str(m.total),
            str(m.up),
            str(m.down),
            str(m.excluded),
            str(m.gap),
            str(m.faulted),
            _ratio(m.availability),
            _ratio(m.gap_ratio),
            _ratio(m.reliability),
            _ratio(self.year.nevi_uptime),
        ]


def _ratio(value: float | None) -> str:
    return "" if value is None else f"{value:.6f}"


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.3f} %"


@dataclass(frozen=True)
class Report:
    client: str
    month: str  # YYYY-MM
    ports: Sequence[Row]
    sites: Sequence[Row]
    total: Row
    generated: datetime

    def ports_csv(self) -> str:
        return _csv(self.client, self.ports, sites=False)

    def sites_csv(self) -> str:
        return _csv(self.client, [*self.sites, self.total], sites=True)

    def html(self) -> str:
        return _TEMPLATE.render(report=self, percent=_percent)


def _cell(text: str) -> str:
    """An identifier as a CSV cell that a spreadsheet shows as text, never runs as a formula
    (ids of chargers the collector accepted without a fleet entry come from the chargers)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv(client: str, rows: Sequence[Row], *, sites: bool) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    ident = ["ports", "timezone"] if sites else ["charge_point_id", "connector_id"]
    writer.writerow(["client", "site", *ident, *COLUMNS])
    for row in rows:
        values = (
            [str(row.ports), row.timezone]
            if sites
            else [_cell(row.charge_point_id), _cell(row.connector_id)]
        )
        writer.writerow([client, _cell(row.site), *values, *row.figures()])
    return out.getvalue()


_TEMPLATE = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined).from_string(
    """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Availability {{ report.client }} {{ report.month }}</title>
<style>
 body { font: 10pt/1.4 sans-serif; margin: 2cm; color: #111; }
 table { border-collapse: collapse; width: 100%; margin: 1em 0 2em; }
 th, td { border: 1px solid #999; padding: 2px 6px; text-align: right; }
 th.id, td.id { text-align: left; }
 h2 { page-break-before: auto; }
 @media print { body { margin: 0; } tr { page-break-inside: avoid; } }
</style></head><body>
<h1>Charging availability: {{ report.client }}, {{ report.month }}</h1>
<p>Period: {{ report.month }}, each site's calendar month in its own time zone.
Generated {{ report.generated.strftime("%Y-%m-%d %H:%M UTC") }}.</p>
{% set t = report.total %}
<p><strong>Availability {{ percent(t.month.availability) }}</strong> over {{ t.ports }} ports;
monitoring gap {{ percent(t.month.gap_ratio) }}; NEVI uptime over the previous twelve months
{{ percent(t.year.nevi_uptime) }}.</p>
<h2>Sites</h2>
<table><tr><th class="id">Site</th><th class="id">Time zone</th><th>Ports</th><th>Minutes</th>
<th>Down</th><th>Maintenance</th>
<th>Gap</th><th>Availability</th><th>Reliability</th><th>NEVI 12 months</th></tr>
{% for row in report.sites %}{% set m = row.month %}
<tr><td class="id">{{ row.site }}</td><td class="id">{{ row.timezone }}</td>
<td>{{ row.ports }}</td><td>{{ m.total }}</td>
<td>{{ m.down }}</td><td>{{ m.excluded }}</td><td>{{ m.gap }}</td>
<td>{{ percent(m.availability) }}</td><td>{{ percent(m.reliability) }}</td>
<td>{{ percent(row.year.nevi_uptime) }}</td></tr>{% endfor %}
</table>
<h2>Ports</h2>
<table><tr><th class="id">Site</th><th class="id">Charger</th><th>Port</th><th>Down</th>
<th>Maintenance</th>
<th>Gap</th><th>Availability</th><th>Reliability</th><th>NEVI 12 months</th></tr>
{% for row in report.ports %}{% set m = row.month %}
<tr><td class="id">{{ row.site }}</td><td class="id">{{ row.charge_point_id }}</td>
<td>{{ row.connector_id }}</td><td>{{ m.down }}</td><td>{{ m.excluded }}</td><td>{{ m.gap }}</td>
<td>{{ percent(m.availability) }}</td><td>{{ percent(m.reliability) }}</td>
<td>{{ percent(row.year.nevi_uptime) }}</td></tr>
{% endfor %}</table>
<h2>Definitions</h2>
<ul>
<li>Every minute of the month is counted once per port, as the worst that happened in it:
maintenance (excluded), monitoring gap, down, or up.</li>
<li><strong>Up</strong>: the charger is connected to the central system and the port reports a
status in which it serves or is serving a driver (Available, Preparing, Charging, Suspended,
Finishing, Reserved, Occupied); the charger as a whole is not Faulted or Unavailable.</li>
<li><strong>Maintenance</strong>: declared maintenance windows; left out of both sides.</li>
<li><strong>Monitoring gap</strong>: minutes for which the history holds no state; shown
apart, never counted as up.</li>
<li><strong>Availability</strong> = up / (up + down).
<strong>Network reliability</strong> (status-based) = 1 - faulted / (up + down), where faulted
minutes are those the equipment reported Faulted.
<strong>NEVI uptime</strong> = (minutes - (outage - excluded)) / minutes over the twelve
months ending with this month: maintenance is not outage, a monitoring gap is.</li>
</ul>
</body></html>
"""
)

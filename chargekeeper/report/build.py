"""Assembling one client's monthly report: history from InfluxDB, maintenance from the policy."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path

from chargekeeper.config.fleet import Fleet
from chargekeeper.config.policy import Policy
from chargekeeper.report.availability import ChargerHistory, Minutes, Span, Window, port_minutes
from chargekeeper.report.document import Report, Row
from chargekeeper.report.history import InfluxHistory

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def parse_month(text: str, zone: str = "UTC") -> Window:
    """``YYYY-MM`` → that calendar month in ``zone``; ValueError with the expected form
    otherwise."""
    match = MONTH.match(text.strip())
    if not match:
        raise ValueError(f"month {text!r} is not of the form YYYY-MM, e.g. 2026-03")
    return Window.month(int(match[1]), int(match[2]), zone)


def maintenance_spans(policy: Policy, fleet: Fleet) -> dict[str, list[Span]]:
    """Charger id → the maintenance windows of the policy that cover it."""
    spans: dict[str, list[Span]] = defaultdict(list)
    for window in policy.maintenance:
        for charge_point_id in window.charge_point_ids(fleet):
            spans[charge_point_id].append((window.start.timestamp(), window.end.timestamp()))
    return spans


def build_report(
    client: str,
    month: str,
    histories: Sequence[ChargerHistory],
    year_histories: Sequence[ChargerHistory],
    maintenance: dict[str, list[Span]],
    zones: Mapping[str, str],
    generated: datetime,
) -> Report:
    """Rows per port, per site and for the client. Each site's month is its calendar month in
    its time zone (``zones``, UTC for a site not listed). ``year_histories`` cover the twelve
    months ending with the month (NEVI); the ports are those seen in them."""
    by_id = {h.charge_point_id: h for h in histories}
    ports: list[Row] = []
    for year_history in year_histories:
        cp = year_history.charge_point_id
        history = by_id.get(cp, ChargerHistory(cp, year_history.site))
        window = parse_month(month, zones.get(history.site, "UTC"))
        year = window.previous_twelve_months()
        for connector in year_history.ports:
            windows = maintenance.get(cp, [])
            ports.append(
                Row(
                    history.site,
                    cp,
                    connector,
                    1,
                    port_minutes(history, connector, window, windows),
                    port_minutes(year_history, connector, year, windows),
                )
            )
    ports.sort(key=lambda row: (row.site, row.charge_point_id))
    sites: dict[str, tuple[Minutes, Minutes, int]] = {}
    for row in ports:
        month_sum, year_sum, count = sites.get(row.site, (Minutes(), Minutes(), 0))
        sites[row.site] = (month_sum + row.month, year_sum + row.year, count + 1)
    site_rows = [
        Row(site, "", "", n, m, y, zones.get(site, "UTC"))
        for site, (m, y, n) in sorted(sites.items())
    ]
    total = Row(
        "all sites",
        "",
        "",
        len(ports),
        sum((row.month for row in ports), Minutes()),
        sum((row.year for row in ports), Minutes()),
    )
    return Report(client, month, ports, site_rows, total, generated)


def fetch_and_build(
    source: InfluxHistory,
    client: str,
    month: str,
    maintenance: dict[str, list[Span]],
    zones: Mapping[str, str],
    generated: datetime,
) -> Report:
    """Read the history the report needs (every site's month and twelve months) and build it."""
    months = [parse_month(month, zone) for zone in {"UTC", *zones.values()}]
    years = [window.previous_twelve_months() for window in months]
    return build_report(
        client,
        month,
        source.chargers(client, Window.covering(months)),
        source.chargers(client, Window.covering(years)),
        maintenance,
        zones,
        generated,
    )


def write_report(report: Report, out: Path) -> list[Path]:
    """``availability-<client>-<month>-ports.csv``, ``-sites.csv`` and ``.html`` in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    stem = f"availability-{report.client}-{report.month}"
    files = {
        out / f"{stem}-ports.csv": report.ports_csv(),
        out / f"{stem}-sites.csv": report.sites_csv(),
        out / f"{stem}.html": report.html(),
    }
    for path, text in files.items():
        path.write_text(text, encoding="utf-8")
    return list(files)

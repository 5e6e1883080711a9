"""``chargekeeper report``: documents built from the monitoring history."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    report = typer.Typer(help="Build reports from the monitoring history.", no_args_is_help=True)
    app.add_typer(report, name="report")

    @report.command("availability")
    def availability(
        client: Annotated[str, typer.Option(help="Client id, as in fleet.yaml.")],
        month: Annotated[
            str, typer.Option(help="Calendar month, YYYY-MM, in each site's time zone.")
        ],
        config: Annotated[
            Path,
            typer.Option(
                "--config",
                help="Config directory: fleet.yaml (clients, sites) and policy.yaml "
                "(maintenance windows).",
                exists=True,
                file_okay=False,
            ),
        ] = Path("."),
        influxdb_url: Annotated[
            str, typer.Option(help="InfluxDB holding the collector's history (InfluxQL API).")
        ] = "http://127.0.0.1:8086",
        influxdb_database: Annotated[
            str, typer.Option(help="InfluxDB database (the collector's bucket).")
        ] = "chargekeeper",
        influxdb_user: Annotated[
            str | None, typer.Option(help="InfluxDB user, when it requires authentication.")
        ] = None,
        influxdb_password_file: Annotated[
            Path | None,
            typer.Option(help="File holding that user's password.", exists=True, dir_okay=False),
        ] = None,
        out: Annotated[Path, typer.Option(help="Folder for the CSV and HTML files.")] = Path("."),
        pdf: Annotated[
            bool, typer.Option("--pdf", help="Also print the page to PDF (needs Chromium).")
        ] = False,
    ) -> None:
        """Availability per port and site for one client and month: two CSV files and a
        printable HTML page, and with --pdf the same page as PDF."""
        from chargekeeper.config.loader import ConfigError
        from chargekeeper.render.stack import load_sources
        from chargekeeper.report.build import (
            fetch_and_build,
            maintenance_spans,
            parse_month,
            write_report,
        )
        from chargekeeper.report.history import HistoryError, InfluxHistory

        def fail(message: str) -> typer.Exit:
            typer.echo(f"chargekeeper report availability: {message}", err=True)
            return typer.Exit(2)

        try:
            parse_month(month)
            sources = load_sources(config)
        except (ValueError, ConfigError) as exc:
            raise fail(str(exc)) from None
        known = sorted(c.id for c in sources.fleet.clients)
        if client not in known:
            raise fail(f"unknown client {client!r}: {config / 'fleet.yaml'} has {known}")
        if (influxdb_user is None) != (influxdb_password_file is None):
            raise fail("give both --influxdb-user and --influxdb-password-file, or neither")
        auth = None
        if influxdb_user is not None and influxdb_password_file is not None:
            auth = (influxdb_user, influxdb_password_file.read_text(encoding="utf-8").strip())
        source = InfluxHistory(influxdb_url, influxdb_database, auth)
        try:
            document = fetch_and_build(
                source,
                client,
                month,
                maintenance_spans(sources.policy, sources.fleet),
                {site.id: site.timezone for site in sources.fleet.sites if site.client == client},
                datetime.now(UTC),
            )
        except HistoryError as exc:
            raise fail(str(exc)) from None
        written = write_report(document, out)
        if pdf:
            from chargekeeper.report.pdf import PdfError, write_pdf

            html = next(path for path in written if path.suffix == ".html")
            try:
                written.append(write_pdf(document.html(), html.with_suffix(".pdf")))
            except PdfError as exc:
                raise fail(f"{exc} (the CSV and HTML files are written)") from None
        for path in written:
            typer.echo(path)

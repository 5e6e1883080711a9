"""``chargekeeper exporter``: the OCPP collector alone."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    @app.command("exporter")
    def exporter() -> None:
        """Run the OCPP collector (central system + Prometheus metrics)."""
        raise typer.Exit(1)

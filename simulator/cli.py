"""``chargekeeper simulate``: a simulated fleet of OCPP charge points."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    @app.command("simulate")
    def simulate() -> None:
        """Run simulated charge points against a central system."""
        raise typer.Exit(1)

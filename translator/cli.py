"""``chargekeeper translate``: what an OCPP or manufacturer code means."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    @app.command("translate")
    def translate() -> None:
        """Explain an OCPP or manufacturer error code in plain language."""
        raise typer.Exit(1)

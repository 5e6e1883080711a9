"""``chargekeeper config``: render and check configuration generated from the policy."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    config = typer.Typer(help="Render and check generated configuration.", no_args_is_help=True)
    app.add_typer(config, name="config")

    @config.command("render")
    def render() -> None:
        """Render Prometheus and Alertmanager configuration from a config directory."""
        raise typer.Exit(1)

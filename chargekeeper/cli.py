"""The ``chargekeeper`` command: one typed entry point, one subcommand per component."""

from __future__ import annotations

import logging

import typer

from chargekeeper import __version__

app = typer.Typer(
    name="chargekeeper",
    help="Monitoring and alerting for EV charger fleets.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"chargekeeper {__version__}")
        raise typer.Exit


@app.callback()
def _root(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log debug messages."),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
    )


def _register() -> None:
    # Imported here so that `chargekeeper --help` names every component in one place.
    from chargekeeper.config.cli import register as register_config
    from exporter.cli import register as register_exporter
    from simulator.cli import register as register_simulator
    from translator.cli import register as register_translator

    register_exporter(app)
    register_simulator(app)
    register_translator(app)
    register_config(app)


_register()


def main() -> None:
    app()

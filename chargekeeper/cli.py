"""The ``chargekeeper`` command: one typed entry point, one subcommand per component."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Annotated

import typer

from chargekeeper import __version__

app = typer.Typer(
    name="chargekeeper",
    help="Monitoring and alerting for EV charger fleets.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
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


@app.command("up")
def up(
    demo: Annotated[
        bool, typer.Option("--demo", help="Also run a simulated fleet with faults.")
    ] = False,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            metavar="DIR",
            help=(
                "Config directory (fleet.yaml, policy.yaml, routing.yaml); --demo uses a copy "
                "of examples/demo/ made in the state directory."
            ),
            show_default=False,
        ),
    ] = None,
    state_dir: Annotated[
        Path,
        typer.Option(
            "--state-dir", metavar="DIR", help="Where generated configs, data and logs go."
        ),
    ] = Path(".state"),
    ocpp_port: Annotated[
        int, typer.Option(metavar="PORT", help="Port chargers connect to.")
    ] = 9000,
    metrics_port: Annotated[
        int, typer.Option(metavar="PORT", help="Port of the collector's /metrics.")
    ] = 9101,
    prometheus_port: Annotated[
        int, typer.Option(metavar="PORT", help="Port of Prometheus.")
    ] = 9090,
    alertmanager_port: Annotated[
        int, typer.Option(metavar="PORT", help="Port of Alertmanager.")
    ] = 9093,
    receiver_port: Annotated[
        int, typer.Option(metavar="PORT", help="Port of the webhook receiver and its API.")
    ] = 9095,
    upstream: Annotated[
        str | None,
        typer.Option(
            "--upstream",
            metavar="URL",
            help=(
                "Proxy mode: relay chargers to this CSMS (ws:// or wss://; {charge_point_id} "
                "is replaced by the id, else /<id> is appended). --demo without it proxies to "
                "a stand-in CSMS it starts."
            ),
            show_default=False,
        ),
    ] = None,
    upstream_ca: Annotated[
        Path | None,
        typer.Option(
            "--upstream-ca",
            metavar="FILE",
            help="CA bundle that a wss:// --upstream's certificate is checked against.",
            show_default=False,
        ),
    ] = None,
    csms_port: Annotated[
        int | None,
        typer.Option(
            metavar="PORT",
            help="Port of the demo's stand-in CSMS (default: any free port).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Run the whole local stack: collector, Prometheus, Alertmanager, receiver (and a demo).

    With --upstream the collector sits in front of your CSMS (proxy mode)."""
    from chargekeeper.config.loader import ConfigError
    from chargekeeper.processes import StackError
    from chargekeeper.render.stack import RenderError
    from chargekeeper.up import Ports, demo_config, run_stack
    from chargekeeper.up.proxy import Upstream
    from exporter.cli import StartupError

    if config is None:
        if not demo:
            raise typer.BadParameter("give --config DIR, or --demo for the example fleet")
        config = demo_config(state_dir.resolve())
    ports = Ports(
        ocpp_port, metrics_port, prometheus_port, alertmanager_port, receiver_port, csms=csms_port
    )
    try:
        asyncio.run(
            run_stack(config, state_dir.resolve(), demo, ports, Upstream(upstream, upstream_ca))
        )
    except (ConfigError, RenderError, StackError, StartupError) as exc:
        typer.echo(f"chargekeeper up: {exc}", err=True)
        raise typer.Exit(2) from None


def _register() -> None:
    # Imported here so that `chargekeeper --help` names every component in one place.
    from chargekeeper.receiver import register as register_receiver
    from chargekeeper.render.cli import register as register_config
    from chargekeeper.report.cli import register as register_report
    from exporter.cli import register as register_exporter
    from simulator.cli import register as register_simulator
    from translator.cli import register as register_translator

    register_exporter(app)
    register_simulator(app)
    register_translator(app)
    register_config(app)
    register_receiver(app)
    register_report(app)
    _plain_help(app)


def _plain_help(typer_app: typer.Typer) -> None:
    """Click's plain help for every command group: Rich's option tables cut long option names
    at 80 columns (``--webhook-token-…``) and show ``<bool>`` for flags, where click's help
    writes ``--reload / --no-reload`` and wraps the text instead. Set here, once, because each
    component's ``register`` builds its own sub-app."""
    typer_app.rich_markup_mode = None
    for group in typer_app.registered_groups:
        if group.typer_instance is not None:
            _plain_help(group.typer_instance)


_register()


def main() -> None:
    app()

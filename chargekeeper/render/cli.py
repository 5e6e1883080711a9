"""``chargekeeper config``: render and check configuration generated from the policy."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from chargekeeper.config.loader import ConfigError
from chargekeeper.render.prometheus import DEFAULT_RULES_DIR, PrometheusSetup
from chargekeeper.render.stack import (
    ROUTING_FILE,
    AlertmanagerSide,
    PrometheusSide,
    RenderError,
    Side,
    load_sources,
    reload_alertmanager,
    reload_prometheus,
    render,
)
from chargekeeper.routing import WebhookTarget


def register(app: typer.Typer) -> None:
    config = typer.Typer(help="Render and check generated configuration.", no_args_is_help=True)
    app.add_typer(config, name="config")

    @config.command("render")
    def render_command(
        config_dir: Annotated[
            Path,
            typer.Option(
                "--config",
                metavar="DIR",
                help="Config directory (fleet.yaml, policy.yaml, routing.yaml).",
                exists=True,
                file_okay=False,
            ),
        ],
        out_dir: Annotated[
            Path, typer.Option("--out", metavar="DIR", help="Directory to write into.")
        ],
        exporter: Annotated[
            list[str] | None,
            typer.Option(
                metavar="HOST:PORT",
                help="Collector metrics address HOST:PORT (repeat for several).",
            ),
        ] = None,
        alertmanager: Annotated[
            list[str] | None,
            typer.Option(
                metavar="HOST:PORT",
                help="Alertmanager address HOST:PORT (repeat for an HA cluster).",
            ),
        ] = None,
        receiver: Annotated[
            list[str] | None,
            typer.Option(
                metavar="HOST:PORT", help="Notification receiver metrics address HOST:PORT."
            ),
        ] = None,
        prometheus: Annotated[
            str,
            typer.Option(
                metavar="HOST:PORT",
                help="This Prometheus's own HOST:PORT (scraped for meta alerts).",
            ),
        ] = "127.0.0.1:9090",
        interval: Annotated[
            int,
            typer.Option(
                min=1, metavar="SECONDS", help="Scrape and rule evaluation interval in seconds."
            ),
        ] = 5,
        rules_dir: Annotated[
            Path,
            typer.Option(metavar="DIR", help="The hand-written rules to ship.", file_okay=False),
        ] = DEFAULT_RULES_DIR,
        webhook_url: Annotated[
            str,
            typer.Option(
                metavar="URL",
                help="Base URL of the Chargekeeper receiver that Alertmanager posts to.",
            ),
        ] = "http://127.0.0.1:9095",
        webhook_token_file: Annotated[
            Path | None,
            typer.Option(
                help="File holding the receiver's bearer token (needed with routing.yaml).",
                metavar="FILE",
                dir_okay=False,
            ),
        ] = None,
        reload: Annotated[
            bool,
            typer.Option(
                help="POST /-/reload to --prometheus (lifecycle API) and, when routing.yaml "
                "was rendered, to every --alertmanager."
            ),
        ] = False,
    ) -> None:
        """Render Prometheus configuration, threshold rules and, from routing.yaml, the
        Alertmanager configuration."""
        setup = PrometheusSetup(
            exporters=tuple(exporter or ("127.0.0.1:9101",)),
            alertmanagers=tuple(alertmanager or ("127.0.0.1:9093",)),
            receivers=tuple(receiver or ()),
            prometheus=prometheus,
            interval_seconds=interval,
            rules_dir=rules_dir,
        )
        written: list[Path] = []
        try:
            sources = load_sources(config_dir)
            sides: list[Side] = [PrometheusSide(setup)]
            if sources.routing is not None:
                if webhook_token_file is None:
                    raise RenderError(
                        f"{config_dir / ROUTING_FILE} needs --webhook-token-file FILE: the "
                        "bearer token Alertmanager presents to the receiver"
                    )
                token = webhook_token_file.resolve()
                sides.append(AlertmanagerSide(WebhookTarget(webhook_url, token)))
            written = render(sources, out_dir, sides)
            # Said before reloading, so that a refused reload still shows what changed on disk.
            _say_written(written, config_dir if sources.routing is None else None)
            if reload:
                reload_prometheus(prometheus)
                typer.echo(f"Reloaded Prometheus at {prometheus}.")
                if sources.routing is not None:
                    for address in setup.alertmanagers:
                        reload_alertmanager(address)
                        typer.echo(f"Reloaded Alertmanager at {address}.")
            else:
                servers = "Prometheus" if sources.routing is None else "Prometheus and Alertmanager"
                typer.echo(
                    "Nothing reloaded (no --reload): the new files take effect at the next "
                    f"restart or POST /-/reload of {servers}."
                )
        except ConfigError as exc:
            for problem in exc.problems:
                typer.echo(problem, err=True)
            raise typer.Exit(1) from None
        except RenderError as exc:
            typer.echo(str(exc), err=True)
            if written:
                typer.echo(
                    "The files listed above were written; a server not reported reloaded still "
                    "runs its previous configuration.",
                    err=True,
                )
            raise typer.Exit(1) from None


def _say_written(written: list[Path], without_routing: Path | None) -> None:
    typer.echo(f"Wrote {len(written)} files:")
    for path in written:
        typer.echo(f"  {path.resolve()}")
    if without_routing is not None:
        typer.echo(
            f"No {without_routing / ROUTING_FILE}: no Alertmanager configuration was rendered."
        )

"""``chargekeeper receiver``: the Alertmanager webhook receiver (and, later, the console)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from chargekeeper.config.loader import ConfigError

log = logging.getLogger(__name__)


def _host_port(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise typer.BadParameter(f"{value!r} is not HOST:PORT (e.g. 127.0.0.1:9095)")
    return host.strip("[]") or "0.0.0.0", int(port)  # noqa: S104 - ':PORT' means every interface


def register(app: typer.Typer) -> None:
    @app.command("receiver")
    def receiver(
        listen: Annotated[
            str, typer.Option("--listen", help="HOST:PORT of the webhook and API.")
        ] = "127.0.0.1:9095",
        config: Annotated[
            Path,
            typer.Option(
                "--config",
                help="Config directory (fleet.yaml, routing.yaml, receiver.yaml).",
                exists=True,
                file_okay=False,
            ),
        ] = Path("examples/demo"),
        state_dir: Annotated[
            Path, typer.Option("--state-dir", help="Store, local mail and SMS, unknown codes.")
        ] = Path(".state"),
        local_providers: Annotated[
            bool,
            typer.Option(
                "--local-providers",
                help="Demo: send through a local SMTP server and SMS endpoint in the state dir.",
            ),
        ] = False,
        token_file: Annotated[
            Path | None,
            typer.Option(
                "--token-file",
                help="File holding the bearer token Alertmanager sends (overrides receiver.yaml).",
                show_default=False,
            ),
        ] = None,
        alertmanager_url: Annotated[
            str | None,
            typer.Option(
                help="Alertmanager the console silences and reloads (overrides console.yaml).",
                show_default=False,
            ),
        ] = None,
        alertmanager_peers: Annotated[
            list[str] | None,
            typer.Option(
                "--alertmanager-peer",
                help=(
                    "Another Alertmanager of the cluster, reloaded too after a routing edit "
                    "(repeat for each; overrides console.yaml)."
                ),
                show_default=False,
            ),
        ] = None,
        prometheus_url: Annotated[
            str | None,
            typer.Option(
                help="Prometheus the Rules editor queries and reloads (overrides console.yaml).",
                show_default=False,
            ),
        ] = None,
        render_dir: Annotated[
            Path | None,
            typer.Option(
                help=(
                    "Where `config render` wrote prometheus/ and alertmanager/: the console's "
                    "editors re-render there (overrides console.yaml)."
                ),
                show_default=False,
            ),
        ] = None,
    ) -> None:
        """Receive Alertmanager webhooks, notify technicians by email and SMS, serve the console."""
        from alertmanager.wiring import build_receiver
        from console.settings import ConsoleOverrides

        host, port = _host_port(listen)
        overrides = ConsoleOverrides()
        if alertmanager_url is not None:
            overrides["alertmanager_url"] = alertmanager_url
        if alertmanager_peers:
            overrides["alertmanager_peers"] = alertmanager_peers
        if prometheus_url is not None:
            overrides["prometheus_url"] = prometheus_url
        if render_dir is not None:
            overrides["render_dir"] = render_dir.resolve()
        try:
            built = build_receiver(
                config,
                state_dir,
                local_providers=local_providers,
                token_file=token_file,
                console_overrides=overrides,
            )
        except ConfigError as exc:
            for problem in exc.problems:
                typer.echo(problem, err=True)
            raise typer.Exit(2) from None
        try:
            uvicorn.run(built.app, host=host, port=port, log_level="warning", access_log=False)
        finally:
            built.close()

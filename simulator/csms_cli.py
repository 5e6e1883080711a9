"""``chargekeeper simulate csms``: the stand-in CSMS (``simulator.csms``) as a command.

It logs every charger's frames to standard error (``up --demo`` sends that to
``<state>/logs/csms.log``) and stops on Ctrl-C or SIGTERM. A bad ``--listen`` or a port in use
ends with one line and exit status 2.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Annotated

import typer

from simulator.csms import StandInCsms

USAGE_ERROR = 2


def _listen(value: str) -> tuple[str, int]:
    host, colon, port = value.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not colon or not host or not port.isdigit() or int(port) > 65535:
        raise typer.BadParameter(
            f"{value!r} is not HOST:PORT; write e.g. 127.0.0.1:9010", param_hint="'--listen'"
        )
    return host, int(port)


async def _serve(csms: StandInCsms) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with csms.running():
        logging.getLogger("simulator.csms").info(
            "stand-in CSMS listening on %s/<charge_point_id> (answer delay 0-%.0f ms)",
            csms.url,
            csms.max_delay * 1e3,
        )
        await stop.wait()


def register_csms(group: typer.Typer) -> None:
    @group.command("csms")
    def csms(
        listen: Annotated[
            str,
            typer.Option(
                "--listen", metavar="HOST:PORT", help="Where chargers (or the collector) connect."
            ),
        ],
        max_delay: Annotated[
            float,
            typer.Option(
                "--max-delay",
                metavar="SECONDS",
                min=0.0,
                max=10.0,
                help="Wait a random time up to this before each answer, so the collector's "
                "proxy mode has answer times to show (0: answer at once).",
            ),
        ] = 0.0,
        seed: Annotated[int, typer.Option("--seed", help="Seed of the answer delays.")] = 0,
    ) -> None:
        """A stand-in CSMS: accepts every charger and id tag, logs every frame."""
        host, port = _listen(listen)
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)-7s %(name)s: %(message)s"
        )
        # The ocpp library logs each frame too; ours are the sanitised ones.
        logging.getLogger("ocpp").setLevel(logging.WARNING)
        # websockets says "connection open/closed" without the id; ours name the charger.
        logging.getLogger("websockets.server").setLevel(logging.WARNING)
        try:
            asyncio.run(_serve(StandInCsms(host, port, max_delay, seed)))
        except OSError as exc:
            typer.echo(f"error: cannot listen on {listen}: {exc.strerror or exc}", err=True)
            raise typer.Exit(USAGE_ERROR) from None

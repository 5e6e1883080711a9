"""``chargekeeper simulate``: a simulated fleet of OCPP charge points.

Bad arguments and an unreachable central system end with a one-line error and exit code 2 (the
usage-error code), never a traceback. Ctrl-C (or SIGTERM) closes every connection cleanly and
prints the summary.
"""

from __future__ import annotations

import asyncio
import signal
import socket
import ssl
from enum import StrEnum
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import typer

from simulator.csms_cli import register_csms
from simulator.fleet import FleetConfigError, SimulatedFleet
from simulator.scenarios import SCENARIO_NAMES, SCENARIOS

USAGE_ERROR = 2
PROGRESS_EVERY_S = 1.0
REACHABILITY_TIMEOUT_S = 5.0


class ProtocolVersion(StrEnum):
    """OCPP versions the simulator speaks."""

    V16 = "1.6"
    V201 = "2.0.1"


def _scenario_epilog() -> str:
    lines = [f"{name}: {spec.summary}" for name, spec in SCENARIOS.items()]
    lines.append("mixed: a realistic fleet, mostly healthy, a few chargers with each problem")
    lines.append("demo: mixed, with the first charger's critical fault a minute after boot")
    return "Scenarios:\n\n" + "\n\n".join(lines)


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(USAGE_ERROR)


def _check_scenario(value: str) -> str:
    if value not in SCENARIO_NAMES:
        raise typer.BadParameter(
            f"unknown scenario {value!r}; choose one of {', '.join(SCENARIO_NAMES)}"
        )
    return value


def _host_port(url: str) -> tuple[str, int]:
    """Host and port of a ws:// or wss:// URL, or a precise error."""
    parts = urlsplit(url)
    if parts.scheme not in ("ws", "wss"):
        raise _fail(f"--url {url!r} must start with ws:// or wss:// (e.g. ws://127.0.0.1:9000)")
    try:
        port = parts.port
    except ValueError:
        raise _fail(f"--url {url!r} has an invalid port") from None
    if not parts.hostname:
        raise _fail(f"--url {url!r} has no host (e.g. ws://127.0.0.1:9000)")
    if parts.query or parts.fragment:
        raise _fail(f"--url {url!r} must not have a query or fragment: the charger id is appended")
    return parts.hostname, port or (443 if parts.scheme == "wss" else 80)


def _read_passwords(path: Path | None) -> str | dict[str, str] | None:
    """The --password-file: one line is everyone's password, more are "ID PASSWORD" lines."""
    if path is None:
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise _fail(f"cannot read --password-file {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise _fail(f"--password-file {path} is not UTF-8 text") from None
    lines = [
        (number, line.strip())
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not lines:
        raise _fail(f"--password-file {path} is empty; put the chargers' password in it")
    if len(lines) == 1:
        return lines[0][1]
    passwords: dict[str, str] = {}
    for number, line in lines:
        parts = line.split(maxsplit=1)
        if len(parts) != 2:
            raise _fail(
                f"--password-file {path} line {number}: expected "
                "'<charge point id> <password>' (a file of one line is a shared password)"
            )
        passwords[parts[0]] = parts[1]
    return passwords


def _tls_context(
    url: str, ca_file: Path | None, client_cert: Path | None, client_key: Path | None
) -> ssl.SSLContext | None:
    secure = url.startswith("wss://")
    if not secure:
        if ca_file or client_cert or client_key:
            raise _fail("--ca-file, --client-cert and --client-key need a wss:// URL")
        return None
    if client_key and not client_cert:
        raise _fail("--client-key needs --client-cert")
    try:
        context = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
        context.minimum_version = ssl.TLSVersion.TLSv1_2  # OCPP security profiles 2 and 3
        if client_cert:
            context.load_cert_chain(str(client_cert), str(client_key) if client_key else None)
    except (OSError, ssl.SSLError) as exc:
        raise _fail(f"cannot load the TLS files: {exc}") from None
    return context


async def _reachable(host: str, port: int) -> str | None:
    """None when a TCP connection to host:port opens, else why not."""
    try:
        async with asyncio.timeout(REACHABILITY_TIMEOUT_S):
            _reader, writer = await asyncio.open_connection(host, port)
    except TimeoutError:
        return f"no answer within {REACHABILITY_TIMEOUT_S:.0f}s"
    except ConnectionRefusedError:
        return "connection refused"
    except socket.gaierror as exc:
        return f"host not found: {exc.strerror}"
    except OSError as exc:
        return exc.strerror or type(exc).__name__
    writer.close()
    await writer.wait_closed()
    return None


async def _run(fleet: SimulatedFleet, duration: float | None) -> int:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    total = len(fleet.chargers)
    ended_at = None if duration is None else loop.time() + duration
    await fleet.start()
    last_line = ""
    summary = fleet.summary()
    try:
        while not stop.is_set():
            summary = fleet.summary()
            line = f"connected {summary.connected}/{total}, booted {summary.booted}/{total}"
            if line != last_line:
                typer.echo(line)
                last_line = line
            wait = PROGRESS_EVERY_S
            if ended_at is not None:
                wait = min(wait, ended_at - loop.time())
                if wait <= 0:
                    break
            try:
                async with asyncio.timeout(wait):
                    await stop.wait()
            except TimeoutError:
                pass
    finally:
        summary = fleet.summary()  # where the fleet stood, before closing its connections
        typer.echo("stopping: closing connections")
        await fleet.stop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    for line in summary.lines():
        typer.echo(line)
    # Exit 1 when not a single charger ever got its BootNotification accepted.
    return 0 if summary.boots > 0 else 1


def register(app: typer.Typer) -> None:
    # A group that runs the fleet itself (`simulate --url … --chargers N`, as always) and has
    # one subcommand, `simulate csms`, the stand-in central system of proxy mode's demo.
    group = typer.Typer(epilog=_scenario_epilog(), invoke_without_command=True)
    app.add_typer(group, name="simulate")
    register_csms(group)

    @group.callback()
    def simulate(
        ctx: typer.Context,
        url: Annotated[
            str | None,
            typer.Option(
                "--url",
                help="Central system URL, ws://HOST:PORT or wss://HOST:PORT; /<id> is appended.",
                show_default=False,
            ),
        ] = None,
        chargers: Annotated[
            int | None,
            typer.Option(
                "--chargers",
                min=1,
                max=100_000,
                help="Number of simulated charge points.",
                show_default=False,
            ),
        ] = None,
        protocol: Annotated[
            ProtocolVersion,
            typer.Option("--protocol", help="OCPP version (subprotocol ocpp1.6 or ocpp2.0.1)."),
        ] = ProtocolVersion.V16,
        scenario: Annotated[
            str,
            typer.Option(
                "--scenario",
                callback=_check_scenario,
                help=f"What the chargers do: {', '.join(SCENARIO_NAMES)} (see below).",
            ),
        ] = "normal",
        seed: Annotated[
            int, typer.Option("--seed", help="Same seed, same frames (except timestamps).")
        ] = 0,
        id_prefix: Annotated[
            str, typer.Option("--id-prefix", help="Charger ids are this prefix plus a number.")
        ] = "SIM",
        time_scale: Annotated[
            float,
            typer.Option(
                "--time-scale", min=0.001, help="Simulated seconds per wall-clock second."
            ),
        ] = 1.0,
        duration: Annotated[
            float | None,
            typer.Option(
                "--duration", min=0.0, help="Stop after this many seconds (default: Ctrl-C)."
            ),
        ] = None,
        password_file: Annotated[
            Path | None,
            typer.Option(
                "--password-file",
                help="Basic-auth password (profiles 1, 2): one line for all chargers, "
                "or one '<charge point id> <password>' line per charger.",
            ),
        ] = None,
        ca_file: Annotated[
            Path | None, typer.Option("--ca-file", help="CA bundle to verify a wss:// server.")
        ] = None,
        client_cert: Annotated[
            Path | None,
            typer.Option("--client-cert", help="Client certificate (PEM) for security profile 3."),
        ] = None,
        client_key: Annotated[
            Path | None, typer.Option("--client-key", help="Key of --client-cert (PEM).")
        ] = None,
        connect_concurrency: Annotated[
            int, typer.Option("--connect-concurrency", min=1, help="Handshakes in flight at once.")
        ] = 200,
        ramp: Annotated[
            float, typer.Option("--ramp", min=0.001, help="New connections started per second.")
        ] = 1000.0,
    ) -> None:
        """Run simulated charge points against an OCPP central system (or, with `csms`, be
        one)."""
        if ctx.invoked_subcommand is not None:
            return
        if url is None or chargers is None:
            missing = [n for n, v in (("--url", url), ("--chargers", chargers)) if v is None]
            verb = "are" if len(missing) == 2 else "is"
            raise _fail(
                f"{' and '.join(missing)} {verb} required, e.g. "
                "--url ws://127.0.0.1:9000 --chargers 10 (or `simulate csms` for a stand-in CSMS)"
            )
        host, port = _host_port(url)
        password = _read_passwords(password_file)
        tls = _tls_context(url, ca_file, client_cert, client_key)
        try:
            fleet = SimulatedFleet(
                url,
                chargers,
                protocol=protocol.value,
                scenario=scenario,
                seed=seed,
                id_prefix=id_prefix,
                time_scale=time_scale,
                password=password,
                ssl_context=tls,
                connect_concurrency=connect_concurrency,
                ramp_per_second=ramp,
            )
        except FleetConfigError as exc:
            raise _fail(str(exc)) from None
        problem = asyncio.run(_reachable(host, port))
        if problem is not None:
            raise _fail(
                f"cannot reach the central system at {host}:{port} ({problem}); "
                "is the collector running (chargekeeper exporter --ocpp-listen HOST:PORT)?"
            )
        raise typer.Exit(asyncio.run(_run(fleet, duration)))

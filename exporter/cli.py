"""``chargekeeper exporter``: the OCPP collector alone, and ``exporter hash-password``.

Startup problems (a broken fleet file, an unreadable certificate, a port in use, options that
contradict each other) are printed as one line each saying what, where and how to fix it, and
the command exits with status 2 without a traceback. SIGINT and SIGTERM close every charger's
connection with 1001 (going away) and flush the InfluxDB buffer before the process ends.
"""

from __future__ import annotations

import asyncio
import errno
import getpass
import logging
import signal
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from prometheus_client import CollectorRegistry, ProcessCollector

from chargekeeper.config.fleet import Fleet, load_fleet
from chargekeeper.config.loader import ConfigError
from exporter.events import NullSink
from exporter.fleetpasswords import add_passwords
from exporter.gcschedule import GcSchedule
from exporter.http import MetricsServer, fleet_exposition
from exporter.idtags import announce_id_tag_policy
from exporter.influx import InfluxWriter
from exporter.passwords import DEFAULT_HASH_MEMORY_KIB, DEFAULT_HASH_TIME_COST, hash_password
from exporter.proxy.connection import Proxy
from exporter.proxy.credentials import (
    UpstreamCredentials,
    load_upstream_credentials,
    local_profile,
)
from exporter.proxy.metrics import ProxyMetrics
from exporter.proxy.relay import LegOptions
from exporter.proxy.upstream import UpstreamConfigError, Upstreams, client_ssl_context
from exporter.proxy.upstream_metrics import UpstreamMetrics
from exporter.security import (
    Authenticator,
    SecurityConfigError,
    SecurityProfile,
    check_profile_against_fleet,
    server_ssl_context,
)
from exporter.selfmetrics import ExporterMetrics
from exporter.server import OPEN_TIMEOUT, OcppServer, ServerOptions
from exporter.settings import (
    DEFAULT_MAX_MESSAGE_BYTES,
    DEFAULT_PING_INTERVAL,
    DEFAULT_PING_TIMEOUT,
    ExporterSettings,
    ListenAddress,
    SettingsError,
)
from exporter.state import FleetState

log = logging.getLogger("exporter")

EXIT_USAGE = 2
# How often the opt-in to profile 0 off loopback is logged again, so that it is never buried.
INSECURE_WARNING_INTERVAL = 3600.0


class StartupError(Exception):
    """The exporter cannot start; each problem says what, where and how to fix it."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


def register(app: typer.Typer) -> None:
    exporter = typer.Typer(
        help="Run the OCPP collector (central system + Prometheus metrics).",
        add_completion=False,
    )
    app.add_typer(exporter, name="exporter")

    @exporter.callback(invoke_without_command=True)
    def run(
        ctx: typer.Context,
        ocpp_listen: Annotated[
            str | None,
            typer.Option(
                metavar="HOST:PORT",
                help="Where chargers connect (ws://HOST:PORT/<charge_point_id>).",
            ),
        ] = None,
        metrics_listen: Annotated[
            str | None,
            typer.Option(metavar="HOST:PORT", help="Where /metrics and /healthz are served."),
        ] = None,
        fleet: Annotated[
            Path | None,
            typer.Option(
                metavar="FILE",
                help="Fleet file (YAML): each charger's site, client, group and password_hash. "
                "Without it, any charger id is accepted.",
            ),
        ] = None,
        security_profile: Annotated[
            int,
            typer.Option(
                min=0,
                max=3,
                metavar="0-3",
                help="OCPP security profile: 0 none, 1 Basic auth, 2 TLS + Basic auth, "
                "3 mutual TLS (client certificate CN = charge point id).",
            ),
        ] = 0,
        insecure_no_charger_auth: Annotated[
            bool,
            typer.Option(
                "--insecure-no-charger-auth",
                help="Allow security profile 0 on an address other than loopback: anyone who "
                "knows a charger id can then impersonate it (logged as a WARNING every hour).",
            ),
        ] = False,
        tls_cert: Annotated[
            Path | None,
            typer.Option(metavar="FILE", help="PEM server certificate (profiles 2 and 3)."),
        ] = None,
        tls_key: Annotated[
            Path | None, typer.Option(metavar="FILE", help="PEM private key of --tls-cert.")
        ] = None,
        tls_ca: Annotated[
            Path | None,
            typer.Option(
                metavar="FILE",
                help="PEM CA certificate(s) signing chargers' client certificates (profile 3).",
            ),
        ] = None,
        ping_interval: Annotated[
            float,
            typer.Option(
                metavar="SECONDS", help="Seconds between websocket pings to each charger."
            ),
        ] = DEFAULT_PING_INTERVAL,
        ping_timeout: Annotated[
            float,
            typer.Option(
                metavar="SECONDS",
                help="Seconds to wait for a pong before the charger counts as disconnected.",
            ),
        ] = DEFAULT_PING_TIMEOUT,
        max_message_bytes: Annotated[
            int,
            typer.Option(
                metavar="BYTES",
                help="Largest websocket message accepted; a larger one closes the link (1009).",
            ),
        ] = DEFAULT_MAX_MESSAGE_BYTES,
        upstream: Annotated[
            str | None,
            typer.Option(
                metavar="URL",
                help="Proxy mode: relay each charger to this CSMS (ws:// or wss:// base; "
                "{charge_point_id} in it is replaced by the id, else /<id> is appended) and "
                "watch the frames instead of answering them. A fleet file's upstream: "
                "overrides it per client, site or charger.",
            ),
        ] = None,
        upstream_ca: Annotated[
            Path | None,
            typer.Option(
                metavar="FILE",
                help="PEM CA certificate(s) a wss:// CSMS's certificate is checked against "
                "(default: the system's trusted CAs).",
            ),
        ] = None,
        upstream_credentials: Annotated[
            Path | None,
            typer.Option(
                metavar="FILE",
                help="Proxy mode, profiles 1-3: check chargers' passwords here (the fleet "
                "file's password_hash) and log in to the CSMS with the proxy's own: one "
                "'<charge point id> <password>' line per charger, mode 0600. Without it the "
                "charger's Authorization header is passed on.",
            ),
        ] = None,
        upstream_client_cert: Annotated[
            Path | None,
            typer.Option(
                metavar="FILE",
                help="PEM certificate the proxy presents to every wss:// CSMS (a CSMS on "
                "profile 3 then sees this certificate, never a charger's).",
            ),
        ] = None,
        upstream_client_key: Annotated[
            Path | None,
            typer.Option(metavar="FILE", help="PEM private key of --upstream-client-cert."),
        ] = None,
        influxdb_url: Annotated[
            str | None,
            typer.Option(metavar="URL", help="InfluxDB v2 URL, e.g. http://127.0.0.1:8086."),
        ] = None,
        influxdb_token_file: Annotated[
            Path | None, typer.Option(metavar="FILE", help="File holding the InfluxDB API token.")
        ] = None,
        influxdb_org: Annotated[
            str | None, typer.Option(metavar="ORG", help="InfluxDB organisation.")
        ] = None,
        influxdb_bucket: Annotated[
            str | None, typer.Option(metavar="BUCKET", help="InfluxDB bucket for the history.")
        ] = None,
    ) -> None:
        """Run the OCPP collector (central system + Prometheus metrics)."""
        if ctx.invoked_subcommand is not None:
            return
        influx = {
            "url": influxdb_url,
            "token_file": influxdb_token_file,
            "org": influxdb_org,
            "bucket": influxdb_bucket,
        }
        options: dict[str, Any] = {
            "ocpp_listen": ocpp_listen,
            "metrics_listen": metrics_listen,
            "fleet": fleet,
            "security_profile": security_profile,
            "insecure_no_charger_auth": insecure_no_charger_auth,
            "tls_cert": tls_cert,
            "tls_key": tls_key,
            "tls_ca": tls_ca,
            "ping_interval": ping_interval,
            "ping_timeout": ping_timeout,
            "max_message_bytes": max_message_bytes,
            "upstream": upstream,
            "upstream_ca": upstream_ca,
            "upstream_credentials": upstream_credentials,
            "upstream_client_cert": upstream_client_cert,
            "upstream_client_key": upstream_client_key,
            "influxdb": {k: v for k, v in influx.items() if v is not None} or None,
        }
        try:
            settings = ExporterSettings.from_options(
                **{k: v for k, v in options.items() if v is not None}
            )
            asyncio.run(run_exporter(settings))
        except (SettingsError, StartupError) as exc:
            _fail(exc.problems)
        except KeyboardInterrupt:  # a second Ctrl-C during shutdown
            raise typer.Exit(130) from None

    @exporter.command("hash-password")
    def hash_password_command(
        time_cost: Annotated[
            int, typer.Option(min=1, metavar="N", help="argon2id iterations (verification cost).")
        ] = DEFAULT_HASH_TIME_COST,
        memory_kib: Annotated[
            int,
            typer.Option(
                min=1024, metavar="KIB", help="argon2id memory in KiB (verification cost)."
            ),
        ] = DEFAULT_HASH_MEMORY_KIB,
    ) -> None:
        """Hash a charger's Basic-auth password for password_hash in the fleet file.

        The password is read from standard input (one line) or, on a terminal, prompted for
        twice. Only the hash is printed.
        """
        if sys.stdin.isatty():
            password = getpass.getpass("Charger password: ")
            if getpass.getpass("Again: ") != password:
                _fail(["the two passwords differ; nothing was hashed"])
        else:
            password = sys.stdin.readline().rstrip("\r\n")
        try:
            typer.echo(hash_password(password, time_cost=time_cost, memory_kib=memory_kib))
        except ValueError as exc:
            _fail([f"password: {exc}"])

    @exporter.command("make-passwords")
    def make_passwords_command(
        fleet: Annotated[
            Path,
            typer.Option(metavar="FILE", help="Fleet file that receives each password_hash."),
        ],
        passwords_out: Annotated[
            Path,
            typer.Option(
                metavar="FILE",
                help="Where the passwords go, one '<charge point id> <password>' line each "
                "(mode 0600; program them into the chargers).",
            ),
        ],
    ) -> None:
        """Give each charger of the fleet file without a password_hash a random password.

        Chargers that already have one are left as they are.
        """
        try:
            load_fleet(fleet)  # a broken fleet file is reported, not half rewritten
            added = add_passwords(fleet, passwords_out)
        except ConfigError as exc:
            _fail([f"--fleet: {problem}" for problem in exc.problems])
        except OSError as exc:
            _fail([f"{exc.filename}: {exc.strerror}"])
        typer.echo(f"{len(added)} new charger password(s) in {passwords_out}")


def _fail(problems: list[str]) -> NoReturn:
    for problem in problems:
        typer.echo(f"chargekeeper exporter: {problem}", err=True)
    raise typer.Exit(EXIT_USAGE)


def load_fleet_for(settings: ExporterSettings) -> Fleet | None:
    if settings.fleet is None:
        log.warning(
            'no --fleet given: accepting any charger id (labelled site="unknown"); to accept '
            "only your chargers, list them in a fleet file and pass --fleet FILE"
        )
        return None
    try:
        return load_fleet(settings.fleet)
    except ConfigError as exc:
        raise StartupError([f"--fleet: {problem}" for problem in exc.problems]) from None


def _influx_writer(settings: ExporterSettings, metrics: ExporterMetrics) -> InfluxWriter | None:
    if settings.influxdb is None:
        return None
    try:
        token = settings.influxdb.read_token()
    except SettingsError as exc:
        raise StartupError(exc.problems) from None
    influx = settings.influxdb
    return InfluxWriter(influx.url, token, influx.org, influx.bucket, metrics, api=influx.api)


def _proxy(
    settings: ExporterSettings,
    fleet: Fleet | None,
    registry: CollectorRegistry,
    logins: Authenticator,
    credentials: UpstreamCredentials | None,
) -> Proxy | None:
    """Proxy mode's relay when ``--upstream`` is given, else None (standalone)."""
    if settings.upstream is None:
        return None
    try:
        upstream_ssl = client_ssl_context(
            settings.upstream_ca, settings.upstream_client_cert, settings.upstream_client_key
        )
    except UpstreamConfigError as exc:
        raise StartupError([str(exc)]) from None
    return Proxy(
        Upstreams(
            settings.upstream,
            upstream_ssl,
            fleet.upstream_for if fleet is not None else None,
        ),
        LegOptions(
            ping_interval=settings.ping_interval,
            ping_timeout=settings.ping_timeout,
            max_message_bytes=settings.max_message_bytes,
            open_timeout=OPEN_TIMEOUT / 2,  # the charger's own handshake waits on this one
        ),
        ProxyMetrics(registry),
        upstream_metrics=UpstreamMetrics(registry, fleet),
        logins=logins,
        credentials=credentials,
    )


def _upstream_credentials(
    settings: ExporterSettings, fleet: Fleet | None
) -> UpstreamCredentials | None:
    """The proxy's CSMS passwords; fleet chargers without a line are named in a warning."""
    if settings.upstream_credentials is None:
        return None
    credentials = load_upstream_credentials(settings.upstream_credentials)
    known = [c.id for c in fleet.chargers] if fleet is not None else []
    missing = credentials.missing(known)
    if missing:
        log.warning(
            "--upstream-credentials %s has no line for %d charger(s) of the fleet file "
            "(first: %r): they will be refused until one is added",
            settings.upstream_credentials,
            len(missing),
            missing[0],
        )
    return credentials


async def _listen(
    option: str, address: ListenAddress, start: Callable[[], Awaitable[None]]
) -> None:
    try:
        await start()
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            problem = "address already in use: stop the process using it or choose another port"
        elif exc.errno == errno.EACCES:
            problem = "permission denied: use a port above 1023 or run with the right privileges"
        else:
            problem = (
                f"cannot listen ({exc.strerror or exc}): "
                "check that the host is an address of this machine"
            )
        raise StartupError([f"{option} {address}: {problem}"]) from None


async def warn_no_charger_auth(address: ListenAddress, interval: float) -> None:
    """Log, now and every ``interval`` seconds, that chargers are not authenticated."""
    while True:
        log.warning(
            "INSECURE: security profile 0 on %s (--insecure-no-charger-auth): chargers are not "
            "authenticated, anyone who knows a charger id can impersonate it and raise alerts; "
            "use --security-profile 2 (docs/deployment.md, Security)",
            address,
        )
        await asyncio.sleep(interval)


async def run_exporter(
    settings: ExporterSettings,
    stop: asyncio.Event | None = None,
    *,
    insecure_warning_interval: float = INSECURE_WARNING_INTERVAL,
) -> None:
    """Run until ``stop`` is set, then shut down cleanly.

    Without ``stop`` the collector owns the process and stops on SIGINT/SIGTERM; a caller that
    passes ``stop`` (``chargekeeper up``, tests) keeps its own signal handling.
    """
    fleet = load_fleet_for(settings)
    profile = settings.security_profile
    credentials: UpstreamCredentials | None = None
    try:
        if settings.upstream is None:
            check_profile_against_fleet(profile, fleet)
            checked_profile = profile
            # Behind --upstream the CSMS answers drivers; standalone, this policy does.
            announce_id_tag_policy(fleet)
        else:
            credentials = _upstream_credentials(settings, fleet)
            checked_profile = local_profile(profile, fleet, local_check=credentials is not None)
        ssl_context = (
            server_ssl_context(profile, settings.tls_cert, settings.tls_key, settings.tls_ca)
            if settings.tls_cert is not None and settings.tls_key is not None
            else None
        )
    except SecurityConfigError as exc:
        raise StartupError([str(exc)]) from None
    # websockets logs every handshake at INFO; the server logs what matters, with the id.
    logging.getLogger("exporter.websockets").setLevel(logging.WARNING)
    registry = CollectorRegistry()
    ProcessCollector(registry=registry)
    metrics = ExporterMetrics(registry)
    authenticator = Authenticator(checked_profile, fleet)
    try:
        proxy = _proxy(settings, fleet, registry, authenticator, credentials)
        influx = _influx_writer(settings, metrics)
    except StartupError:
        authenticator.close()
        raise
    state = FleetState(fleet, metrics, influx if influx is not None else NullSink())
    ocpp = OcppServer(
        ServerOptions(
            host=settings.ocpp_listen.host,
            port=settings.ocpp_listen.port,
            ping_interval=settings.ping_interval,
            ping_timeout=settings.ping_timeout,
            max_message_bytes=settings.max_message_bytes,
            ssl_context=ssl_context,
        ),
        state,
        metrics,
        authenticator,
        proxy,
    )
    http = MetricsServer(
        settings.metrics_listen.host,
        settings.metrics_listen.port,
        fleet_exposition(state, registry),
    )
    gc_schedule = GcSchedule(
        metrics,
        open_connections=lambda: ocpp.connection_count,
        closed_connections=lambda: ocpp.connections_closed,
        busy=lambda: http.scraping,
    )
    gc_task: asyncio.Task[None] | None = None
    warn_task: asyncio.Task[None] | None = None
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM) if stop is None else ()
    stop = stop or asyncio.Event()
    for signum in signals:
        loop.add_signal_handler(signum, stop.set)
    try:
        await _listen("--ocpp-listen", settings.ocpp_listen, ocpp.start)
        await _listen("--metrics-listen", settings.metrics_listen, http.start)
        if influx is not None:
            await influx.start()
        scheme = "wss" if ssl_context is not None else "ws"
        if settings.upstream is not None:
            log.info(
                "proxy mode: relaying chargers to %s (or their fleet file upstream:); the "
                "CSMS answers them, this collector only watches",
                settings.upstream,
            )
        log.info(
            "OCPP central system on %s://%s/<charge_point_id> (security profile %d, "
            "subprotocols ocpp2.0.1, ocpp1.6); metrics on http://%s/metrics",
            scheme,
            ListenAddress(host=settings.ocpp_listen.host, port=ocpp.port),
            int(profile),
            ListenAddress(host=settings.metrics_listen.host, port=http.port),
        )
        gc_task = asyncio.create_task(gc_schedule.run(), name="gc-schedule")
        if profile is SecurityProfile.NONE and not settings.ocpp_listen.loopback_only:
            warn_task = asyncio.create_task(
                warn_no_charger_auth(settings.ocpp_listen, insecure_warning_interval),
                name="insecure-warning",
            )
        await stop.wait()
        log.info("shutting down: closing charger connections")
    finally:
        for task in (gc_task, warn_task):
            if task is not None:
                task.cancel()
        gc_schedule.close()
        for signum in signals:
            loop.remove_signal_handler(signum)
        await ocpp.stop()
        await http.stop()
        if influx is not None:
            await influx.stop()
        authenticator.close()

"""The whole local stack on ports chosen at run time, and what its local providers received.

Assembled from the same parts as ``chargekeeper up`` (chargekeeper/up.py): the Prometheus and
Alertmanager configuration rendered from a config directory, the receiver with its local SMTP
server and SMS endpoint, Alertmanager and Prometheus as child processes, and the collector in
this process. Unlike ``up``, the scrape and evaluation interval is a parameter, so that the
end-to-end test runs at one second and the latency benchmark at the shipped five seconds and
at stock Prometheus' one minute. Shared by ``tests/e2e`` and ``bench/detect_latency.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Literal

import httpx
import yaml

from chargekeeper.net import free_port
from chargekeeper.processes import ChildProcess, StackError, find_binary
from chargekeeper.render.prometheus import DEFAULT_RULES_DIR, PrometheusSetup
from chargekeeper.render.stack import AlertmanagerSide, PrometheusSide, load_sources, render
from chargekeeper.routing import WebhookTarget
from chargekeeper.up import (
    Ports,
    alertmanager_process,
    prometheus_process,
    receiver_process,
    webhook_token,
)
from console.settings import CONSOLE_FILE
from exporter.cli import StartupError, run_exporter
from exporter.settings import ExporterSettings

Channel = Literal["email", "sms"]
# The templates start a resolution with RESOLVED (SMS) or [RESOLVED] (email subject).
_RESOLVED = re.compile(r"^\[?RESOLVED\]?")


def write_config(config_dir: Path, documents: dict[str, dict[str, Any]]) -> Path:
    """Write ``{"fleet.yaml": {...}, ...}`` as YAML files of a new config directory."""
    config_dir.mkdir(parents=True, exist_ok=True)
    for name, document in documents.items():
        (config_dir / name).write_text(yaml.safe_dump(document, sort_keys=False))
    return config_dir


@dataclass(frozen=True)
class Message:
    """One message as a local provider accepted it."""

    channel: Channel
    to: str
    text: str  # the email's subject and plain body, or the SMS body
    at: float  # wall-clock seconds the provider accepted it (see Inbox)

    @property
    def resolved(self) -> bool:
        return bool(_RESOLVED.match(self.text))


@dataclass
class Inbox:
    """Everything the receiver's local SMTP server and SMS endpoint accepted, in arrival order.

    A mail is timed by its file's mtime (written when the SMTP server accepts it). An SMS line
    only carries a whole-second ``date_created``, so an SMS is timed when :meth:`poll` first
    sees it: poll often (the benchmark polls every 0.1 s).
    """

    receiver_state: Path
    clock: Callable[[], float] = time.time
    messages: list[Message] = field(default_factory=list)
    _mail_seen: set[Path] = field(default_factory=set)
    _sms_lines: int = 0

    def poll(self) -> list[Message]:
        """Read what arrived since the last poll; return the new messages."""
        new: list[Message] = []
        for path in sorted((self.receiver_state / "mail").glob("*.eml")):
            if path in self._mail_seen:
                continue
            self._mail_seen.add(path)
            mail = message_from_bytes(path.read_bytes(), policy=policy.default)
            assert isinstance(mail, EmailMessage)
            body = mail.get_body(("plain",))
            # A subject folded before its first word reads back with the fold's leading space.
            subject = str(mail["Subject"]).strip()
            text = f"{subject}\n{body.get_content() if body is not None else ''}"
            address = mail["To"].addresses[0].addr_spec
            new.append(Message("email", address, text, path.stat().st_mtime))
        sms_file = self.receiver_state / "sms" / "messages.jsonl"
        if sms_file.exists():
            now = self.clock()
            data = sms_file.read_bytes()
            # A line is complete once its newline is written.
            lines = data.decode("utf-8").split("\n")[:-1]
            for line in lines[self._sms_lines :]:
                sms = json.loads(line)
                new.append(Message("sms", sms["to"], sms["body"], now))
            self._sms_lines = len(lines)
        self.messages += new
        return new


@dataclass(frozen=True)
class LocalStack:
    """A running stack: where to reach its parts and where its providers write.

    ``ports`` holds the first collector's and the first Alertmanager's ports;
    ``collectors`` lists every collector's (OCPP, metrics) ports and ``alertmanagers``
    every Alertmanager's port.
    """

    ports: Ports
    state_dir: Path
    collectors: tuple[tuple[int, int], ...]
    alertmanagers: tuple[int, ...]
    # Set on exit, and by the collector's own SIGINT/SIGTERM handler: a caller's wait loop
    # checks it so that Ctrl-C stops a benchmark instead of leaving it waiting.
    stopping: asyncio.Event

    def url(self, part: Literal["prometheus", "alertmanager", "receiver", "metrics"]) -> str:
        return f"http://127.0.0.1:{getattr(self.ports, part)}"

    def ocpp_url(self, collector: int = 0) -> str:
        return f"ws://127.0.0.1:{self.collectors[collector][0]}"

    def inbox(self) -> Inbox:
        return Inbox(self.state_dir / "receiver")

    def logs(self, lines: int = 20) -> str:
        """The tail of every child's log, for a failure message."""
        tails = []
        for log in sorted((self.state_dir / "logs").glob("*.log")):
            text = log.read_text(errors="replace").splitlines()[-lines:]
            tails.append(f"--- {log.name}\n" + "\n".join(text))
        return "\n".join(tails)

    async def until(self, check: Callable[[], bool], within: float, what: str) -> None:
        """Wait for ``check`` to hold; fail with ``what`` and the children's logs after
        ``within`` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while not check():
            if loop.time() > deadline:
                raise AssertionError(f"timed out waiting for {what}\n{self.logs()}")
            await asyncio.sleep(0.25)

    async def firing_alerts(self, alertnames: str) -> list[dict[str, Any]]:
        """Prometheus' firing ``ALERTS`` series whose name matches the regex ``alertnames``."""
        async with httpx.AsyncClient(timeout=5) as client:
            response = await client.get(
                f"{self.url('prometheus')}/api/v1/query",
                params={"query": f'ALERTS{{alertname=~"{alertnames}",alertstate="firing"}}'},
            )
        response.raise_for_status()
        result: list[dict[str, Any]] = response.json()["data"]["result"]
        return result


def clustered_alertmanagers(state_dir: Path, ports: Sequence[int]) -> list[ChildProcess]:
    """Alertmanagers on ``ports`` gossiping with each other (ARCHITECTURE 6), one config."""
    gossip = [free_port() for _ in ports]
    config = state_dir / "alertmanager" / "alertmanager.yml"
    children = []
    for index, port in enumerate(ports):
        peers = [
            f"--cluster.peer=127.0.0.1:{g}" for other, g in enumerate(gossip) if other != index
        ]
        argv = [
            find_binary("prometheus-alertmanager"),
            f"--config.file={config}",
            f"--storage.path={state_dir / f'alertmanager-{index}-data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            f"--cluster.listen-address=127.0.0.1:{gossip[index]}",
            *peers,
        ]
        children.append(
            ChildProcess(
                name=f"alertmanager-{index}",
                argv=argv,
                health_url=f"http://127.0.0.1:{port}/-/ready",
                log_path=state_dir / "logs" / f"alertmanager-{index}.log",
            )
        )
    return children


# free_port() only says that a port was free a moment ago: on a busy machine another process
# (or a child of this very stack binding its own ephemeral ports, like the receiver's local
# SMTP and SMS servers) can take it before its server binds it. The stack then starts again
# on fresh ports, a few times at most.
START_ATTEMPTS = 3
PORT_TAKEN = "address already in use"


@dataclass
class _Running:
    """What one start of the stack launched, so that it can be stopped whatever happened."""

    stack: LocalStack
    children: list[ChildProcess] = field(default_factory=list)
    collectors: list[asyncio.Task[None]] = field(default_factory=list)

    async def stop(self) -> None:
        self.stack.stopping.set()
        for task in self.collectors:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(task, 15)
        for child in reversed(self.children):
            await child.stop()


@contextlib.asynccontextmanager
async def running_stack(
    config_dir: Path,
    state_dir: Path,
    interval_seconds: int,
    collectors: int = 1,
    alertmanagers: int = 1,
    rules_dir: Path = DEFAULT_RULES_DIR,
    console: dict[str, Any] | None = None,
) -> AsyncIterator[LocalStack]:
    """Start the stack for ``config_dir`` (which must hold a routing.yaml); stop it on exit.

    ``interval_seconds`` is Prometheus' scrape and rule evaluation interval. Alertmanager's
    timing is routing.yaml's; the receiver's settings are receiver.yaml's; the local providers
    always run. With several ``collectors`` Prometheus scrapes them all; with several
    ``alertmanagers`` they form a gossip cluster and Prometheus sends to each of them.
    ``rules_dir`` holds the hand-written rule files (the repository's ``rules/``; the latency
    benchmark can compare another layout). ``console``, if given, is written as the config
    directory's console.yaml with ``alertmanager_url`` set to this stack's first Alertmanager,
    so that an acknowledgement silences the alert where Prometheus sends it.
    """
    for attempt in range(1, START_ATTEMPTS + 1):
        running = _Running(_choose_ports(state_dir, collectors, alertmanagers))
        try:
            await _start(running, config_dir, interval_seconds, rules_dir, console)
        except (StackError, StartupError, RuntimeError) as exc:
            await running.stop()
            if PORT_TAKEN in str(exc) and attempt < START_ATTEMPTS:
                continue
            raise
        break
    try:
        yield running.stack
    finally:
        await running.stop()


def _choose_ports(state_dir: Path, collectors: int, alertmanagers: int) -> LocalStack:
    collector_ports = tuple((free_port(), free_port()) for _ in range(collectors))
    alertmanager_ports = tuple(free_port() for _ in range(alertmanagers))
    ports = Ports(
        ocpp=collector_ports[0][0],
        metrics=collector_ports[0][1],
        prometheus=free_port(),
        alertmanager=alertmanager_ports[0],
        receiver=free_port(),
    )
    return LocalStack(ports, state_dir, collector_ports, alertmanager_ports, asyncio.Event())


async def _start(
    running: _Running,
    config_dir: Path,
    interval_seconds: int,
    rules_dir: Path,
    console: dict[str, Any] | None,
) -> None:
    """Render the configuration for ``running``'s ports and start every part, recording each
    in ``running`` as it starts."""
    stack = running.stack
    ports, state_dir = stack.ports, stack.state_dir
    if console is not None:
        silences_at = f"http://127.0.0.1:{ports.alertmanager}"
        write_config(config_dir, {CONSOLE_FILE: {**console, "alertmanager_url": silences_at}})
    setup = PrometheusSetup(
        exporters=[f"127.0.0.1:{metrics}" for _, metrics in stack.collectors],
        alertmanagers=[f"127.0.0.1:{port}" for port in stack.alertmanagers],
        receivers=[f"127.0.0.1:{ports.receiver}"],
        prometheus=f"127.0.0.1:{ports.prometheus}",
        interval_seconds=interval_seconds,
        rules_dir=rules_dir,
    )
    token = webhook_token(state_dir)
    webhook = WebhookTarget(f"http://127.0.0.1:{ports.receiver}", token)
    render(load_sources(config_dir), state_dir, [PrometheusSide(setup), AlertmanagerSide(webhook)])
    children = [
        receiver_process(config_dir, state_dir, ports, token, demo=True),
        *(
            clustered_alertmanagers(state_dir, stack.alertmanagers)
            if len(stack.alertmanagers) > 1
            else [alertmanager_process(state_dir, ports)]
        ),
        prometheus_process(state_dir, ports),
    ]
    for child in children:
        running.children.append(child)
        await child.start()
    for index, (ocpp, metrics) in enumerate(stack.collectors):
        settings = ExporterSettings.from_options(
            ocpp_listen=f"127.0.0.1:{ocpp}",
            metrics_listen=f"127.0.0.1:{metrics}",
            fleet=config_dir / "fleet.yaml",
        )
        task = asyncio.create_task(
            run_exporter(settings, stack.stopping), name=f"collector-{index}"
        )
        running.collectors.append(task)
        await _wait_for_collector(task, f"http://127.0.0.1:{metrics}/healthz")


async def _wait_for_collector(exporter: asyncio.Task[None], health_url: str) -> None:
    async with httpx.AsyncClient(timeout=1.0) as client:
        for _ in range(100):
            if exporter.done():
                exporter.result()  # raises the collector's start-up error
                raise RuntimeError("the collector stopped during start-up")
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(health_url)).is_success:
                    return
            await asyncio.sleep(0.1)
    raise RuntimeError(f"the collector did not answer {health_url} within 10 s")

"""Consoles with an editor wired to the real server it changes.

- Rules: the config directory of tests/console/support.py plus a policy, Prometheus's
  configuration rendered by ``config render``, Prometheus (with ``--web.enable-lifecycle``,
  or without it to make reloads fail) and the real collector (``chargekeeper exporter``)
  serving the fleet's chargers, none of them connected.
- Routing: a commented routing.yaml rendered once (as ``chargekeeper up`` leaves it), a real
  Alertmanager reading the rendered configuration, and the receiver with its console.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

from chargekeeper.receiver import Receiver, build_receiver
from chargekeeper.render.prometheus import PrometheusSetup
from chargekeeper.render.stack import (
    AlertmanagerSide,
    PrometheusSide,
    load_sources,
    render,
)
from chargekeeper.routing import WebhookTarget
from tests.alertmanager.receiver_support import ROUTING_YAML
from tests.console.support import build, console_config, running_alertmanager
from tests.support.procs import ServerProcess, free_port, require_binary, wait_for_http

# Chargers the collector has never seen count as disconnected once this grace has passed
# since it started; one second makes ChargerDisconnected's condition age at once.
POLICY = """\
# The SREs' policy: this comment must survive every console edit.
collector_restart_grace: 1s
defaults:
  disconnected: {warning: 1s, critical: 1h}   # every fleet charger is offline in these tests
  faulted: {warning: 1m, critical: 15m}
maintenance:
  - {site: leeds, start: "2030-01-01T00:00:00+00:00", end: "2030-01-02T00:00:00+00:00"}
"""


@dataclass
class RulesStack:
    built: Receiver
    config_dir: Path
    render_dir: Path
    prometheus_url: str

    @property
    def thresholds_file(self) -> Path:
        return self.render_dir / "prometheus" / "rules" / "thresholds.yml"


def query(prometheus_url: str, promql: str) -> list[dict[str, Any]]:
    response = httpx.get(f"{prometheus_url}/api/v1/query", params={"query": promql}, timeout=5)
    response.raise_for_status()
    result: list[dict[str, Any]] = response.json()["data"]["result"]
    return result


def threshold(prometheus_url: str, record: str, **labels: str) -> float | None:
    """The current value of one threshold series, or None when it has none."""
    matchers = ",".join(f'{name}="{value}"' for name, value in labels.items())
    rows = query(prometheus_url, f"{record}{{{matchers}}}")
    return float(rows[0]["value"][1]) if rows else None


@contextmanager
def rules_stack(
    tmp_path: Path, *, lifecycle: bool = True, collector: bool = False
) -> Iterator[RulesStack]:
    """The console (not yet served: ``client_for`` serves and closes it) with Prometheus
    running; ``collector`` adds the exporter."""
    prometheus_port, metrics_port, ocpp_port = free_port(), free_port(), free_port()
    prometheus_url = f"http://127.0.0.1:{prometheus_port}"
    render_dir = tmp_path / "rendered"
    built = build(
        tmp_path,
        f"refresh_seconds: 1\nprometheus_url: {prometheus_url}\nrender_dir: {render_dir}\n",
    )
    config_dir = tmp_path / "config"
    (config_dir / "policy.yaml").write_text(POLICY)
    setup = PrometheusSetup(
        exporters=(f"127.0.0.1:{metrics_port}",),
        alertmanagers=(f"127.0.0.1:{free_port()}",),
        prometheus=f"127.0.0.1:{prometheus_port}",
        interval_seconds=1,
    )
    render(load_sources(config_dir), render_dir, [PrometheusSide(setup)])
    with ExitStack() as processes:
        if collector:
            exporter = ServerProcess(
                "exporter",
                [
                    str(Path(sys.executable).with_name("chargekeeper")),
                    "exporter",
                    "--ocpp-listen",
                    f"127.0.0.1:{ocpp_port}",
                    "--metrics-listen",
                    f"127.0.0.1:{metrics_port}",
                    "--fleet",
                    str(config_dir / "fleet.yaml"),
                ],
                tmp_path,
            )
            processes.callback(exporter.stop)
        argv = [
            require_binary("prometheus"),
            f"--config.file={render_dir / 'prometheus' / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{prometheus_port}",
        ]
        if lifecycle:
            argv.append("--web.enable-lifecycle")
        prometheus = ServerProcess("prometheus", argv, tmp_path)
        processes.callback(prometheus.stop)
        wait_for_http(f"{prometheus_url}/-/ready", proc=prometheus)
        if collector:
            wait_for_http(f"http://127.0.0.1:{metrics_port}/healthz", proc=exporter)
        yield RulesStack(built, config_dir, render_dir, prometheus_url)


COMMENT = "# Lyon's team covers the Part-Dieu chargers around the clock.\n"


@dataclass
class RoutingStack:
    config_dir: Path
    am_file: Path
    alertmanager_url: str
    built: Receiver
    peer_url: str = ""  # the second Alertmanager, when there is one

    @property
    def routing_file(self) -> Path:
        return self.config_dir / "routing.yaml"


@contextmanager
def editor_stack(
    tmp_path: Path,
    *,
    am_reads: Path | None = None,
    console_am_port: int | None = None,
    peer_reads: Path | None = None,
) -> Iterator[RoutingStack]:
    """A commented routing.yaml rendered once (as `chargekeeper up` leaves it), a real
    Alertmanager reading ``am_reads`` (default: the rendered file) and the receiver+console.
    ``console_am_port`` points the console at another port (an Alertmanager that is down);
    ``peer_reads`` adds a second Alertmanager reading that file, named in
    ``alertmanager_peers`` (its URL is ``stack.peer_url``)."""
    port = free_port()
    peer_port = free_port()
    render_dir = tmp_path / "render"
    console_yaml = (
        f"alertmanager_url: http://127.0.0.1:{console_am_port or port}\nrender_dir: {render_dir}\n"
    )
    if peer_reads is not None:
        console_yaml += f"alertmanager_peers: [http://127.0.0.1:{peer_port}]\n"
    config_dir, state_dir = console_config(tmp_path, console_yaml)
    routing = ROUTING_YAML.replace("coverage:\n", COMMENT + "coverage:\n")
    (config_dir / "routing.yaml").write_text(routing)
    token = (config_dir / "receiver-token").resolve()
    side = AlertmanagerSide(WebhookTarget("http://127.0.0.1:1", token))
    render(load_sources(config_dir), render_dir, [side])
    am_file = render_dir / "alertmanager" / "alertmanager.yml"
    if am_reads is not None:
        shutil.copy(am_file, am_reads)
    with ExitStack() as stack:
        url = stack.enter_context(running_alertmanager(tmp_path, am_reads or am_file, port))
        peer_url = ""
        if peer_reads is not None:
            if peer_reads != am_file:
                shutil.copy(am_file, peer_reads)  # a member started on another file
            peer_dir = tmp_path / "peer"
            peer_dir.mkdir()
            peer_url = stack.enter_context(running_alertmanager(peer_dir, peer_reads, peer_port))
        yield RoutingStack(
            config_dir, am_file, url, build_receiver(config_dir, state_dir), peer_url
        )


def running(alertmanager_url: str) -> dict[str, Any]:
    response = httpx.get(f"{alertmanager_url}/api/v2/status", timeout=5)
    response.raise_for_status()
    config: dict[str, Any] = yaml.safe_load(response.json()["config"]["original"])
    return config

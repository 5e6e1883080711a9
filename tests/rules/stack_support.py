"""The real stack the rules run on in tests: the collector fed by one simulator process per
fault scenario, Prometheus with the configuration ``config render`` writes, and Alertmanager."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from chargekeeper.net import free_port
from chargekeeper.render.prometheus import PrometheusSetup
from chargekeeper.render.stack import PrometheusSide, load_sources, render
from tests.support.procs import ServerProcess, require_binary, wait_for_http

TIME_SCALE = "60"
CLIENT = "acme"


@dataclass(frozen=True)
class Scenario:
    """One simulator process: its scenario, id prefix, charger count and the site they are at."""

    name: str
    prefix: str
    count: int
    site: str

    def ids(self) -> list[str]:
        # The simulator's ids: prefix plus a 1-based number padded to four digits.
        return [f"{self.prefix}{n:04d}" for n in range(1, self.count + 1)]


SCENARIOS = (
    Scenario("vendor-fault", "FAULT-", 1, "site-fault"),
    Scenario("clean-disconnect", "DOWN-", 2, "site-down"),
    Scenario("soc-stall", "SOC-", 1, "site-soc"),
    Scenario("power-zero-while-charging", "ZERO-", 1, "site-energy"),
    Scenario("boot-loop", "BOOT-", 1, "site-flap"),
    # Healthy AC chargers in ordinary sessions, without SoC: nothing may fire for them.
    Scenario("ac-no-soc", "AC-", 3, "site-healthy"),
)

# Short thresholds so that each fault alerts within seconds; the simulator's faults last far
# longer (simulated minutes at 60x). The restart grace covers the simulators' start-up.
POLICY = """\
collector_restart_grace: 30s
defaults:
  disconnected: {warning: 3s, critical: 1h}
  faulted: {warning: 2s, critical: 1h}
  soc_stalled: {below: 0.95, warning: 10s, critical: null}
  not_delivering: {warning: 4s, critical: null}
  vendor_code: {after: 1s}
  flapping: {reconnects: 2}
  site_offline: {after: 3s, ratio: 0.6, min_chargers: 2}
vendor_codes:
  - {vendor: Alfen BV, codes: ["210"], severity: critical}
"""

ALERTMANAGER_CONFIG = """\
route:
  receiver: nobody
  group_by: [alertname, site]
  group_wait: 1s
  group_interval: 1s
receivers:
  - name: nobody
"""


def _fleet_yaml(scenarios: tuple[Scenario, ...]) -> str:
    lines = [f"clients: [{{id: {CLIENT}}}]", "sites:"]
    lines += [
        f"  - {{id: {site}, client: {CLIENT}}}" for site in sorted({s.site for s in scenarios})
    ]
    lines.append("chargers:")
    for scenario in scenarios:
        group = scenario.name.replace("-while-charging", "")
        lines += [
            f"  - {{id: {cp}, site: {scenario.site}, group: {group}}}" for cp in scenario.ids()
        ]
    return "\n".join(lines) + "\n"


def _chargekeeper(*args: str) -> list[str]:
    """The ``chargekeeper`` command of the running virtualenv."""
    return [str(Path(sys.executable).with_name("chargekeeper")), *args]


@dataclass
class Stack:
    """The running processes, and how to restart the collector as an operator would."""

    log_dir: Path
    alertmanager_port: int
    prometheus_port: int
    exporter_argv: list[str]
    metrics_port: int
    processes: list[ServerProcess]

    def restart_exporter(self, down_for: float) -> None:
        """Stop the collector (SIGTERM), stay down ``down_for`` seconds, start it again."""
        exporter = next(p for p in self.processes if p.name.startswith("exporter"))
        exporter.stop()
        time.sleep(down_for)
        restarted = ServerProcess(
            f"exporter-{len(self.processes)}", self.exporter_argv, self.log_dir
        )
        self.processes.append(restarted)
        wait_for_http(f"http://127.0.0.1:{self.metrics_port}/healthz", proc=restarted)


@contextmanager
def running_stack(
    tmp_path: Path, scenarios: tuple[Scenario, ...], policy: str, time_scale: str
) -> Iterator[Stack]:
    config = tmp_path / "config"
    config.mkdir()
    (config / "fleet.yaml").write_text(_fleet_yaml(scenarios))
    (config / "policy.yaml").write_text(policy)
    (tmp_path / "alertmanager.yml").write_text(ALERTMANAGER_CONFIG)
    ocpp, metrics, prometheus_port, alertmanager_port = (free_port() for _ in range(4))
    out = tmp_path / "out"
    setup = PrometheusSetup(
        exporters=(f"127.0.0.1:{metrics}",),
        alertmanagers=(f"127.0.0.1:{alertmanager_port}",),
        prometheus=f"127.0.0.1:{prometheus_port}",
        interval_seconds=1,
    )
    render(load_sources(config, datetime.now(UTC)), out, [PrometheusSide(setup)])
    exporter_argv = _chargekeeper(
        "exporter",
        "--ocpp-listen",
        f"127.0.0.1:{ocpp}",
        "--metrics-listen",
        f"127.0.0.1:{metrics}",
        "--fleet",
        str(config / "fleet.yaml"),
    )
    processes: list[ServerProcess] = []
    try:
        alertmanager = ServerProcess(
            "alertmanager",
            [
                require_binary("prometheus-alertmanager"),
                f"--config.file={tmp_path / 'alertmanager.yml'}",
                f"--storage.path={tmp_path / 'am-data'}",
                f"--web.listen-address=127.0.0.1:{alertmanager_port}",
                "--cluster.listen-address=",
            ],
            tmp_path,
        )
        processes.append(alertmanager)
        exporter = ServerProcess("exporter", exporter_argv, tmp_path)
        processes.append(exporter)
        prometheus = ServerProcess(
            "prometheus",
            [
                require_binary("prometheus"),
                f"--config.file={out / 'prometheus' / 'prometheus.yml'}",
                f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{prometheus_port}",
                # Alerts fired before Prometheus has discovered the Alertmanager are dropped
                # and only sent again after this delay (1 minute by default).
                "--rules.alert.resend-delay=2s",
            ],
            tmp_path,
        )
        processes.append(prometheus)
        wait_for_http(f"http://127.0.0.1:{alertmanager_port}/-/ready", proc=alertmanager)
        wait_for_http(f"http://127.0.0.1:{metrics}/healthz", proc=exporter)
        wait_for_http(f"http://127.0.0.1:{prometheus_port}/-/ready", proc=prometheus)
        for scenario in scenarios:
            argv = _chargekeeper(
                "simulate",
                "--url",
                f"ws://127.0.0.1:{ocpp}",
                "--chargers",
                str(scenario.count),
                "--scenario",
                scenario.name,
                "--id-prefix",
                scenario.prefix,
                "--time-scale",
                time_scale,
            )
            processes.append(ServerProcess(f"simulate-{scenario.name}", argv, tmp_path))
        yield Stack(tmp_path, alertmanager_port, prometheus_port, exporter_argv, metrics, processes)
    finally:
        for process in reversed(processes):
            process.stop()

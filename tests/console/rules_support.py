"""A console with the Rules editor wired to a real Prometheus: the config directory of
tests/console/support.py plus a policy, Prometheus's configuration rendered by
``config render`` into a render directory, Prometheus (with ``--web.enable-lifecycle``, or
without it to make reloads fail) and the real collector (``chargekeeper exporter``) serving
the fleet's chargers, none of them connected."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from alertmanager.wiring import Receiver
from chargekeeper.config.prometheus import PrometheusSetup
from chargekeeper.config.render import PrometheusSide, load_sources, render
from tests.console.support import build
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

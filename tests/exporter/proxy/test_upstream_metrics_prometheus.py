"""A real Prometheus scrapes ``chargekeeper exporter --upstream`` (run_exporter, as the CLI
wires it) in front of the ``ocpp`` library's central system and sees the upstream series."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from exporter.cli import run_exporter
from exporter.settings import ExporterSettings
from tests.console.editor_support import query
from tests.exporter.conftest import boot_frame, receive_text
from tests.exporter.proxy.conftest import library_csms
from tests.exporter.proxy.test_options import _once_listening
from tests.exporter.test_cli import listen_args
from tests.support.procs import ServerProcess, free_port, require_binary, wait_for_http

PROMETHEUS_YML = """\
global: {{scrape_interval: 1s, evaluation_interval: 1s}}
scrape_configs:
  - job_name: chargekeeper-exporter
    static_configs: [{{targets: ["{target}"]}}]
"""


async def _series(url: str, promql: str, within: float = 20.0) -> list[dict[str, Any]]:
    """The first non-empty answer to ``promql`` (Prometheus scrapes every second)."""
    for _ in range(int(within / 0.25)):
        rows = await asyncio.to_thread(query, url, promql)
        if rows:
            return rows
        await asyncio.sleep(0.25)
    raise AssertionError(f"Prometheus has no {promql} after {within} s")


async def test_prometheus_sees_what_only_the_proxy_sees(tmp_path: Path) -> None:
    fleet_file = tmp_path / "fleet.yaml"
    async with library_csms() as csms:
        fleet_file.write_text(
            f"clients: [{{id: acme, upstream: '{csms.url}'}}]\n"
            "sites: [{id: lyon-1, client: acme}]\n"
            "chargers: [{id: CP-1, site: lyon-1}]\n"
        )
        args = listen_args()
        ocpp_listen, metrics_listen = args[1], args[3]
        settings = ExporterSettings.from_options(
            ocpp_listen=ocpp_listen,
            metrics_listen=metrics_listen,
            fleet=fleet_file,
            upstream="ws://127.0.0.1:1/never-used",  # the fleet file's client upstream wins
        )
        (tmp_path / "prometheus.yml").write_text(PROMETHEUS_YML.format(target=metrics_listen))
        port = free_port()
        prometheus_url = f"http://127.0.0.1:{port}"
        prometheus = ServerProcess(
            "prometheus",
            [
                require_binary("prometheus"),
                f"--config.file={tmp_path / 'prometheus.yml'}",
                f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            tmp_path,
        )
        stop = asyncio.Event()
        running = asyncio.create_task(run_exporter(settings, stop))
        try:
            await asyncio.to_thread(wait_for_http, f"{prometheus_url}/-/ready", 20.0, prometheus)
            async with await _once_listening(f"ws://{ocpp_listen}/ocpp/CP-1", {}) as ws:
                await ws.send(boot_frame("1.6"))
                assert '"Accepted"' in await receive_text(ws)
                # The library's CSMS has no Authorize handler: it answers NotImplemented.
                await ws.send('[2,"a-1","Authorize",{"idTag":"TAG-1"}]')
                assert "NotImplemented" in await receive_text(ws)
                start = (
                    '[2,"s-1","StartTransaction",{"connectorId":1,"idTag":"TAG-1",'
                    '"meterStart":0,"timestamp":"2026-01-01T00:00:00Z"}]'
                )
                await ws.send(start)
                assert '"Accepted"' in await receive_text(ws)
                up = 'ocpp_charge_point_upstream_connected{charge_point_id="CP-1"} == 1'
                [row] = await _series(prometheus_url, up)
                assert row["metric"]["upstream"] == "client/acme"
                await _series(
                    prometheus_url,
                    'ocpp_charge_point_registration_status{charge_point_id="CP-1",'
                    'status="Accepted"} == 1',
                )
                await _series(
                    prometheus_url,
                    'ocpp_upstream_call_duration_seconds_count{upstream="client/acme",'
                    'action="BootNotification"} == 1',
                )
                await _series(
                    prometheus_url,
                    'ocpp_upstream_call_errors_total{upstream="client/acme",action="Authorize",'
                    'error_code="NotImplemented"} == 1',
                )
                await _series(
                    prometheus_url,
                    'ocpp_upstream_authorizations_total{upstream="client/acme",'
                    'action="StartTransaction",status="Accepted"} == 1',
                )
                await _series(
                    prometheus_url, 'ocpp_upstream_info{upstream="client/acme",client="acme"}'
                )
            await _series(
                prometheus_url, 'ocpp_charge_point_upstream_connected{charge_point_id="CP-1"} == 0'
            )
        finally:
            stop.set()
            await asyncio.wait_for(running, 10)
            prometheus.stop()

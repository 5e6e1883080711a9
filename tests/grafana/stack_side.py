"""What the Stack health dashboard needs beyond the rules stack: the receiver, more collectors,
InfluxDB writes and a charger that breaks the protocol.

The rules integration stack (tests/rules/stack_support.py) runs one collector, Prometheus
and Alertmanager, no receiver, no InfluxDB, and chargers that only send valid frames. Its
self-metrics would leave most Stack health panels empty (a labelled counter has no series
until it counts), so the dashboard test adds, as an operator would:

- the receiver (``chargekeeper receiver`` with local providers), Alertmanager posting to it and
  Prometheus scraping it;
- a second collector writing its history to VictoriaMetrics (which speaks the InfluxDB v2
  write API the collector uses; Debian's influxd 1.6 does not), with one charger of its own;
- a third collector address that nothing listens on, as a collector that died: its target is
  down and ChargekeeperCollectorDown goes pending, then fires;
- a third collector in proxy mode (``--upstream``) in front of the second one, as if that
  were the operator's CSMS, so that the CSMS row has answer times (``ocpp_upstream_*``);
- :func:`misbehave`: the second collector's charger has connections refused before the
  upgrade, then sends a frame that gets a CALLERROR and one recorded as non-compliant (with
  a vendor error code), over a real websocket.

Prometheus and Alertmanager get their configuration from ``config render``'s code with the
new peers and a routing.yaml, then reload.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import signal
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
from websockets.exceptions import InvalidStatus

from chargekeeper.net import free_port
from chargekeeper.render.prometheus import PrometheusSetup
from chargekeeper.render.stack import (
    AlertmanagerSide,
    PrometheusSide,
    load_sources,
    reload_alertmanager,
    render,
)
from chargekeeper.routing import WebhookTarget
from chargekeeper.up import Ports, receiver_process, webhook_token
from tests.exporter.conftest import boot_frame, charger, receive_text
from tests.exporter.test_influx_victoria import Victoria
from tests.rules.stack_support import Stack
from tests.support.procs import ServerProcess, wait_for_http

# One technician for every site, both channels; Alertmanager's timing in seconds.
ROUTING = """\
timezone: UTC
technicians:
  - {id: sre, name: SRE on call, email: sre@example.test, phone: "+33612345009"}
coverage:
  - {id: everything, sites: [%(sites)s], technicians: [sre], subscriptions: [{channels: both}]}
timing: {group_wait: 1, group_interval: 2, repeat_interval: 3600}
"""

# The second collector's only charger: at a site and group of the stack's fleet, so that the
# policy covers it and the dashboards' site lists stay those of the stack.
MISFIT = "MISFIT-0001"
PROXIED = "PROXIED-0001"
SECOND_FLEET = f"""\
clients: [{{id: acme}}]
sites: [{{id: site-healthy, client: acme}}]
chargers:
  - {{id: {MISFIT}, site: site-healthy, group: ac-no-soc}}
  - {{id: {PROXIED}, site: site-healthy, group: ac-no-soc}}
"""
# The proxy's only charger, relayed to the second collector (its "CSMS"): upstream "default".
PROXY_FLEET = f"""\
clients: [{{id: acme}}]
sites: [{{id: site-healthy, client: acme}}]
chargers: [{{id: {PROXIED}, site: site-healthy, group: ac-no-soc}}]
"""

# A CALL with a fifth element: a frame the collector answers with a FormationViolation.
MALFORMED = '[2,"stack-health-1","Heartbeat",{},{}]'
# A status with a garbage timestamp: against the schema, but understood and recorded. Its
# vendor code beside NoError is not a fault but is counted as a vendor report (ABB sends it).
NONCOMPLIANT = json.dumps(
    [
        2,
        "stack-health-2",
        "StatusNotification",
        {
            "connectorId": 1,
            "errorCode": "NoError",
            "status": "Available",
            "timestamp": "never",
            "vendorErrorCode": "0x0000",
        },
    ]
)


@dataclass(frozen=True)
class StackSide:
    """The ``instance`` of each collector target the side added, and where the second one
    takes chargers."""

    second_collector: str
    dead_collector: str
    second_ocpp_url: str
    proxy_collector: str
    proxy_ocpp_url: str


def _second_collector(stack: Stack, folder: Path) -> tuple[str, str]:
    """Start VictoriaMetrics and a collector writing to it; its (metrics, OCPP) addresses."""
    folder.mkdir()
    victoria = Victoria(folder, free_port())
    stack.processes.append(victoria.proc)
    (folder / "fleet.yaml").write_text(SECOND_FLEET)
    (folder / "influxdb-token").write_text("VictoriaMetrics ignores it\n")
    metrics, ocpp = f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"
    argv = [
        str(Path(sys.executable).with_name("chargekeeper")),
        "exporter",
        f"--ocpp-listen={ocpp}",
        f"--metrics-listen={metrics}",
        f"--fleet={folder / 'fleet.yaml'}",
        f"--influxdb-url={victoria.url}",
        f"--influxdb-token-file={folder / 'influxdb-token'}",
        "--influxdb-org=chargekeeper",
        "--influxdb-bucket=chargekeeper",
    ]
    collector = ServerProcess("second-collector", argv, folder)
    stack.processes.append(collector)
    wait_for_http(f"http://{metrics}/healthz", proc=collector)
    return metrics, ocpp


def _proxy_collector(stack: Stack, folder: Path, upstream: str) -> tuple[str, str]:
    """Start a collector relaying its charger to ``upstream``; its (metrics, OCPP) addresses."""
    folder.mkdir()
    (folder / "fleet.yaml").write_text(PROXY_FLEET)
    metrics, ocpp = f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"
    argv = [
        str(Path(sys.executable).with_name("chargekeeper")),
        "exporter",
        f"--ocpp-listen={ocpp}",
        f"--metrics-listen={metrics}",
        f"--fleet={folder / 'fleet.yaml'}",
        f"--upstream={upstream}",
    ]
    collector = ServerProcess("proxy-collector", argv, folder)
    stack.processes.append(collector)
    wait_for_http(f"http://{metrics}/healthz", proc=collector)
    return metrics, ocpp


def attach_stack_side(stack: Stack, sites: list[str]) -> StackSide:
    """Start the receiver and the second collector; render Prometheus and Alertmanager for
    them and for a dead third collector; reload both."""
    config = stack.log_dir / "config"
    (config / "routing.yaml").write_text(ROUTING % {"sites": ", ".join(sites)})
    state = stack.log_dir / "stack-side"
    second_metrics, second_ocpp = _second_collector(stack, stack.log_dir / "second-collector")
    proxy_metrics, proxy_ocpp = _proxy_collector(
        stack, stack.log_dir / "proxy-collector", f"ws://{second_ocpp}"
    )
    dead_collector = f"127.0.0.1:{free_port()}"
    ports = Ports(
        metrics=stack.metrics_port,
        prometheus=stack.prometheus_port,
        alertmanager=stack.alertmanager_port,
        receiver=free_port(),
    )
    token = webhook_token(state)
    setup = PrometheusSetup(
        exporters=(f"127.0.0.1:{ports.metrics}", second_metrics, proxy_metrics, dead_collector),
        alertmanagers=(f"127.0.0.1:{ports.alertmanager}",),
        receivers=(f"127.0.0.1:{ports.receiver}",),
        prometheus=f"127.0.0.1:{ports.prometheus}",
        interval_seconds=1,
    )
    webhook = WebhookTarget(f"http://127.0.0.1:{ports.receiver}", token)
    out = stack.log_dir / "out"
    render(
        load_sources(config, datetime.now(UTC)),
        out,
        [PrometheusSide(setup), AlertmanagerSide(webhook)],
    )
    child = receiver_process(config, state, ports, token, demo=True)
    receiver = ServerProcess("receiver", child.argv, stack.log_dir)
    stack.processes.append(receiver)
    wait_for_http(child.health_url, proc=receiver)
    # The rules stack's Alertmanager reads its own file, and its Prometheus has no lifecycle API.
    shutil.copyfile(out / "alertmanager" / "alertmanager.yml", stack.log_dir / "alertmanager.yml")
    reload_alertmanager(f"127.0.0.1:{ports.alertmanager}")
    prometheus = next(p for p in stack.processes if p.name == "prometheus")
    prometheus.popen.send_signal(signal.SIGHUP)
    _wait_for_scrapes(
        stack, {second_metrics, proxy_metrics, dead_collector, f"127.0.0.1:{ports.receiver}"}
    )
    return StackSide(
        second_metrics, dead_collector, f"ws://{second_ocpp}", proxy_metrics, f"ws://{proxy_ocpp}"
    )


def _wait_for_scrapes(stack: Stack, instances: set[str], timeout: float = 30.0) -> None:
    """Until Prometheus has scraped (or failed to scrape) each of ``instances`` once."""
    deadline = time.monotonic() + timeout
    while True:
        response = httpx.get(
            f"http://127.0.0.1:{stack.prometheus_port}/api/v1/targets",
            params={"state": "active"},
            timeout=5,
        )
        response.raise_for_status()
        scraped = {
            target["labels"]["instance"]
            for target in response.json()["data"]["activeTargets"]
            if target["health"] != "unknown"
        }
        if instances <= scraped:
            return
        assert time.monotonic() < deadline, f"Prometheus never scraped {instances - scraped}"
        time.sleep(0.2)


async def _misbehave(url: str) -> None:
    for path, offered in ((MISFIT, ()), ("NOT-IN-THE-FLEET", ("ocpp1.6",))):
        try:
            async with charger(f"{url}/{path}", *offered):
                raise AssertionError(f"the collector accepted {path} offering {offered}")
        except InvalidStatus:
            pass  # refused before the upgrade, and counted by reason
    async with charger(f"{url}/{MISFIT}", "ocpp1.6") as ws:
        await ws.send(MALFORMED)
        assert json.loads(await receive_text(ws))[0] == 4
        await ws.send(NONCOMPLIANT)
        assert json.loads(await receive_text(ws))[0] == 3


async def _through_the_proxy(url: str) -> None:
    async with charger(f"{url}/{PROXIED}", "ocpp1.6") as ws:
        await ws.send(boot_frame("1.6"))
        assert json.loads(await receive_text(ws))[0] == 3
        await ws.send(json.dumps([2, "stack-health-3", "Authorize", {"idTag": "TAG-1"}]))
        assert json.loads(await receive_text(ws))[0] == 3


def call_through_the_proxy(side: StackSide) -> None:
    """A BootNotification and an Authorize relayed by the proxy and answered by its CSMS (the
    second collector): the proxy's answer times per action."""
    asyncio.run(_through_the_proxy(side.proxy_ocpp_url))


def misbehave(side: StackSide) -> None:
    """Two refused connections, then a CALLERROR and a non-compliant frame from the second
    collector's charger (its connection, status and disconnection go to VictoriaMetrics)."""
    asyncio.run(_misbehave(side.second_ocpp_url))

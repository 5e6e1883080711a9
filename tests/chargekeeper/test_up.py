"""``chargekeeper up --demo`` as a new user runs it: a real subprocess with real Prometheus."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from chargekeeper.net import free_port
from tests.console.support import log_in
from tests.support.paths import REPO
from tests.support.procs import require_binary


def _wait(
    condition_name: str, check: Callable[[], bool], within: float, proc: subprocess.Popen[str]
) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        assert proc.poll() is None, (
            f"chargekeeper up exited early:\n{proc.stdout.read() if proc.stdout else ''}"
        )
        try:
            if check():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{condition_name} not reached within {within}s")


def test_demo_stack_runs_and_stops_cleanly(tmp_path: Path) -> None:
    require_binary("prometheus")
    require_binary("prometheus-alertmanager")
    ports = {
        name: free_port() for name in ("ocpp", "metrics", "prometheus", "alertmanager", "receiver")
    }
    chargekeeper = shutil.which("chargekeeper", path=str(Path(sys.executable).parent))
    assert chargekeeper is not None
    argv = [chargekeeper, "up", "--demo", "--state-dir", str(tmp_path / "state")]
    argv += [f"--{name}-port={port}" for name, port in ports.items()]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        metrics_url = f"http://127.0.0.1:{ports['metrics']}/metrics"

        def all_connected() -> bool:
            text = httpx.get(metrics_url, timeout=5).text
            connected = [
                line
                for line in text.splitlines()
                if line.startswith("ocpp_charge_point_connected{") and line.endswith(" 1")
            ]
            return len(connected) >= 45  # the demo's 48, less the few that flap on purpose

        _wait("demo chargers connected", all_connected, 60, proc)

        targets_url = f"http://127.0.0.1:{ports['prometheus']}/api/v1/targets"

        def exporter_scraped() -> bool:
            targets = httpx.get(targets_url, timeout=5).json()["data"]["activeTargets"]
            return any(t["scrapeUrl"] == metrics_url and t["health"] == "up" for t in targets)

        _wait("Prometheus scraping the collector", exporter_scraped, 30, proc)
        # The demo runs from its own copy of examples/demo, which the console's editors change.
        copied = tmp_path / "state" / "config"
        shipped = REPO / "examples" / "demo"
        assert sorted(p.name for p in copied.iterdir()) == sorted(p.name for p in shipped.iterdir())
        assert (copied / "policy.yaml").read_text() == (shipped / "policy.yaml").read_text()
        # Alertmanager runs the config generated from examples/demo/routing.yaml, posting to
        # the receiver with the bearer token `up` made.
        status = httpx.get(f"http://127.0.0.1:{ports['alertmanager']}/api/v2/status", timeout=5)
        am_config = status.json()["config"]["original"]
        assert f"http://127.0.0.1:{ports['receiver']}/api/v1/alertmanager/webhook" in am_config
        assert "tech:" in am_config
        token = (tmp_path / "state" / "secrets" / "webhook-token").read_text()
        receiver = f"http://127.0.0.1:{ports['receiver']}"
        assert httpx.get(f"{receiver}/healthz", timeout=5).status_code == 200
        denied = httpx.post(f"{receiver}/api/v1/alertmanager/webhook", json={}, timeout=5)
        assert denied.status_code == 401
        accepted = httpx.post(
            f"{receiver}/api/v1/alertmanager/webhook",
            json={"version": "4", "status": "firing", "receiver": "unrouted", "alerts": []},
            headers={"Authorization": f"Bearer {token}"},
            timeout=5,
        )
        assert accepted.status_code == 200, accepted.text
        # The console is served beside the API, with the demo admin `up` made for it.
        user, _, password = (
            (tmp_path / "state" / "receiver" / "console-admin").read_text().partition(":")
        )
        with httpx.Client(base_url=receiver, timeout=10) as console:
            log_in(console, (user, password))
            # `up` handed the console its Prometheus, Alertmanager and render directory, so
            # both editors can apply changes to this stack.
            rules = console.get("/rules").text
            assert 'action="/rules/section"' in rules and "Read-only" not in rules
            routing = console.get("/routing").text
            assert "Save and apply" in routing and "Read-only" not in routing
            # A message's console link leads to this console: `up` tells the receiver its URL.
            fault = {
                "status": "firing",
                "labels": {
                    "alertname": "ChargerFaulted",
                    "severity": "critical",
                    "family": "error",
                    "site": "lyon-part-dieu",
                    "charge_point_id": "LYON-0001",
                },
                "annotations": {},
                "startsAt": "2026-12-07T03:00:00Z",
                "fingerprint": "0f0f0f0f0f0f0f0f",
            }
            body = {"version": "4", "status": "firing", "receiver": "tech:noc:email"}
            posted = httpx.post(
                f"{receiver}/api/v1/alertmanager/webhook",
                json={**body, "alerts": [fault]},
                headers={"Authorization": f"Bearer {token}"},
                timeout=5,
            )
            assert posted.status_code == 200, posted.text
            mail_dir = tmp_path / "state" / "receiver" / "mail"
            _wait("the email to the desk", lambda: any(mail_dir.glob("*.eml")), 30, proc)
            (mail,) = mail_dir.glob("*.eml")
            links = set(re.findall(rf"{re.escape(receiver)}/alerts/\d+", mail.read_text()))
            assert links, mail.read_text()
            for link in links:
                page = console.get(link.removeprefix(receiver))
                assert page.status_code == 200 and "LYON-0001" in page.text, link
    finally:
        proc.send_signal(signal.SIGINT)
        output, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, output
    assert f"ws://127.0.0.1:{ports['ocpp']}/<charge_point_id>" in output
    assert "Press Ctrl-C to stop." in output
    assert f"console login          {user} / {password}" in output
    # Every child is gone: nothing answers on Prometheus's or Alertmanager's port any more.
    for name in ("prometheus", "alertmanager", "receiver"):
        try:
            httpx.get(f"http://127.0.0.1:{ports[name]}/", timeout=1)
        except httpx.ConnectError:
            continue
        raise AssertionError(f"{name} still answers after chargekeeper up stopped")

"""``chargekeeper up --demo`` as a new user runs it: a real subprocess with real Prometheus."""

from __future__ import annotations

import asyncio
import email
import email.policy
import html
import json
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil

from chargekeeper.net import free_port
from chargekeeper.up.proxy import ANSWER_TIMES_QUERY
from chargekeeper.up.terminal import read_summary
from tests.console.support import log_in
from tests.support.paths import REPO
from tests.support.procs import require_binary


@dataclass
class Up:
    """The `chargekeeper up` process and the file its terminal output goes to."""

    proc: subprocess.Popen[str]
    terminal: Path


def _wait(condition_name: str, check: Callable[[], bool], within: float, up: Up) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        assert up.proc.poll() is None, f"chargekeeper up exited early:\n{up.terminal.read_text()}"
        try:
            if check():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{condition_name} not reached within {within}s")


def _check_banner(terminal: str, state: Path) -> None:
    """Every address the banner prints answers; the history command it prints works."""
    banner = terminal.partition("Chargekeeper is running:")[2].partition("Press Ctrl-C")[0]
    assert banner, terminal
    urls = re.findall(r"http://127\.0\.0\.1:\d+/[^\s)]*", banner)
    assert any(url.endswith("/alerts") for url in urls), banner  # Prometheus's classic page
    for url in urls:
        if "/metrics" in url or url.endswith(("/alerts", "/", "/docs", "/tokens")):
            answer = httpx.get(url, timeout=5, follow_redirects=True)
            assert answer.is_success, (url, answer.status_code)
    assert "Alertmanager" not in banner  # Debian's Alertmanager has no web UI
    assert "noc (email, always)" in banner  # on call now: the desk reads mail at any hour
    assert "History (influxd)" in banner, banner
    command = banner.partition("History (influxd)")[2].splitlines()[1].strip()
    argv = shlex.split(command)
    argv[0] = str(Path(sys.executable).with_name("chargekeeper"))
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (state / "reports").is_dir()


def _boots_logged(csms_log: Path) -> set[str]:
    """The charge point ids whose BootNotification the stand-in CSMS logged receiving."""
    text = csms_log.read_text() if csms_log.exists() else ""
    return set(re.findall(r'simulator\.csms: (\S+) -> \[2,"[^"]*","BootNotification"', text))


def _prometheus_value(prometheus: str, query: str) -> float:
    answer = httpx.get(f"{prometheus}/api/v1/query", params={"query": query}, timeout=5).json()
    result = answer["data"]["result"]
    return float(result[0]["value"][1]) if result else 0.0


def _check_proxy_mode(state: Path, ports: dict[str, int], up: Up) -> None:
    """The demo runs proxy mode: the fleet's frames reach the stand-in CSMS through the
    collector, which still sees (and Prometheus still counts) the whole fleet."""
    csms_log = state / "logs" / "csms.log"
    _wait(
        "the stand-in CSMS logging the fleet's BootNotifications",
        lambda: len({i for i in _boots_logged(csms_log) if re.fullmatch(r"\w+-\d{4}", i)}) >= 45,
        60,
        up,
    )
    assert "LYON-0001" in _boots_logged(csms_log)
    assert f"stand-in CSMS listening on ws://127.0.0.1:{ports['csms']}/" in csms_log.read_text()
    prometheus = f"http://127.0.0.1:{ports['prometheus']}"
    _wait(
        "Prometheus counting the connected fleet and its upstream legs",
        lambda: (
            _prometheus_value(prometheus, "count(ocpp_charge_point_connected == 1)") >= 45
            and _prometheus_value(prometheus, "sum(ocpp_charge_point_upstream_connected)") >= 45
        ),
        60,
        up,
    )
    banner = up.terminal.read_text()
    assert (
        "proxy mode             chargers → Chargekeeper → stand-in CSMS at "
        f"ws://127.0.0.1:{ports['csms']}, its log: {csms_log}"
    ) in banner, banner


def _check_answer_times(prometheus: str, up: Up) -> None:
    """The stand-in's answer delay shows: the banner links to the CSMS's answer times, and
    their p95 is the stand-in's delay (up to 250 ms), not a loopback round trip."""
    link = re.search(r"CSMS answer times +(http://\S+)", up.terminal.read_text())
    assert link is not None, up.terminal.read_text()
    assert httpx.get(link[1], timeout=5).is_success
    _wait(
        "the CSMS's answer times (p95 above 50 ms) in Prometheus",
        lambda: _prometheus_value(prometheus, f"max({ANSWER_TIMES_QUERY})") > 0.05,
        120,
        up,
    )


def message_urls(mail_dir: Path, sms_log: Path) -> set[str]:
    """Every http(s) URL in the emails (text and HTML parts) and SMS the demo sent."""
    texts = [json.loads(line)["body"] for line in sms_log.read_text().splitlines()]
    for path in mail_dir.glob("*.eml"):
        mail = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for part in mail.walk():
            if part.get_content_type() in ("text/plain", "text/html"):
                texts.append(html.unescape(part.get_content()))
    return {url.rstrip(".,") for text in texts for url in re.findall(r"https?://[^\s\"'<>]+", text)}


def log_in_at(client: httpx.Client, base: str, who: tuple[str, str]) -> None:
    client.base_url = httpx.URL(base)
    log_in(client, who)


def test_demo_stack_runs_and_stops_cleanly(tmp_path: Path) -> None:
    require_binary("prometheus")
    require_binary("prometheus-alertmanager")
    ports = {
        name: free_port()
        for name in ("ocpp", "metrics", "prometheus", "alertmanager", "receiver", "csms")
    }
    chargekeeper = shutil.which("chargekeeper", path=str(Path(sys.executable).parent))
    assert chargekeeper is not None
    argv = [chargekeeper, "up", "--demo", "--state-dir", str(tmp_path / "state")]
    argv += [f"--{name}-port={port}" for name, port in ports.items()]
    # The terminal goes to a file, read while the stack runs: the banner's links must answer.
    terminal = tmp_path / "terminal.txt"
    started = time.monotonic()
    with terminal.open("w") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, text=True)
    up = Up(proc, terminal)
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

        _wait("demo chargers connected", all_connected, 60, up)

        targets_url = f"http://127.0.0.1:{ports['prometheus']}/api/v1/targets"

        def exporter_scraped() -> bool:
            targets = httpx.get(targets_url, timeout=5).json()["data"]["activeTargets"]
            return any(t["scrapeUrl"] == metrics_url and t["health"] == "up" for t in targets)

        _wait("Prometheus scraping the collector", exporter_scraped, 30, up)
        _check_proxy_mode(tmp_path / "state", ports, up)
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
            _wait("the email to the desk", lambda: any(mail_dir.glob("*.eml")), 30, up)
            (mail,) = mail_dir.glob("*.eml")
            links = set(re.findall(rf"{re.escape(receiver)}/alerts/\d+", mail.read_text()))
            assert links, mail.read_text()
            for link in links:
                page = console.get(link.removeprefix(receiver))
                assert page.status_code == 200 and "LYON-0001" in page.text, link
        # The demo speaks on its own: its opening critical fault reaches the technician on
        # call by SMS within 3 minutes of `up`, at any hour (the demo routing covers each one).
        sms_log = tmp_path / "state" / "receiver" / "sms" / "messages.jsonl"
        _wait(
            "the demo's first SMS",
            lambda: sms_log.exists() and "LYON-0001" in sms_log.read_text(),
            180 - (time.monotonic() - started),
            up,
        )
        # Every link in every message sent so far answers, after the console's login.
        _wait(
            "an email about one of the demo's own alerts (with its runbook link)",
            lambda: any("/runbook#" in url for url in message_urls(mail_dir, sms_log)),
            60,
            up,
        )
        urls = message_urls(mail_dir, sms_log)
        with httpx.Client(timeout=10) as console:
            log_in_at(console, receiver, (user, password))
            for url in sorted(urls):
                assert url.startswith(f"{receiver}/"), url
                page = console.get(url, follow_redirects=True)
                assert page.status_code == 200, (url, page.status_code)
        _check_banner(terminal.read_text(), tmp_path / "state")
        _check_answer_times(f"http://127.0.0.1:{ports['prometheus']}", up)
        summary = asyncio.run(
            read_summary(f"http://127.0.0.1:{ports['prometheus']}", tmp_path / "state" / "receiver")
        )
        assert summary.chargers == 48 and summary.connected is not None
        assert summary.connected >= 45 and summary.sms is not None and summary.sms >= 1
        assert summary.critical is not None and summary.critical >= 1
        # A receiver that dies is restarted, and the terminal says so (issue 15, finding 5).
        (child,) = [
            c for c in psutil.Process(proc.pid).children() if "receiver" in c.cmdline()[1:3]
        ]
        child.kill()
        _wait(
            "the receiver restarted", lambda: "receiver restarted" in terminal.read_text(), 60, up
        )
        assert "receiver exited with status -9; restarting it" in terminal.read_text()
        assert httpx.get(f"{receiver}/healthz", timeout=5).status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
    output = terminal.read_text()
    assert proc.returncode == 0, output
    # The terminal stays readable: no line per charger connecting (they are in the log file).
    assert "LYON-0002" not in output
    assert "LYON-0002" in (tmp_path / "state" / "logs" / "chargekeeper.log").read_text()
    assert f"ws://127.0.0.1:{ports['ocpp']}/<charge_point_id>" in output
    assert "Press Ctrl-C to stop." in output
    assert f"console login          {user} / {password}" in output
    # Every child is gone: nothing answers on Prometheus's or Alertmanager's port any more.
    for name in ("prometheus", "alertmanager", "receiver", "csms"):
        try:
            httpx.get(f"http://127.0.0.1:{ports[name]}/", timeout=1)
        except httpx.ConnectError:
            continue
        raise AssertionError(f"{name} still answers after chargekeeper up stopped")

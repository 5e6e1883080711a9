"""``chargekeeper up --demo`` as a subprocess on free ports, over a copy of ``examples/demo``
whose routing is made to tell nobody right now (tests/e2e/test_demo_console.py).

The demo's routing covers every hour (an always-on desk), so proving that the console lists
alerts nobody was told about needs a routing whose every coverage is outside its window.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import yaml

from chargekeeper.config.fleet import load_fleet
from chargekeeper.config.routing import WEEKDAYS, load_routing
from chargekeeper.net import free_port
from chargekeeper.routing import RoutingView
from tests.support.paths import REPO

DEMO = REPO / "examples" / "demo"
OFF_DAY_SCHEDULE = "not-this-week-part"
# The family of the stack's own alerts (rules/meta.yml); no charger alert has it.
STACK_FAMILY = "fleet"
PARTS = ("ocpp", "metrics", "prometheus", "alertmanager", "receiver")


def off_day(today: set[int]) -> int:
    """A weekday at least two days from each of ``today`` (weekday numbers, Monday 0): still
    not "today" anywhere if the test runs across a midnight."""
    return next(d for d in range(7) if all(min((d - t) % 7, (t - d) % 7) >= 2 for t in today))


def route_to_nobody_now(config_dir: Path, now: datetime) -> str:
    """Give every coverage of ``config_dir``'s routing.yaml one schedule, active all day on a
    weekday that is not today in any site's zone; check with the routing loader and the route
    plan that no route a charger alert can take is active. Returns that weekday's name."""
    fleet = load_fleet(config_dir / "fleet.yaml")
    path = config_dir / "routing.yaml"
    document: dict[str, Any] = yaml.safe_load(path.read_text())
    zones = {site.timezone for site in fleet.sites} | {document.get("timezone", "UTC")}
    day = WEEKDAYS[off_day({now.astimezone(ZoneInfo(zone)).weekday() for zone in zones})]
    # No `times`: the whole day. `holidays: ignore`: a holiday never switches it on.
    document["schedules"] = [{"id": OFF_DAY_SCHEDULE, "weekdays": [day], "holidays": "ignore"}]
    for coverage in document["coverage"]:
        coverage["schedules"] = [OFF_DAY_SCHEDULE]
    path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True))
    view = RoutingView.of(load_routing(path, fleet), fleet)
    # The operations route (the stack's own health, family `fleet`) is on at all hours by
    # design; no charger alert is of that family.
    chargers = [route for route in view.plan if route.families != (STACK_FAMILY,)]
    for at in (now, now + timedelta(hours=1)):
        active = [route.coverage_id for route in chargers if view.active(route, at)]
        assert not active, f"coverages {active} are active at {at}"
    return day


@dataclass
class DemoUp:
    """A running ``chargekeeper up --demo``: its ports, state directory and terminal file."""

    proc: subprocess.Popen[str]
    ports: dict[str, int]
    state: Path
    terminal: Path

    def url(self, part: str) -> str:
        return f"http://127.0.0.1:{self.ports[part]}"

    @property
    def admin(self) -> tuple[str, str]:
        """The demo admin's login, which ``up`` writes to the state directory."""
        user, _, password = (self.state / "receiver" / "console-admin").read_text().partition(":")
        return user, password.strip()

    def wait(self, what: str, check: Callable[[], bool], within: float) -> None:
        """Poll ``check`` until it holds; fail with ``what`` and the terminal's tail."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"chargekeeper up exited:\n{self.terminal.read_text()}")
            try:
                if check():
                    return
            except httpx.HTTPError:
                pass  # a part still starting
            time.sleep(1)
        tail = "\n".join(self.terminal.read_text().splitlines()[-30:])
        raise AssertionError(f"{what}: not within {within:.0f} s\n{tail}")


@contextmanager
def demo_up(tmp_path: Path, config_dir: Path) -> Iterator[DemoUp]:
    """Start ``chargekeeper up --demo --config config_dir``; stop it with Ctrl-C on exit."""
    chargekeeper = shutil.which("chargekeeper", path=str(Path(sys.executable).parent))
    assert chargekeeper is not None, "the chargekeeper command is not installed in this venv"
    ports = {part: free_port() for part in PARTS}
    state = tmp_path / "state"
    argv = [chargekeeper, "up", "--demo", "--config", str(config_dir), "--state-dir", str(state)]
    argv += [f"--{part}-port={port}" for part, port in ports.items()]
    terminal = tmp_path / "terminal.txt"
    with terminal.open("w") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, text=True)
    up = DemoUp(proc, ports, state, terminal)
    try:
        up.wait(
            "the console answering",
            lambda: httpx.get(f"{up.url('receiver')}/healthz", timeout=5).is_success,
            90,
        )
        yield up
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

"""Shared pieces of the receiver tests: a config directory, payloads, a receiver in a thread."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from chargekeeper.receiver import Receiver, build_receiver
from chargekeeper.routing import receiver_name
from tests.support.paths import ALERTMANAGER_PAYLOADS
from tests.support.procs import free_port

TOKEN = "s3cret-receiver-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}

FLEET_YAML = """
clients:
  - {id: retailco, name: RetailCo}
sites:
  - {id: lyon, name: Lyon <Part-Dieu>, client: retailco, timezone: Europe/Paris}
  - {id: leeds, name: Leeds depot, client: retailco, timezone: Europe/London}
chargers:
  - {id: CP-ALFEN-01, site: lyon, vendor: Alfen BV}
  - {id: CP-2, site: lyon}
  - {id: CP-3, site: leeds}
"""

ROUTING_YAML = """
timezone: Europe/Paris
technicians:
  - {id: alice, name: Alice Martin, email: alice@example.test, phone: "+33612345001",
     language: fr, timezone: Europe/Paris}
  - {id: dan, name: Dan Peeters, email: dan@example.test, phone: "+32470123004",
     language: en, timezone: Europe/London}
  - {id: lena, name: Lena Landline, email: lena@example.test, phone: "+33140000000",
     language: en, timezone: UTC}
teams:
  - {id: lyonteam, name: Lyon team, members: [alice, dan]}
coverage:
  - id: lyon
    sites: [lyon]
    teams: [lyonteam]
    subscriptions: [{channels: both}]
  - id: landline
    sites: [leeds]
    technicians: [lena]
    subscriptions: [{channels: sms}]
"""


def write_config(
    folder: Path, smtp_port: int, *, local_providers: bool = True, extra: str = ""
) -> Path:
    """A config directory with fleet, routing and a receiver.yaml using local providers."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "fleet.yaml").write_text(FLEET_YAML)
    (folder / "routing.yaml").write_text(ROUTING_YAML)
    (folder / "receiver-token").write_text(TOKEN + "\n")
    (folder / "receiver.yaml").write_text(
        f"token_file: receiver-token\n"
        f"local_providers: {str(local_providers).lower()}\n"
        f"smtp: {{host: 127.0.0.1, port: {smtp_port}, timeout: 2}}\n"
        "twilio: {rate_per_second: 50}\n"
        "retry: {base_delay: 0.2, max_delay: 1, max_attempts: 20, failover_after: 20}\n"
        "links: {console: 'https://console.example', dashboard: 'https://grafana.example/d/cp'}\n"
        + extra
    )
    return folder


def fixture_payload(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((ALERTMANAGER_PAYLOADS / name).read_text())
    return data


def alert(
    charge_point_id: str,
    *,
    site: str = "lyon",
    alertname: str = "ChargerFaulted",
    status: str = "firing",
    starts_at: str = "2026-11-24T13:23:06Z",
    severity: str = "critical",
    family: str = "error",
    fingerprint: str | None = None,
    **labels: str,
) -> dict[str, Any]:
    """One alert of a webhook body, shaped like Alertmanager's."""
    return {
        "status": status,
        "labels": {
            "alertname": alertname,
            "charge_point_id": charge_point_id,
            "site": site,
            "severity": severity,
            "family": family,
            **labels,
        },
        "annotations": {"summary": f"{charge_point_id} {alertname}", "runbook_url": "https://rb"},
        "startsAt": starts_at,
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus/graph",
        "fingerprint": fingerprint or f"fp{abs(hash((charge_point_id, alertname))) % 10**12:012d}",
    }


# Receiver names come from the routing module, which owns their format.
LYON_TEAM = receiver_name("team", "lyonteam", ("email", "sms"))
LENA_SMS = receiver_name("tech", "lena", ("sms",))


def webhook(
    alerts: list[dict[str, Any]], receiver: str = LYON_TEAM, **extra: Any
) -> dict[str, Any]:
    statuses = {a["status"] for a in alerts}
    return {
        "version": "4",
        "receiver": receiver,
        "status": "firing" if "firing" in statuses else "resolved",
        "alerts": alerts,
        "groupLabels": {"site": alerts[0]["labels"]["site"]},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager",
        "groupKey": "{}:{site=%r}" % alerts[0]["labels"]["site"],  # noqa: UP031
        "truncatedAlerts": 0,
        **extra,
    }


class ThreadedReceiver:
    """The receiver app served by uvicorn in a thread of the test process."""

    def __init__(self, built: Receiver) -> None:
        self.built = built
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        console = built.console.context
        # Tests speak plain http to 127.0.0.1 while receiver.yaml names the console
        # https://console.example: Secure cookies (automatic for an https URL) would never
        # come back.
        if console.config.secure_cookies is None:
            console.config = console.config.model_copy(update={"secure_cookies": False})
        config = uvicorn.Config(
            built.app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="on",
            forwarded_allow_ips=console.config.forwarded_allow_ips(),
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def sms_auth_token(self) -> str:
        """The key Twilio callbacks must be signed with (per state dir with local providers)."""
        return self.built.component.sms_auth_token

    def post(self, body: dict[str, Any], token: str = TOKEN) -> httpx.Response:
        return httpx.post(
            f"{self.url}/api/v1/alertmanager/webhook",
            json=body,
            headers={"Authorization": f"Bearer {token}"},
            timeout=5,
        )

    def get(self, path: str, **params: Any) -> Any:
        """GET a read API with the webhook's token (which the read APIs accept)."""
        response = httpx.get(f"{self.url}{path}", params=params, headers=AUTH, timeout=5)
        response.raise_for_status()
        return response.json()


@contextmanager
def running_receiver(config_dir: Path, state_dir: Path) -> Iterator[ThreadedReceiver]:
    """The receiver built from ``config_dir``, served (see :func:`serving`)."""
    with serving(build_receiver(config_dir, state_dir)) as receiver:
        yield receiver


@contextmanager
def serving(built: Receiver) -> Iterator[ThreadedReceiver]:
    """The app served by uvicorn on a free port, lifespan included (outbox, silence sweeper);
    stopped and closed afterwards."""
    receiver = ThreadedReceiver(built)
    receiver.thread.start()
    try:
        wait_until(lambda: receiver.server.started, 10, "uvicorn did not start")
        yield receiver
    finally:
        receiver.server.should_exit = True
        receiver.thread.join(10)
        built.close()


def wait_until(check: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"{what} within {timeout}s")

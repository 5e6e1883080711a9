"""Shared pieces of the console tests: a receiver+console built from a config directory,
users of each role, and a logged-in HTTP client."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from chargekeeper.receiver import Receiver, build_receiver
from console.auth import Role, create_user
from tests.alertmanager.receiver_support import (
    AUTH,
    TOKEN,
    serving,
    write_config,
)
from tests.support.procs import ServerProcess, free_port, require_binary, wait_for_http

ADMIN = ("admin", "admin-password-1")
TECH = ("alice", "alice-password-1")
VIEWER = ("victor", "victor-password-1")
CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')


def console_config(tmp_path: Path, console_yaml: str = "") -> tuple[Path, Path]:
    """A config directory (fleet, routing, receiver.yaml, console.yaml) and a state directory
    holding the first-admin file."""
    config_dir = write_config(tmp_path / "config", smtp_port=1)
    (config_dir / "console.yaml").write_text(console_yaml or "refresh_seconds: 1\n")
    state_dir = tmp_path / "state"
    state_dir.mkdir()
    (state_dir / "console-admin").write_text(f"{ADMIN[0]}:{ADMIN[1]}\n")
    return config_dir, state_dir


def build(tmp_path: Path, console_yaml: str = "") -> Receiver:
    """The receiver app with the console, plus a technician and a viewer."""
    config_dir, state_dir = console_config(tmp_path, console_yaml)
    built = build_receiver(config_dir, state_dir)
    sessions = built.service.pipeline.sessions
    create_user(sessions, *TECH, Role.TECHNICIAN)
    create_user(sessions, *VIEWER, Role.VIEWER)
    return built


@contextmanager
def client_for(built: Receiver) -> Iterator[httpx.Client]:
    """An HTTP client of the served app that keeps cookies and does not follow redirects."""
    with serving(built) as receiver, httpx.Client(base_url=receiver.url, timeout=10) as client:
        yield client


def csrf_of(html: str) -> str:
    match = CSRF_FIELD.search(html)
    assert match, "page has no CSRF field"
    return match.group(1)


def log_in(client: httpx.Client, who: tuple[str, str]) -> str:
    """Log ``who`` in through the login form; the CSRF token of their session."""
    page = client.get("/login")
    response = client.post(
        "/login",
        data={
            "username": who[0],
            "password": who[1],
            "csrf": csrf_of(page.text),
            "next": "/alerts",
        },
    )
    assert response.status_code == 303, response.text
    return csrf_of(client.get("/alerts").text)


def post_webhook(client: httpx.Client, body: dict[str, Any]) -> None:
    response = client.post(
        "/api/v1/alertmanager/webhook", json=body, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert response.status_code == 200, response.text


def alert_ids(client: httpx.Client, **params: str) -> list[int]:
    """Ids of stored alerts via the receiver's JSON list (newest first; it takes the webhook's
    token)."""
    response = client.get("/api/v1/alerts", params=params, headers=AUTH)
    assert response.status_code == 200, response.text
    return [row["id"] for row in response.json()]


@contextmanager
def running_alertmanager(
    tmp_path: Path, config: Path | None = None, port: int | None = None
) -> Iterator[str]:
    """A real Alertmanager reading ``config`` (default: one routing to nobody) on ``port`` (default:
    a free one), its data and log in ``tmp_path``; yields its URL."""
    binary = require_binary("prometheus-alertmanager")
    port = port or free_port()
    if config is None:
        config = tmp_path / "alertmanager.yml"
        config.write_text('{"route": {"receiver": "null"}, "receivers": [{"name": "null"}]}')
    proc = ServerProcess(
        "alertmanager",
        [
            binary,
            f"--config.file={config}",
            f"--storage.path={tmp_path / 'am-data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
        ],
        tmp_path,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{url}/-/ready", proc=proc)
        yield url
    finally:
        proc.stop()


def silences(alertmanager_url: str) -> list[dict[str, Any]]:
    """Every silence Alertmanager knows, active or expired."""
    response = httpx.get(f"{alertmanager_url}/api/v2/silences", timeout=5)
    response.raise_for_status()
    found: list[dict[str, Any]] = response.json()
    return found

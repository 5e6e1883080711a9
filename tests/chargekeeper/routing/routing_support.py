"""What the routing tests share: the demo config, label sets of the demo fleet, small helpers."""

from __future__ import annotations

import shutil
import textwrap
from datetime import UTC, datetime
from pathlib import Path

from chargekeeper.routing import Recipient

DEMO = Path(__file__).resolve().parents[3] / "examples" / "demo"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)

LYON_DOWN = {
    "alertname": "SiteOffline",
    "site": "lyon-part-dieu",
    "client": "retailco",
    "family": "disconnection",
    "severity": "critical",
}
LYON_FAULT_WARNING = {**LYON_DOWN, "alertname": "ChargerFaulted", "family": "error"}
LYON_FAULT_WARNING["severity"] = "warning"
GENEVA_FAULT_WARNING = {**LYON_FAULT_WARNING, "site": "geneva-depot", "client": "transitco"}


def write(tmp_path: Path, text: str, name: str = "routing.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip())
    return path


def told(recipients: list[Recipient]) -> dict[str, tuple[str, ...]]:
    return {r.technician_id: r.channels for r in recipients}


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def config_dir(tmp_path: Path, routing: str | None = None) -> Path:
    """The demo config directory (fleet, policy) with ``routing`` as its routing.yaml."""
    config = tmp_path / "config"
    config.mkdir(exist_ok=True)
    for name in ("fleet.yaml", "policy.yaml"):
        shutil.copy(DEMO / name, config / name)
    (config / "routing.yaml").write_text(
        routing if routing is not None else (DEMO / "routing.yaml").read_text()
    )
    return config

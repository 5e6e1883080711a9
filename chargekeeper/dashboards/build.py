"""All dashboards, and their files under grafana/dashboards/."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from chargekeeper.dashboards import availability, charger, fleet, site, stack
from chargekeeper.dashboards.grafana import JSON

DASHBOARDS_DIR = Path(__file__).resolve().parents[2] / "grafana" / "dashboards"

# File name → builder. The file names and uids are stable: links and bookmarks use them.
BUILDERS: dict[str, Callable[[], JSON]] = {
    "fleet-overview.json": fleet.build,
    "site.json": site.build,
    "charger-detail.json": charger.build,
    "availability.json": availability.build,
    "stack-health.json": stack.build,
}


def render_all() -> dict[str, str]:
    """File name → JSON text, formatted the way the committed files are."""
    return {
        name: json.dumps(build(), indent=2, ensure_ascii=False) + "\n"
        for name, build in BUILDERS.items()
    }


def write_all(directory: Path = DASHBOARDS_DIR) -> list[Path]:
    """Rewrite the dashboard files; remove generated files of dashboards that no longer exist."""
    directory.mkdir(parents=True, exist_ok=True)
    rendered = render_all()
    for stale in directory.glob("*.json"):
        if stale.name not in rendered:
            stale.unlink()
    written = []
    for name, text in rendered.items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written

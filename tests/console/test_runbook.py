"""The runbook page: every alert's runbook link lands on its own section, without a login."""

from __future__ import annotations

import re

import httpx
import yaml

from chargekeeper.render.prometheus import DEFAULT_RULES_DIR, SOURCE_RUNBOOK_BASE


def _runbook_fragments() -> set[str]:
    fragments = set()
    for path in DEFAULT_RULES_DIR.glob("*.yml"):
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                url = rule.get("annotations", {}).get("runbook_url")
                if url:
                    assert url.startswith(f"{SOURCE_RUNBOOK_BASE}#"), url
                    fragments.add(url.split("#", 1)[1])
    return fragments


def test_every_runbook_link_has_its_section(client: httpx.Client) -> None:
    page = client.get("/runbook")
    assert page.status_code == 200
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    ids = set(re.findall(r'<h2 id="([^"]+)"', page.text))
    fragments = _runbook_fragments()
    assert {"chargerfaulted", "chargerdisconnected", "watchdog"} <= fragments
    assert fragments <= ids, f"runbook sections missing: {sorted(fragments - ids)}"
    assert "<table>" in page.text or "<p>" in page.text

"""The alert-storm fleet and routing policy, and the notifications it must produce.

50 sites of 40 chargers (5 clients of 10 sites), split into 10 regions of 5 sites. Every
site is covered at all times by:

- its region's field team of two, by email (one French, one English speaker);
- its region's on-call technician, by SMS, for critical disconnections and faults;
- for the first client's sites, the client's account manager by email and SMS. The manager is
  also a member of the first region's team, so on those sites two Alertmanager receivers
  reach the same person by email: the receiver must still send one mail.

The receiver is configured (``receiver.yaml``) as such an operator would: SMS go out through a
Twilio Messaging Service, not a single long code, at the throughput Twilio documents for it
(``SMS_SEGMENTS_PER_SECOND``, see there).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from chargekeeper.config.fleet import load_fleet
from chargekeeper.config.routing import load_routing
from chargekeeper.routing import RoutingView

CLIENTS = ("retailco", "highwayco", "transitco", "fleetco", "parkco")
SITES_PER_REGION = 5
VENDORS = (("Alfen BV", "Eve Single Pro-line"), ("ABB", "Terra AC"), ("Kempower", "S-Series"))
# A charger id names its site, so a message's site is read back from the chargers it lists.
CHARGER_SITE = re.compile(r"\b(S\d{2})-CP\d{4}\b")

# (site id, technician id, channel): one notification each.
Notification = tuple[str, str, str]

# A placeholder Messaging Service sid: the local SMS endpoint accepts any, as Twilio accepts
# the operator's own.
MESSAGING_SERVICE_SID = "MG" + "5" * 32
# The technicians are French mobiles (+33 6...). Twilio releases SMS to countries other than
# the US and Canada at 10 segments per second per sender (US/Canada long codes: 1, the
# receiver's default; US short codes: 100); a Messaging Service gets the sum of its sender pool.
# 10 is a pool of one such sender, the least such an operator would have.
SMS_SEGMENTS_PER_SECOND = 10.0


@dataclass(frozen=True)
class StormConfig:
    """A written config directory and what its alerts must produce."""

    config_dir: Path
    alerts: list[dict[str, Any]]
    expected: frozenset[Notification]
    site_of_prefix: dict[str, str]
    technician_by_address: dict[str, str]

    def firing_at(self, when: datetime) -> list[dict[str, Any]]:
        """The alerts as Prometheus posts them in the evaluation that finds them firing: with
        ``startsAt`` that evaluation's time. (Alertmanager flushes a new group at once, without
        group_wait, when its first alert started more than group_wait ago: stale starts would
        split each site's group over two webhooks.)"""
        starts_at = when.astimezone(UTC).isoformat().replace("+00:00", "Z")
        return [{**alert, "startsAt": starts_at} for alert in self.alerts]


def site_id(index: int) -> str:
    return f"site-{index:02d}"


def charger_id(site_index: int, number: int) -> str:
    return f"S{site_index:02d}-CP{number:04d}"


def _fleet(sites: int, chargers: int) -> dict[str, Any]:
    per_site = chargers // sites
    return {
        "clients": [{"id": c, "name": c.capitalize()} for c in CLIENTS],
        "sites": [
            {
                "id": site_id(i),
                "name": f"Storm site {i:02d}",
                "client": CLIENTS[i * len(CLIENTS) // sites],
                "timezone": "Europe/Paris",
            }
            for i in range(sites)
        ],
        "chargers": [
            {
                "id": charger_id(i, n),
                "site": site_id(i),
                "vendor": VENDORS[n % len(VENDORS)][0],
                "model": VENDORS[n % len(VENDORS)][1],
            }
            for i in range(sites)
            for n in range(per_site)
        ],
    }


def _technician(ident: str, number: int, language: str) -> dict[str, Any]:
    return {
        "id": ident,
        "name": ident.replace("-", " ").title(),
        "email": f"{ident}@storm.example",
        "phone": f"+336{number:08d}",
        "language": language,
        "timezone": "Europe/Paris",
    }


def _routing(sites: int) -> dict[str, Any]:
    regions = (sites + SITES_PER_REGION - 1) // SITES_PER_REGION
    manager = f"manager-{CLIENTS[0]}"
    technicians = [_technician(manager, 1, "en")]
    teams, coverage = [], []
    for r in range(regions):
        members = [f"field-{r:02d}-a", f"field-{r:02d}-b"]
        technicians += [
            _technician(members[0], 100 + 3 * r, "fr"),
            _technician(members[1], 101 + 3 * r, "en"),
            _technician(f"oncall-{r:02d}", 102 + 3 * r, "en"),
        ]
        region_sites = [
            site_id(i) for i in range(r * SITES_PER_REGION, min(sites, (r + 1) * SITES_PER_REGION))
        ]
        teams.append({"id": f"region-{r:02d}", "members": members + ([manager] if r == 0 else [])})
        coverage += [
            {
                "id": f"region-{r:02d}-mail",
                "sites": region_sites,
                "teams": [f"region-{r:02d}"],
                "subscriptions": [{"channels": "email"}],
            },
            {
                "id": f"region-{r:02d}-oncall",
                "sites": region_sites,
                "technicians": [f"oncall-{r:02d}"],
                "subscriptions": [
                    {
                        "families": ["disconnection", "error"],
                        "severities": ["critical"],
                        "channels": "sms",
                    }
                ],
            },
        ]
    coverage.append(
        {
            "id": f"{CLIENTS[0]}-account",
            "clients": [CLIENTS[0]],
            "technicians": [manager],
            "subscriptions": [{"channels": "both"}],
        }
    )
    # No `timing:` key: Alertmanager's group_wait/group_interval are the shipped defaults.
    return {"timezone": "Europe/Paris", "technicians": technicians, "teams": teams,
            "coverage": coverage}  # fmt: skip


def disconnected_alert(charger: dict[str, Any], client: str, starts_at: str) -> dict[str, Any]:
    """A critical ``ChargerDisconnected`` with the labels rules/detection.yml gives it."""
    cp, site = charger["id"], charger["site"]
    return {
        "labels": {
            "alertname": "ChargerDisconnected",
            "severity": "critical",
            "family": "disconnection",
            "charge_point_id": cp,
            "site": site,
            "client": client,
            "group": "default",
            "vendor": charger["vendor"],
            "model": charger["model"],
        },
        "annotations": {
            "summary": "A charger has had no OCPP connection for longer than its threshold.",
            "description": f"Charger {cp} at site {site} has been disconnected for 15m 0s.",
            "runbook_url": "https://chargekeeper.example/rules/runbook.md#chargerdisconnected",
        },
        "startsAt": starts_at,
        "generatorURL": "http://prometheus.invalid/graph",
    }


def _receiver() -> dict[str, Any]:
    """receiver.yaml: every other key keeps the shipped default (retries, SMTP, timing)."""
    return {
        "twilio": {
            "from_number": None,
            "messaging_service_sid": MESSAGING_SERVICE_SID,
            "rate_per_second": SMS_SEGMENTS_PER_SECOND,
        }
    }


def write_storm_config(folder: Path, sites: int, chargers: int) -> StormConfig:
    """Write fleet.yaml, routing.yaml and receiver.yaml under ``folder``; compute alerts and
    expectations."""
    folder.mkdir(parents=True, exist_ok=True)
    fleet_doc, routing_doc = _fleet(sites, chargers), _routing(sites)
    (folder / "fleet.yaml").write_text(yaml.safe_dump(fleet_doc, sort_keys=False))
    (folder / "routing.yaml").write_text(yaml.safe_dump(routing_doc, sort_keys=False))
    (folder / "receiver.yaml").write_text(yaml.safe_dump(_receiver(), sort_keys=False))
    fleet = load_fleet(folder / "fleet.yaml")
    view = RoutingView.of(load_routing(folder / "routing.yaml", fleet), fleet)

    now = datetime.now(UTC)
    client_of = {site.id: site.client for site in fleet.sites}
    starts_at = now.isoformat().replace("+00:00", "Z")
    alerts = [disconnected_alert(c, client_of[c["site"]], starts_at) for c in fleet_doc["chargers"]]
    expected: set[Notification] = set()
    for site in fleet.sites:
        labels = {"alertname": "ChargerDisconnected", "severity": "critical",
                  "family": "disconnection", "site": site.id}  # fmt: skip
        for recipient in view.who_is_told(labels, now):
            expected |= {(site.id, recipient.technician_id, ch) for ch in recipient.channels}
    addresses: dict[str, str] = {}
    for tech in view.routing.technicians:
        addresses |= {a: tech.id for a in (tech.email, tech.phone) if a is not None}
    return StormConfig(
        config_dir=folder,
        alerts=alerts,
        expected=frozenset(expected),
        site_of_prefix={f"S{i:02d}": site_id(i) for i in range(sites)},
        technician_by_address=addresses,
    )

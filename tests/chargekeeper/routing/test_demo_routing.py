"""The demo speaks at any hour: examples/demo/routing.yaml, asked for every hour of a week.

A newcomer may start ``./dev demo`` at 3 a.m. on a Sunday. Every critical charger alert at
every demo site must then reach someone by email and someone by SMS, and every warning someone
by email. The Alertmanager side of the same policy is checked against amtool in
``test_alertmanager_config_amtool.py``; ``who_is_told`` mirrors it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chargekeeper.config.fleet import Fleet
from chargekeeper.config.routing import FAMILIES, RoutingPolicy
from chargekeeper.routing import RoutingView

# A week that holds a public holiday of the demo (Christmas, a Friday) and a weekend.
WEEK_START = datetime(2026, 12, 21, 0, 30, tzinfo=UTC)
CHARGER_FAMILIES = [family for family in FAMILIES if family != "fleet"]


def gaps(fleet: Fleet, demo: RoutingPolicy, severity: str, wanted: set[str]) -> list[str]:
    view = RoutingView.of(demo, fleet)
    found = []
    for hour in range(7 * 24):
        at = WEEK_START + timedelta(hours=hour)
        for site in fleet.sites:
            for family in CHARGER_FAMILIES:
                labels = {"site": site.id, "client": site.client, "family": family}
                labels |= {"severity": severity, "alertname": "ChargerFaulted"}
                channels = {c for r in view.who_is_told(labels, at) for c in r.channels}
                if not wanted <= channels:
                    found.append(f"{at:%a %H:%M} UTC {site.id} {family}: {sorted(channels)}")
    return found


def test_every_critical_alert_reaches_someone_by_email_and_by_sms_at_any_hour(
    fleet: Fleet, demo: RoutingPolicy
) -> None:
    assert gaps(fleet, demo, "critical", {"email", "sms"}) == []


def test_every_warning_reaches_someone_by_email_at_any_hour(
    fleet: Fleet, demo: RoutingPolicy
) -> None:
    assert gaps(fleet, demo, "warning", {"email"}) == []


def test_the_check_finds_a_gap(fleet: Fleet, demo: RoutingPolicy) -> None:
    # Without the desk's coverage, a warning at night reaches nobody: the check must say so.
    without_desk = demo.model_copy(
        update={"coverage": [c for c in demo.coverage if c.id != "operations"]}
    )
    assert gaps(fleet, without_desk, "warning", {"email"}) != []

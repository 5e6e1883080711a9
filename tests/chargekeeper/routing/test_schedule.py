"""Schedules as windows: evaluated in each site's time zone, a range crossing midnight
continuing on the next day."""

from __future__ import annotations

from pathlib import Path

import pytest

from chargekeeper.config.fleet import load_fleet
from chargekeeper.config.routing import load_routing
from chargekeeper.routing import who_is_told
from tests.chargekeeper.routing.routing_support import utc, write

ZONES_FLEET = """
clients: [{id: acme}]
sites:
  - {id: tokyo, client: acme, timezone: Asia/Tokyo}
  - {id: paris, client: acme, timezone: Europe/Paris}
"""


ZONES_ROUTING = """
technicians:
  - {id: kim, name: Kim, phone: "+81312345678"}
schedules:
  - {id: office, weekdays: ["monday:friday"], times: [{start: "08:00", end: "19:00"}]}
  - id: weeknights
    weekdays: ["monday:friday"]
    times: [{start: "19:00", end: "07:30"}]
coverage:
  - id: office
    clients: [acme]
    technicians: [kim]
    schedules: [office]
    subscriptions: [{severities: [critical], channels: sms}]
  - id: weeknights
    sites: [paris]
    technicians: [kim]
    schedules: [weeknights]
    subscriptions: [{families: [error], severities: [critical], channels: sms}]
"""


@pytest.mark.parametrize(
    ("site", "family", "at", "told"),
    [
        # 00:30 UTC on Wednesday is 09:30 in Tokyo (office) and 01:30 in Paris (night).
        ("tokyo", "energy", "2026-11-25T00:30", True),
        ("paris", "energy", "2026-11-25T00:30", False),
        ("paris", "error", "2026-11-25T00:30", True),
        # Saturday 06:00 in Paris (05:00 UTC) is the end of Friday's night shift...
        ("paris", "error", "2026-11-28T05:00", True),
        # ... 07:30 is its end (exclusive), and Saturday evening has no shift at all.
        ("paris", "error", "2026-11-28T06:30", False),
        ("paris", "error", "2026-11-28T19:00", False),
        # Monday 06:00 in Paris follows Sunday evening, which no shift starts.
        ("paris", "error", "2026-11-30T05:00", False),
        # Friday 18:00 UTC is Saturday 03:00 in Tokyo: no office there.
        ("tokyo", "error", "2026-11-27T18:00", False),
    ],
)
def test_schedules_use_each_sites_time_zone_and_cross_midnight(
    tmp_path: Path, site: str, family: str, at: str, told: bool
) -> None:
    fleet = load_fleet(write(tmp_path, ZONES_FLEET, "fleet.yaml"))
    routing = load_routing(write(tmp_path, ZONES_ROUTING), fleet)
    labels = {"site": site, "client": "acme", "family": family, "severity": "critical"}
    assert bool(who_is_told(routing, fleet, labels, utc(at))) is told

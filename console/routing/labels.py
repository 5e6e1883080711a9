"""The names people know the routing's ids by, for the Routing page.

routing.yaml refers to sites, clients, technicians, teams and schedules by id (``lyon``,
``rhone-office-hours``); a maintenance lead reads "Lyon Part-Dieu" and "Rhône valley field
team". Sites and clients are named in the fleet file, technicians and teams in the routing; a
schedule is known by its description. An id without a name (or an unknown one, which the
page may show while a rejected edit is on screen) is shown as is.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from chargekeeper.config.fleet import Fleet
from chargekeeper.config.routing import RoutingPolicy

Kind = Literal["site", "client", "technician", "team", "schedule"]


@dataclass(frozen=True)
class RoutingNames:
    """``names("site", "lyon")`` → ``"Lyon Part-Dieu"``."""

    by_kind: dict[str, dict[str, str]] = field(default_factory=dict)

    def __call__(self, kind: Kind, item_id: str) -> str:
        return self.by_kind.get(kind, {}).get(item_id) or item_id

    def each(self, kind: Kind, ids: Iterable[str]) -> list[str]:
        return [self(kind, item_id) for item_id in ids]

    def options(self, kind: Kind) -> list[tuple[str, str]]:
        """Checkbox choices, in the order the files list them: (id, name)."""
        return [(item_id, name or item_id) for item_id, name in self.by_kind[kind].items()]


def routing_names(routing: RoutingPolicy | None, fleet: Fleet) -> RoutingNames:
    people = routing or RoutingPolicy()
    return RoutingNames(
        {
            "site": {site.id: site.name for site in fleet.sites},
            "client": {client.id: client.name for client in fleet.clients},
            "technician": {tech.id: tech.name for tech in people.technicians},
            "team": {team.id: team.name for team in people.teams},
            "schedule": {s.id: s.description for s in people.schedules},
        }
    )

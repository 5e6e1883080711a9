"""Availability of ports from the collector's history, with minute accounting.

The definitions are grafana/README.md's, shared with the Prometheus rules:

* a port (connector) is **up** while its charger is connected and the port reports a status
  that serves or is serving a driver, with the charger as a whole (connector 0) not Faulted
  or Unavailable; **down** otherwise (a disconnected charger is down);
* **excluded**: inside a maintenance window;
* **monitoring gap**: the history does not say what the port was doing (before its first
  record, connected without any status yet, or while the collector lost track of it); a gap
  is never up;
* a minute takes the worst thing that happened in any part of it, in the order excluded, gap,
  down, up: a one-second outage costs a whole minute (the conservative reading of NEVI's
  minute accounting, which does not say how to count a partial minute).
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from chargekeeper.report.minutes import MinuteSet

UP_STATUSES = frozenset(
    {
        "Available",
        "Preparing",
        "Charging",
        "SuspendedEVSE",
        "SuspendedEV",
        "Finishing",
        "Reserved",
        "Occupied",
    }
)
# Connector 0 in one of these takes every port of the charger down.
CHARGER_DOWN_STATUSES = frozenset({"Faulted", "Unavailable"})
WHOLE_CHARGER = "0"

Span = tuple[float, float]


@dataclass(frozen=True)
class Window:
    """A half-open period ``[start, end)`` in Unix seconds; ``zone`` is the IANA time zone
    its calendar boundaries were taken in."""

    start: float
    end: float
    zone: str = "UTC"

    @classmethod
    def month(cls, year: int, month: int, zone: str = "UTC") -> Window:
        """A calendar month in ``zone`` (a site's local midnight to midnight)."""
        tz = ZoneInfo(zone)
        first = datetime(year, month, 1, tzinfo=tz)
        following = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=tz)
        return cls(first.timestamp(), following.timestamp(), zone)

    @classmethod
    def covering(cls, windows: Iterable[Window]) -> Window:
        """The smallest period holding every one of ``windows``."""
        spans = list(windows)
        return cls(min(w.start for w in spans), max(w.end for w in spans))

    def previous_twelve_months(self) -> Window:
        """The twelve months ending where this window ends (NEVI's reporting period)."""
        end = datetime.fromtimestamp(self.end, ZoneInfo(self.zone))
        return Window(end.replace(year=end.year - 1).timestamp(), self.end, self.zone)

    def clip(self, span: Span) -> Span | None:
        start, end = max(span[0], self.start), min(span[1], self.end)
        return (start, end) if end > start else None


@dataclass(frozen=True)
class ConnectionPoint:
    time: float
    connected: bool


@dataclass(frozen=True)
class StatusPoint:
    time: float
    status: str


@dataclass
class ChargerHistory:
    """One charger's records, each list sorted by time, including the last record before the
    period of interest (the state the period starts in)."""

    charge_point_id: str
    site: str
    connections: list[ConnectionPoint] = field(default_factory=list)
    statuses: dict[str, list[StatusPoint]] = field(default_factory=dict)

    @property
    def ports(self) -> list[str]:
        return sorted((c for c in self.statuses if c != WHOLE_CHARGER), key=_connector_order)


def _connector_order(connector_id: str) -> tuple[int, int, str]:
    """Numeric connector ids in numeric order, anything else after them."""
    return (0, int(connector_id), "") if connector_id.isdigit() else (1, 0, connector_id)


@dataclass(frozen=True)
class Minutes:
    """Minute counts of one port, or summed over ports. ``faulted`` minutes are also down."""

    total: int = 0
    up: int = 0
    down: int = 0
    excluded: int = 0
    gap: int = 0
    faulted: int = 0

    def __add__(self, other: Minutes) -> Minutes:
        return Minutes(
            self.total + other.total,
            self.up + other.up,
            self.down + other.down,
            self.excluded + other.excluded,
            self.gap + other.gap,
            self.faulted + other.faulted,
        )

    @property
    def monitored(self) -> int:
        """Minutes that count for availability: neither excluded nor a gap."""
        return self.up + self.down

    @property
    def availability(self) -> float | None:
        return self.up / self.monitored if self.monitored else None

    @property
    def gap_ratio(self) -> float | None:
        return self.gap / self.total if self.total else None

    @property
    def reliability(self) -> float | None:
        """Status-based network reliability: the share of monitored minutes without a fault
        reported by the equipment (Faulted); a disconnection is not a fault."""
        return 1 - self.faulted / self.monitored if self.monitored else None

    @property
    def nevi_uptime(self) -> float | None:
        """NEVI (23 CFR 680.116(b)): (total - (outage - excluded)) / total. Excluded minutes
        (maintenance) are not outage; a monitoring gap is, since NEVI excludes only the causes
        it lists."""
        return (self.total - self.down - self.gap) / self.total if self.total else None


def _at(points: Sequence[StatusPoint] | Sequence[ConnectionPoint], time: float) -> int:
    """Index of the last point at or before ``time``, or -1."""
    return bisect.bisect_right([p.time for p in points], time) - 1


def collector_gaps(history: ChargerHistory) -> list[Span]:
    """Periods the collector lost track of the charger.

    Two connects without a disconnect between them mean the collector stopped without
    recording the disconnection (a crash, or a history write that never arrived). What
    happened in between is unknown from the last record heard until the new connect.
    """
    heard = sorted(
        [p.time for p in history.connections]
        + [p.time for points in history.statuses.values() for p in points]
    )
    gaps: list[Span] = []
    previous: ConnectionPoint | None = None
    for point in history.connections:
        if point.connected and previous is not None and previous.connected:
            earlier = bisect.bisect_left(heard, point.time)
            last_heard = heard[earlier - 1] if earlier else previous.time
            gaps.append((max(last_heard, previous.time), point.time))
        previous = point
    return gaps


def port_minutes(
    history: ChargerHistory, connector_id: str, window: Window, maintenance: Sequence[Span]
) -> Minutes:
    """Minute accounting of one port over ``window``."""
    statuses = history.statuses.get(connector_id, [])
    charger = history.statuses.get(WHOLE_CHARGER, [])
    lost = collector_gaps(history)
    cuts = {window.start, window.end}
    cuts.update(p.time for p in history.connections)
    cuts.update(p.time for p in statuses)
    cuts.update(p.time for p in charger)
    cuts.update(t for span in lost for t in span)
    edges = sorted(t for t in cuts if window.start <= t <= window.end)

    gap: list[Span] = []
    down: list[Span] = []
    faulted: list[Span] = []
    for start, end in itertools.pairwise(edges):
        connection = _at(history.connections, start)
        status = _at(statuses, start)
        whole = _at(charger, start)
        if (
            connection < 0
            or any(first <= start < last for first, last in lost)
            or (history.connections[connection].connected and status < 0)
        ):
            gap.append((start, end))
            continue
        if not history.connections[connection].connected:
            down.append((start, end))
            continue
        port_status = statuses[status].status
        charger_status = charger[whole].status if whole >= 0 else None
        if port_status == "Faulted" or charger_status == "Faulted":
            faulted.append((start, end))
        if port_status not in UP_STATUSES or charger_status in CHARGER_DOWN_STATUSES:
            down.append((start, end))

    clipped = [s for s in (window.clip(span) for span in maintenance) if s is not None]
    excluded = MinuteSet.touched(clipped, window.start)
    gaps = MinuteSet.touched(gap, window.start) - excluded
    outages = MinuteSet.touched(down, window.start) - excluded - gaps
    faults = MinuteSet.touched(faulted, window.start) - excluded - gaps
    total = math.ceil((window.end - window.start) / 60)
    return Minutes(
        total=total,
        up=total - len(excluded) - len(gaps) - len(outages),
        down=len(outages),
        excluded=len(excluded),
        gap=len(gaps),
        faulted=len(faults),
    )

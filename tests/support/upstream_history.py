"""A known day of proxy-mode history (the ``ocpp_upstream_*`` series of
exporter/proxy/upstream_metrics.py), sampled every minute for the 25 hours before ``now``:

- ``site/lyon`` (site lyon, client retailco): 60 Authorize calls a minute, answered in 40 ms,
  except from -3 h to -2 h, when they take 2 s; since -2 h also 10 StartTransaction a minute
  answered in 200 ms, one of them a CALLERROR (InternalError), plus one left unanswered
  (Timeout) a minute. CP-2 and CP-ALFEN-01 are connected through it, CP-3 is not.
- ``client/retailco`` (client retailco, several sites): known, never called.
- ``charger/<img src=x>``: a hostile label value, as Prometheus may hold anything.

``target`` adds labels to every series (``job="…",instance="…"``, as a scrape would).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from tests.support.backfill import History, Point

BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
MINUTE = 60
HOUR = 3600
HOSTILE = "charger/<img src=x>"


class _Targeted(History):
    def __init__(self, prefix: str) -> None:
        super().__init__()
        self._prefix = prefix

    def series(self, name: str, labels: str, points: Iterable[Point]) -> None:
        super().series(name, self._prefix + labels, points)


def _minutes(now: int, start: int) -> Iterator[int]:
    return iter(range(now - start, now + 1, MINUTE))


def _histogram(
    history: History,
    labels: str,
    now: int,
    since: int,
    per_minute: Callable[[int], dict[float, int]],
) -> None:
    """Cumulative buckets, count and sum of a histogram; ``per_minute(t)`` maps an answer
    time to how many answers of it arrive in the minute ending at t (from ``since`` on)."""
    name = "ocpp_upstream_call_duration_seconds"
    times = list(_minutes(now, since))
    totals: dict[int, dict[float, int]] = {}
    running: dict[float, int] = {}
    for t in times:
        for seconds, n in per_minute(t).items():
            running[seconds] = running.get(seconds, 0) + n
        totals[t] = dict(running)
    for le in (*BUCKETS, float("inf")):
        le_text = "+Inf" if le == float("inf") else repr(le)
        points: list[Point] = [(t, sum(n for s, n in totals[t].items() if s <= le)) for t in times]
        history.series(f"{name}_bucket", f'{labels},le="{le_text}"', points)
    history.series(f"{name}_count", labels, ((t, sum(totals[t].values())) for t in times))
    history.series(
        f"{name}_sum", labels, ((t, sum(s * n for s, n in totals[t].items())) for t in times)
    )


def upstream_history(now: int, target: str = "") -> History:
    history = _Targeted(target + "," if target else "")
    start = 25 * HOUR
    lyon = 'upstream="site/lyon"'
    for upstream, site in (("site/lyon", "lyon"), ("client/retailco", ""), (HOSTILE, "")):
        history.series(
            "ocpp_upstream_info",
            f'upstream="{upstream}",site="{site}",client="retailco"',
            ((t, 1) for t in _minutes(now, start)),
        )
    for charger, upstream, connected in (
        ("CP-2", "site/lyon", 1),
        ("CP-ALFEN-01", "site/lyon", 1),
        ("CP-3", "client/retailco", 0),
    ):
        history.series(
            "ocpp_charge_point_upstream_connected",
            f'charge_point_id="{charger}",upstream="{upstream}"',
            ((t, connected) for t in _minutes(now, start)),
        )

    def authorize(t: int) -> dict[float, int]:
        slow = now - 3 * HOUR < t <= now - 2 * HOUR
        return {2.0: 60} if slow else {0.04: 60}

    _histogram(history, f'{lyon},action="Authorize"', now, start, authorize)
    since = 2 * HOUR
    _histogram(
        history,
        f'{lyon},action="StartTransaction"',
        now,
        since,
        lambda t: {0.2: 10},
    )
    for code in ("InternalError", "Timeout"):
        history.series(
            "ocpp_upstream_call_errors_total",
            f'{lyon},action="StartTransaction",error_code="{code}"',
            ((t, (t - now + since) // MINUTE) for t in _minutes(now, since)),
        )
    return history

"""The Watchdog's timing: how often Alertmanager repeats it, against how long the receiver
waits for it before telling the operations contacts that the pipeline is broken."""

from __future__ import annotations

from chargekeeper.config.routing import RoutingPolicy

# receiver.yaml's ``watchdog_timeout`` default: three missed minutes of heartbeat.
DEFAULT_WATCHDOG_TIMEOUT = 180.0
# Room for one webhook retry and a slow rule evaluation on top of two repeats.
WATCHDOG_SLACK = 30.0


def watchdog_timing_problem(routing: RoutingPolicy, timeout: float) -> str | None:
    """Why ``timeout`` (seconds without a Watchdog before the receiver reports it) would raise
    false alarms with this policy's ``watchdog.repeat_interval``; None when it fits, or when a
    heartbeat service (``watchdog.url``) expects the Watchdog instead.

    Alertmanager checks a repeat only at each group interval, which the Watchdog route sets to
    the repeat interval, so a repeat due exactly at a tick is sent one tick later: two repeat
    intervals may pass between Watchdogs.
    """
    if routing.watchdog.url is not None:
        return None
    repeat = routing.watchdog.repeat_interval
    needed = 2 * repeat + WATCHDOG_SLACK
    if timeout >= needed:
        return None
    return (
        f"receiver.yaml watchdog_timeout is {timeout:g}s, but routing.yaml "
        f"watchdog.repeat_interval is {repeat:g}s: Alertmanager may send the Watchdog only every "
        f"{2 * repeat:g}s, so the receiver would report a dead pipeline that is alive. Set "
        f"watchdog_timeout to at least {needed:g}s (twice the repeat interval plus "
        f"{WATCHDOG_SLACK:g}s), or lower watchdog.repeat_interval to at most "
        f"{max((timeout - WATCHDOG_SLACK) / 2, 0):g}s."
    )

"""Detect-to-notify latency: from a charger's fault to the provider accepting the message (issue 8).

    python -m bench.detect_latency [--faults 20] [--stock-faults 6] [--threshold 10]

The whole local stack (tests/e2e/stack.py: collector, Prometheus, Alertmanager, receiver with
its local SMTP server and SMS endpoint) runs twice in this process, one after the other:

- ``shipped``: Chargekeeper's defaults, scrape and evaluation every 5 s and routing.yaml's
  default ``group_wait`` (chargekeeper.config.routing.Timing);
- ``stock``: stock Prometheus and Alertmanager timing, scrape and evaluation every minute,
  ``group_wait`` 30 s, ``group_interval`` 5 m. It has fewer faults (``--stock-faults``) to
  stay within a few minutes; its figures are coarser for it.

Each run has ``--faults`` chargers that report a Faulted connector (StatusNotification
GroundFailure, no manufacturer code) and as many that close their websocket cleanly, each
alone on its own site so that every fault opens its own Alertmanager group and is told as its
own message. The faults start at random instants over ``--spread`` seconds, so they meet the
scrape and evaluation cycle at every phase. One on-call technician is told of everything by
email and SMS; the receiver's settings are its defaults (1 SMS/s per sender).

Latency of one fault and channel = when the local provider accepted the message (the mail
file's mtime; an SMS when the 0.1 s poll first sees its line) - when the charger sent its
frame (or closed its socket) - the policy's minimum duration (``--threshold``, the warning
threshold of both alerts). Target with the shipped defaults: median <= 10 s, p95 <= 20 s.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from chargekeeper.config.routing import Timing
from simulator import SimulatedFleet
from tests.e2e.stack import Channel, Inbox, LocalStack, running_stack, write_config

Kind = Literal["error", "disconnect"]
KINDS: tuple[Kind, ...] = ("error", "disconnect")
CHANNELS: tuple[Channel, ...] = ("email", "sms")
PREFIX: dict[Kind, str] = {"error": "E-", "disconnect": "D-"}
CHARGER = re.compile(r"\b([ED]-\d{4})\b")
TARGET_MEDIAN = 10.0
TARGET_P95 = 20.0
POLL_SECONDS = 0.1
TECHNICIAN = "oncall"


@dataclass(frozen=True)
class Profile:
    """One run's timing: Prometheus' interval and Alertmanager's routing timing."""

    name: str
    interval_seconds: int
    timing: dict[str, float] | None  # None: routing.yaml without `timing:`, the shipped one
    faults: int

    def describe(self) -> str:
        group_wait = (self.timing or {}).get("group_wait", Timing().group_wait)
        return (
            f"{self.name}: scrape/eval {self.interval_seconds} s, group_wait {group_wait:g} s,"
            f" {self.faults} faults of each kind"
        )

    def wait_budget(self, threshold: float) -> float:
        """How long after the last fault a message may still come: the scrape, up to three
        evaluations (recording rule groups feed the alert group one evaluation later),
        group_wait, and half a minute for the receiver and the SMS rate."""
        group_wait = (self.timing or {}).get("group_wait", Timing().group_wait)
        return threshold + 4 * self.interval_seconds + group_wait + 30


@dataclass
class Fault:
    """One injected fault and when each channel's message reached its provider."""

    kind: Kind
    charger_id: str
    at: float = math.nan  # wall clock when the frame was sent or the socket closed
    told: dict[Channel, float] = field(default_factory=dict)


def _config(profile: Profile, threshold: float) -> dict[str, dict[str, Any]]:
    ids = [f"{PREFIX[k]}{n:04d}" for k in KINDS for n in range(1, profile.faults + 1)]
    fleet = {
        "clients": [{"id": "bench"}],
        "sites": [{"id": f"site-{cp.lower()}", "client": "bench"} for cp in ids],
        "chargers": [{"id": cp, "site": f"site-{cp.lower()}"} for cp in ids],
    }
    policy = {
        # The chargers connect once and are seen: the grace never applies.
        "collector_restart_grace": 60,
        "defaults": {
            "disconnected": {"warning": threshold, "critical": None},
            "faulted": {"warning": threshold, "critical": None},
            "vendor_code": {"enabled": False},
            "soc_stalled": {"enabled": False},
            "not_delivering": {"enabled": False},
            "flapping": {"enabled": False},
            "site_offline": {"enabled": False},
        },
    }
    routing: dict[str, Any] = {
        "technicians": [
            {"id": TECHNICIAN, "name": "On call", "email": "oncall@bench.example",
             "phone": "+33612345678"},
        ],
        "coverage": [
            {"id": "everything", "technicians": [TECHNICIAN],
             "subscriptions": [{"channels": "both"}]},
        ],
    }  # fmt: skip
    if profile.timing is not None:
        routing["timing"] = profile.timing
    return {"fleet.yaml": fleet, "policy.yaml": policy, "routing.yaml": routing}


def _record(inbox: Inbox, faults: dict[str, Fault]) -> None:
    for message in inbox.poll():
        match = CHARGER.search(message.text)
        fault = faults.get(match.group(1)) if match else None
        if fault is None or message.resolved:
            print(f"  unexpected message to {message.to}: {message.text[:80]!r}")
            continue
        fault.told.setdefault(message.channel, message.at)


async def run_profile(profile: Profile, threshold: float, spread: float, seed: int) -> list[Fault]:
    with tempfile.TemporaryDirectory(prefix="detect-latency-") as tmp:
        work = Path(tmp)
        config = write_config(work / "config", _config(profile, threshold))
        async with running_stack(config, work / "state", profile.interval_seconds) as stack:
            fleets = {
                kind: SimulatedFleet(
                    stack.ocpp_url(), profile.faults, scenario="idle", seed=seed,
                    id_prefix=PREFIX[kind],
                )
                for kind in KINDS
            }  # fmt: skip
            try:
                for fleet in fleets.values():
                    await fleet.start()
                for fleet in fleets.values():
                    await fleet.wait_ready(within=60)
                # Let Prometheus scrape the connected fleet once before anything fails.
                await asyncio.sleep(profile.interval_seconds + 1)
                return await _inject_and_watch(profile, threshold, spread, seed, fleets, stack)
            finally:
                for fleet in fleets.values():
                    await fleet.stop()


async def _inject_and_watch(
    profile: Profile,
    threshold: float,
    spread: float,
    seed: int,
    fleets: dict[Kind, SimulatedFleet],
    stack: LocalStack,
) -> list[Fault]:
    inbox = stack.inbox()
    rng = random.Random(seed)
    plan = sorted(
        (rng.uniform(0, spread), kind, charger)
        for kind in KINDS
        for charger in fleets[kind].chargers
    )
    faults = {
        charger.charge_point_id: Fault(kind, charger.charge_point_id) for _, kind, charger in plan
    }
    loop = asyncio.get_running_loop()
    began = loop.time()
    for offset, kind, charger in plan:
        while loop.time() < began + offset:
            if stack.stopping.is_set():
                raise KeyboardInterrupt  # the collector caught Ctrl-C
            _record(inbox, faults)
            await asyncio.sleep(min(POLL_SECONDS, began + offset - loop.time()))
        faults[charger.charge_point_id].at = time.time()
        if kind == "error":
            await charger.fault(1, "GroundFailure")
        else:
            await charger.disconnect()
    deadline = loop.time() + profile.wait_budget(threshold)
    while loop.time() < deadline:
        if stack.stopping.is_set():
            raise KeyboardInterrupt  # the collector caught Ctrl-C
        _record(inbox, faults)
        if all(len(f.told) == len(CHANNELS) for f in faults.values()):
            break
        await asyncio.sleep(POLL_SECONDS)
    return list(faults.values())


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100), linear between the closest ranks."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True)
class Row:
    profile: str
    kind: Kind
    channel: Channel
    latencies: list[float]
    missing: int

    @property
    def median(self) -> float:
        return statistics.median(self.latencies) if self.latencies else math.nan

    @property
    def p95(self) -> float:
        return percentile(self.latencies, 95)

    def line(self) -> str:
        values = self.latencies or [math.nan]
        return (
            f"{self.profile:<8} {self.kind:<10} {self.channel:<6} {len(self.latencies):>3}"
            f" {self.missing:>7} {self.median:>8.1f} {self.p95:>6.1f}"
            f" {min(values):>6.1f} {max(values):>6.1f}"
        )


def rows(profile: Profile, faults: list[Fault], threshold: float) -> list[Row]:
    table = []
    for kind in KINDS:
        for channel in CHANNELS:
            chosen = [f for f in faults if f.kind == kind]
            latencies = [f.told[channel] - f.at - threshold for f in chosen if channel in f.told]
            table.append(Row(profile.name, kind, channel, latencies, len(chosen) - len(latencies)))
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faults", type=int, default=20, help="Faults of each kind, shipped run.")
    parser.add_argument(
        "--stock-faults", type=int, default=6, help="Faults of each kind, stock run."
    )
    parser.add_argument("--threshold", type=float, default=10.0, help="Minimum duration, s.")
    parser.add_argument("--spread", type=float, default=60.0, help="Seconds the faults start over.")
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args()
    profiles = (
        Profile("shipped", 5, None, args.faults),
        Profile(
            "stock", 60, {"group_wait": 30, "group_interval": 300, "repeat_interval": 14400},
            args.stock_faults,
        ),
    )  # fmt: skip
    table: list[Row] = []
    for profile in profiles:
        print(f"running {profile.describe()}, threshold {args.threshold:g} s", flush=True)
        started = time.monotonic()
        faults = asyncio.run(run_profile(profile, args.threshold, args.spread, args.seed))
        print(f"  done in {time.monotonic() - started:.0f} s", flush=True)
        table += rows(profile, faults, args.threshold)
    print()
    print("latency = provider accepted - charger frame/socket close - threshold, in seconds")
    print(f"{'profile':<8} {'fault':<10} {'channel':<6} {'n':>3} {'missing':>7}"
          f" {'median':>8} {'p95':>6} {'min':>6} {'max':>6}")  # fmt: skip
    for row in table:
        print(row.line())
    shipped = [row for row in table if row.profile == "shipped"]
    met = all(
        not row.missing and row.median <= TARGET_MEDIAN and row.p95 <= TARGET_P95 for row in shipped
    )
    print(
        f"target (shipped): median <= {TARGET_MEDIAN:g} s, p95 <= {TARGET_P95:g} s:"
        f" {'met' if met else 'NOT MET'}"
    )
    sys.exit(0 if met else 1)


if __name__ == "__main__":
    main()

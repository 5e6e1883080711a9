"""Detect-to-notify latency: from a charger's fault to the provider accepting the message (issue 8).

    python -m bench.detect_latency [--faults 20] [--stock-faults 6] [--threshold 10]
                                   [--spread 60] [--rules-dir rules/]

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
email and SMS; the receiver's settings are its defaults, including the SMS sender's rate
(``twilio.rate_per_second``): with the default spread, the SMS queue behind it is part of
what is measured.

Latency of one fault and channel = when the local provider accepted the message (the mail
file's mtime; an SMS when the 0.1 s poll first sees its line) - when the charger sent its
frame (or closed its socket) - the policy's minimum duration (``--threshold``, the warning
threshold of both alerts). Target with the shipped defaults: median <= 10 s, p95 <= 20 s.

A second table says where the seconds go, from the receiver's store (medians per stage):
``rule`` from the fault to the Prometheus evaluation that fired the alert (its ``startsAt``),
less the threshold: the scrape and evaluation cycle; ``alertmanager`` from there to the
receiver storing the webhook: ``group_wait`` and the hops; ``pipeline`` from there to the
message being queued; ``outbox`` from there to the provider accepting it, per channel (the
SMS sender's rate limit shows here).
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

from sqlalchemy import select

from chargekeeper.config.routing import Timing
from chargekeeper.render.prometheus import DEFAULT_RULES_DIR
from chargekeeper.store import (
    Alert,
    Delivery,
    DeliveryAlert,
    make_engine,
    make_sessionmaker,
    sqlite_url,
)
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
        """How long after the last fault a message may still come: the scrape, an evaluation
        (up to three with a rule layout whose views feed the alerts from other groups, which
        ``--rules-dir`` may load), group_wait, and half a minute for the receiver and the SMS
        rate."""
        group_wait = (self.timing or {}).get("group_wait", Timing().group_wait)
        return threshold + 4 * self.interval_seconds + group_wait + 30


@dataclass
class Fault:
    """One injected fault and when each channel's message reached its provider."""

    kind: Kind
    charger_id: str
    at: float = math.nan  # wall clock when the frame was sent or the socket closed
    told: dict[Channel, float] = field(default_factory=dict)
    # From the receiver's store: the alert's startsAt (the evaluation that fired it), when
    # the receiver stored the webhook, and when each channel's message was queued.
    fired: float = math.nan
    stored: float = math.nan
    queued: dict[str, float] = field(default_factory=dict)  # by channel


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


async def run_profile(
    profile: Profile, threshold: float, spread: float, seed: int, rules_dir: Path
) -> list[Fault]:
    with tempfile.TemporaryDirectory(prefix="detect-latency-") as tmp:
        work = Path(tmp)
        config = write_config(work / "config", _config(profile, threshold))
        async with running_stack(
            config, work / "state", profile.interval_seconds, rules_dir=rules_dir
        ) as stack:
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
                faults = await _inject_and_watch(profile, threshold, spread, seed, fleets, stack)
            finally:
                for fleet in fleets.values():
                    await fleet.stop()
        _read_stages(work / "state" / "receiver" / "receiver.sqlite3", faults)
        return faults


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


def _read_stages(database: Path, faults: list[Fault]) -> None:
    """Fill in each fault's stage times from the receiver's store (first firing alert and
    its first firing message per channel)."""
    by_charger = {fault.charger_id: fault for fault in faults}
    engine = make_engine(sqlite_url(database))
    try:
        with make_sessionmaker(engine)() as session:
            alerts = session.scalars(
                select(Alert).where(Alert.charge_point_id.in_(by_charger)).order_by(Alert.id)
            )
            for alert in alerts:
                fault = by_charger[alert.charge_point_id]
                if math.isnan(fault.fired):
                    fault.fired = alert.starts_at.timestamp()
                    fault.stored = alert.first_received_at.timestamp()
            rows = session.execute(
                select(Alert.charge_point_id, Delivery.channel, Delivery.created_at)
                .join(DeliveryAlert, DeliveryAlert.alert_id == Alert.id)
                .join(Delivery, Delivery.id == DeliveryAlert.delivery_id)
                .where(Alert.charge_point_id.in_(by_charger), Delivery.status == "firing")
                .order_by(Delivery.id)
            )
            for charger_id, channel, created_at in rows:
                queued = by_charger[charger_id].queued
                queued.setdefault(channel, created_at.timestamp())
    finally:
        engine.dispose()


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


STAGES = ("rule", "alertmanager", "pipeline", "outbox email", "outbox sms")


def stage_line(profile: Profile, kind: Kind, faults: list[Fault], threshold: float) -> str:
    """Median seconds of each stage for ``kind``'s faults (see the module docstring)."""
    chosen = [f for f in faults if f.kind == kind]
    spans: dict[str, list[float]] = {
        "rule": [f.fired - f.at - threshold for f in chosen],
        "alertmanager": [f.stored - f.fired for f in chosen],
        "pipeline": [min(f.queued.values()) - f.stored for f in chosen if f.queued],
    }
    for channel in CHANNELS:
        spans[f"outbox {channel}"] = [
            f.told[channel] - f.queued[channel]
            for f in chosen
            if channel in f.told and channel in f.queued
        ]
    medians = []
    for stage in STAGES:
        known = [value for value in spans[stage] if not math.isnan(value)]
        medians.append(statistics.median(known) if known else math.nan)
    return f"{profile.name:<8} {kind:<10}" + "".join(f" {m:>12.2f}" for m in medians)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faults", type=int, default=20, help="Faults of each kind, shipped run.")
    parser.add_argument(
        "--stock-faults", type=int, default=6, help="Faults of each kind, stock run (0: skip it)."
    )
    parser.add_argument("--threshold", type=float, default=10.0, help="Minimum duration, s.")
    parser.add_argument("--spread", type=float, default=60.0, help="Seconds the faults start over.")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument(
        "--rules-dir",
        type=Path,
        default=DEFAULT_RULES_DIR,
        help="The hand-written rule files to load (default: the repository's rules/).",
    )
    args = parser.parse_args()
    profiles = (
        Profile("shipped", 5, None, args.faults),
        Profile(
            "stock", 60, {"group_wait": 30, "group_interval": 300, "repeat_interval": 14400},
            args.stock_faults,
        ),
    )  # fmt: skip
    table: list[Row] = []
    stages: list[str] = []
    print(f"rules from {args.rules_dir}", flush=True)
    for profile in profiles:
        if not profile.faults:
            continue
        print(f"running {profile.describe()}, threshold {args.threshold:g} s", flush=True)
        started = time.monotonic()
        faults = asyncio.run(
            run_profile(profile, args.threshold, args.spread, args.seed, args.rules_dir)
        )
        print(f"  done in {time.monotonic() - started:.0f} s", flush=True)
        table += rows(profile, faults, args.threshold)
        stages += [stage_line(profile, kind, faults, args.threshold) for kind in KINDS]
    print()
    print("latency = provider accepted - charger frame/socket close - threshold, in seconds")
    print(f"{'profile':<8} {'fault':<10} {'channel':<6} {'n':>3} {'missing':>7}"
          f" {'median':>8} {'p95':>6} {'min':>6} {'max':>6}")  # fmt: skip
    for row in table:
        print(row.line())
    print()
    print("where the seconds go: median per stage, in seconds")
    print(f"{'profile':<8} {'fault':<10}" + "".join(f" {stage:>12}" for stage in STAGES))
    for line in stages:
        print(line)
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

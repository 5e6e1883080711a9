"""Collector throughput on a MeterValues-heavy load, against two baselines in the same run.

    python -m bench.throughput [--chargers 50] [--seconds 10] [--rounds 5]

Targets (issue 2): at least 3x the ``ocpp`` library's ChargePoint with its default validation,
and at least 0.5x a raw websockets server that only parses JSON and answers. Every server runs
as its own process while this process generates the load.

Two figures per server: replies per wall-clock second, and replies per second of the server's
own CPU time. On two cores the load generator saturates its core before the echo server does,
so the wall-clock rate of the echo baseline measures the generator; CPU-normalised capacity
compares the servers themselves. The three servers run side by side and are measured in
``--rounds`` interleaved rounds, so that the other work on a shared machine weighs on each alike.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
from dataclasses import dataclass, field

import psutil

from bench._load import run_load
from bench._servers import baseline_argv, collector_argv, running
from chargekeeper.net import free_port

SERVERS = ("echo", "ocpp-library", "chargekeeper")


@dataclass
class Tally:
    """One server's replies, wall-clock seconds and CPU seconds, summed over the rounds."""

    replies: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    per_round: list[float] = field(default_factory=list)  # replies per CPU second

    @property
    def wall_rate(self) -> float:
        return self.replies / self.seconds

    @property
    def cpu_rate(self) -> float:
        return self.replies / self.cpu_seconds


def _argv(name: str, port: int) -> list[str]:
    return (
        collector_argv(port, free_port()) if name == "chargekeeper" else baseline_argv(name, port)
    )


def measure_round(
    name: str, port: int, pid: int, chargers: int, seconds: float, tally: Tally
) -> None:
    server = psutil.Process(pid)
    cpu_before = sum(server.cpu_times()[:2])
    result = asyncio.run(run_load(f"ws://127.0.0.1:{port}", chargers, seconds))
    cpu_seconds = sum(server.cpu_times()[:2]) - cpu_before
    if result.errors:
        raise SystemExit(f"{name}: {result.errors} replies were not CALLRESULTs")
    tally.replies += result.replies
    tally.seconds += result.seconds
    tally.cpu_seconds += cpu_seconds
    tally.per_round.append(result.replies / cpu_seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chargers", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0, help="per server, all rounds")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    tallies = {name: Tally() for name in SERVERS}
    with contextlib.ExitStack() as stack:
        servers = {}
        for name in SERVERS:
            port = free_port()
            servers[name] = (port, stack.enter_context(running(_argv(name, port), port)).pid)
            asyncio.run(run_load(f"ws://127.0.0.1:{port}", args.chargers, 1.0))  # warm up
        for round_ in range(args.rounds):
            # Each round visits the servers in a rotated order, so that a load swing on the
            # machine falls on all of them alike.
            order = SERVERS[round_ % 3 :] + SERVERS[: round_ % 3]
            for name in order:
                port, pid = servers[name]
                measure_round(
                    name, port, pid, args.chargers, args.seconds / args.rounds, tallies[name]
                )
            print(f"round {round_ + 1}/{args.rounds} done", flush=True)
    for name, tally in tallies.items():
        print(
            f"{name:>14}: {tally.wall_rate:8.0f} MeterValues/s wall clock,"
            f" {tally.cpu_rate:8.0f} per server CPU second"
        )
    ours = tallies["chargekeeper"]
    for baseline, target in (("ocpp-library", 3.0), ("echo", 0.5)):
        theirs = tallies[baseline]
        rounds = [a / b for a, b in zip(ours.per_round, theirs.per_round, strict=True)]
        print(
            f"chargekeeper / {baseline:<12} = {ours.wall_rate / theirs.wall_rate:.2f}x wall,"
            f" {ours.cpu_rate / theirs.cpu_rate:.2f}x per CPU second (target >= {target}x;"
            f" per round {min(rounds):.2f}-{max(rounds):.2f}x, median"
            f" {statistics.median(rounds):.2f}x)"
        )


if __name__ == "__main__":
    main()

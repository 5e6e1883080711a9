"""Collector throughput on a MeterValues-heavy load, against two baselines in the same run.

    python -m bench.throughput [--chargers 50] [--seconds 10]

Targets (issue 2): at least 3x the ``ocpp`` library's ChargePoint with its default validation,
and at least 0.5x a raw websockets server that only parses JSON and answers. Every server runs
as its own process while this process generates the load.

Two figures per server: replies per wall-clock second, and replies per second of the server's
own CPU time. On two cores the load generator saturates its core before the echo server does,
so the wall-clock rate of the echo baseline measures the generator; CPU-normalised capacity
compares the servers themselves.
"""

from __future__ import annotations

import argparse
import asyncio

import psutil

from bench._load import run_load
from bench._servers import baseline_argv, collector_argv, free_port, running


def measure(argv_for_port: str, chargers: int, seconds: float) -> tuple[float, float]:
    """(replies per wall-clock second, replies per second of server CPU time)."""
    port = free_port()
    if argv_for_port == "chargekeeper":
        argv = collector_argv(port, free_port())
    else:
        argv = baseline_argv(argv_for_port, port)
    with running(argv, port) as proc:
        asyncio.run(run_load(f"ws://127.0.0.1:{port}", chargers, 1.0))  # warm up
        server = psutil.Process(proc.pid)
        cpu_before = sum(server.cpu_times()[:2])
        result = asyncio.run(run_load(f"ws://127.0.0.1:{port}", chargers, seconds))
        cpu_seconds = sum(server.cpu_times()[:2]) - cpu_before
    if result.errors:
        raise SystemExit(f"{argv_for_port}: {result.errors} replies were not CALLRESULTs")
    return result.rate, result.replies / cpu_seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chargers", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()

    wall, cpu = {}, {}
    for name in ("echo", "ocpp-library", "chargekeeper"):
        wall[name], cpu[name] = measure(name, args.chargers, args.seconds)
        print(
            f"{name:>14}: {wall[name]:8.0f} MeterValues/s wall clock,"
            f" {cpu[name]:8.0f} per server CPU second",
            flush=True,
        )
    for baseline, target in (("ocpp-library", 3.0), ("echo", 0.5)):
        print(
            f"chargekeeper / {baseline:<12} = {wall['chargekeeper'] / wall[baseline]:.2f}x wall,"
            f" {cpu['chargekeeper'] / cpu[baseline]:.2f}x per CPU second (target >= {target}x)"
        )


if __name__ == "__main__":
    main()

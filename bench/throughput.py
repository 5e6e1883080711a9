"""Collector throughput on a MeterValues-heavy load, against two baselines in the same run.

    python -m bench.throughput [--chargers 50] [--seconds 10]

Targets (issue 2): at least 3x the ``ocpp`` library's ChargePoint with its default validation,
and at least 0.5x a raw websockets server that only parses JSON and answers. Every server runs
as its own process on one core while this process generates the load on the other.
"""

from __future__ import annotations

import argparse
import asyncio

from bench._load import run_load
from bench._servers import baseline_argv, collector_argv, free_port, running


def measure(argv_for_port: str, chargers: int, seconds: float) -> float:
    port = free_port()
    if argv_for_port == "chargekeeper":
        argv = collector_argv(port, free_port())
    else:
        argv = baseline_argv(argv_for_port, port)
    with running(argv, port):
        asyncio.run(run_load(f"ws://127.0.0.1:{port}", chargers, 1.0))  # warm up
        result = asyncio.run(run_load(f"ws://127.0.0.1:{port}", chargers, seconds))
    if result.errors:
        raise SystemExit(f"{argv_for_port}: {result.errors} replies were not CALLRESULTs")
    return result.rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chargers", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()

    rates = {}
    for name in ("echo", "ocpp-library", "chargekeeper"):
        rates[name] = measure(name, args.chargers, args.seconds)
        print(f"{name:>14}: {rates[name]:9.0f} MeterValues/s", flush=True)
    vs_library = rates["chargekeeper"] / rates["ocpp-library"]
    vs_echo = rates["chargekeeper"] / rates["echo"]
    print(f"chargekeeper / ocpp-library = {vs_library:.2f}x (target >= 3x)")
    print(f"chargekeeper / echo         = {vs_echo:.2f}x (target >= 0.5x)")


if __name__ == "__main__":
    main()

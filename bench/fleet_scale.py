"""10,000 chargers on one collector: memory, a reconnect storm, and OCPP latency during scrapes.

    python -m bench.fleet_scale [--chargers 10000]

The collector runs as its own process; the simulator drives the fleet from this one. Targets
(issue 2): collector resident memory at most 500 MB with 10,000 chargers connected; a reconnect
storm of all of them (connect, Boot, Status) fully registered within 30 s; a /metrics scrape
delaying OCPP replies by at most 50 ms. Baselines measured in the same run: a bare websockets
server holding the same number of connections (memory), and the probe's reply time while no
scrape runs (latency). Beside the worst reply during scrapes it prints how many replies took
over 50 ms with and without scrapes, and the collector's GC pauses over 25 ms during the scrapes
(from its ``chargekeeper_exporter_gc_pause_seconds``), so a stall can be told from a scrape.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from asyncio.subprocess import PIPE
from collections import Counter

import httpx
import psutil
from prometheus_client.parser import text_string_to_metric_families
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from bench._servers import baseline_argv, collector_argv, running
from chargekeeper.net import free_port
from simulator.fleet import SimulatedFleet

OCPP16 = [Subprotocol("ocpp1.6")]


def _registered(metrics: str) -> tuple[int, float, float]:
    """(chargers connected, boots so far, StatusNotifications so far) from a /metrics text."""
    connected = boots = statuses = 0.0
    for line in metrics.splitlines():
        if line.startswith("ocpp_charge_point_connected{") and line.endswith(" 1"):
            connected += 1
        elif line.startswith("ocpp_charge_point_boots_total{"):
            boots += float(line.rsplit(" ", 1)[1])
        elif line.startswith("chargekeeper_exporter_messages_total{") and (
            'action="StatusNotification"' in line
        ):
            statuses += float(line.rsplit(" ", 1)[1])
    return int(connected), boots, statuses


def _slow(rtts: list[float], limit: float = 0.05) -> int:
    return sum(rtt > limit for rtt in rtts)


def _gc_pauses(metrics: str) -> Counter[str]:
    """The collector's GC pauses longer than 25 ms so far, by generation."""
    over: Counter[str] = Counter()
    for family in text_string_to_metric_families(metrics):
        if family.name != "chargekeeper_exporter_gc_pause_seconds":
            continue
        totals = {
            s.labels["generation"]: s.value for s in family.samples if s.name.endswith("_count")
        }
        for sample in family.samples:
            if sample.name.endswith("_bucket") and sample.labels["le"] == "0.025":
                generation = sample.labels["generation"]
                if totals[generation] > sample.value:
                    over[f"gen{generation}"] = int(totals[generation] - sample.value)
    return over


async def _wait_registered(
    client: httpx.AsyncClient, url: str, chargers: int, boots: float, statuses: float, within: float
) -> float:
    """Seconds until the collector shows every charger connected with a new Boot and Status."""
    start = time.monotonic()
    while time.monotonic() - start < within:
        now = _registered((await client.get(url)).text)
        if now[0] >= chargers and now[1] >= boots + chargers and now[2] >= statuses + chargers:
            return time.monotonic() - start
        await asyncio.sleep(0.25)
    raise SystemExit(f"not registered within {within}s: {now}")


async def _child(kind: str, url: str, seconds: float) -> list[float]:
    """Run a bench._probe child (its own process, so the simulator's loop does not skew it)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench._probe", kind, url, str(seconds), stdout=PIPE
    )
    out, _ = await proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"bench._probe {kind} failed with {proc.returncode}")
    return [float(x) for x in json.loads(out)]


async def _hold_bare_connections(url: str, count: int) -> list[object]:
    slots = asyncio.Semaphore(200)

    async def one(i: int) -> object:
        async with slots:
            return await connect(f"{url}/B{i}", subprotocols=OCPP16, compression=None)

    return list(await asyncio.gather(*(one(i) for i in range(count))))


async def measure_baseline_memory(count: int) -> float:
    port = free_port()
    with running(baseline_argv("echo", port), port) as proc:
        connections = await _hold_bare_connections(f"ws://127.0.0.1:{port}", count)
        await asyncio.sleep(1)
        rss = psutil.Process(proc.pid).memory_info().rss / 2**20
        for ws in connections:
            ws.transport.abort()  # type: ignore[attr-defined]
    return float(rss)


async def measure_collector(count: int) -> None:
    ocpp_port, metrics_port = free_port(), free_port()
    url = f"ws://127.0.0.1:{ocpp_port}"
    metrics_url = f"http://127.0.0.1:{metrics_port}/metrics"
    with running(collector_argv(ocpp_port, metrics_port), ocpp_port) as proc:
        fleet = SimulatedFleet(url, count, scenario="normal", seed=1, ramp_per_second=2000)
        async with httpx.AsyncClient(timeout=30) as client:
            started = time.monotonic()
            await fleet.start()
            await _wait_registered(client, metrics_url, count, 0, 0, within=120)
            print(
                f"{count} chargers connected and registered in {time.monotonic() - started:.1f} s"
            )
            await asyncio.sleep(2)
            rss = psutil.Process(proc.pid).memory_info().rss / 2**20
            print(f"collector resident memory: {rss:.0f} MB (target <= 500 MB)")

            baseline_rtts = await _child("heartbeat", url, 5.0)
            pauses_before = _gc_pauses((await client.get(metrics_url)).text)
            scraped_rtts, scrape_times = await asyncio.gather(
                _child("heartbeat", url, 5.0), _child("scrape", metrics_url, 5.0)
            )
            pauses = _gc_pauses((await client.get(metrics_url)).text) - pauses_before
            lag = max(scraped_rtts) - statistics.median(baseline_rtts)
            print(
                f"/metrics scrape over HTTP: median {statistics.median(scrape_times) * 1000:.0f} ms"
                f" over {len(scrape_times)} scrapes"
            )
            print(
                f"OCPP Heartbeat reply: median {statistics.median(baseline_rtts) * 1000:.1f} ms"
                f" without scrapes, worst {max(scraped_rtts) * 1000:.1f} ms during scrapes"
                f" -> loop lag {lag * 1000:.1f} ms (target <= 50 ms)"
            )
            print(
                f"  Heartbeats over 50 ms: {_slow(baseline_rtts)} of {len(baseline_rtts)} without"
                f" scrapes (worst {max(baseline_rtts) * 1000:.1f} ms), {_slow(scraped_rtts)} of"
                f" {len(scraped_rtts)} during scrapes; collector GC pauses over 25 ms during"
                f" scrapes: {dict(pauses) or 'none'}"
            )

            _, boots, statuses = _registered((await client.get(metrics_url)).text)
            storm_start = time.monotonic()
            fleet.reconnect_storm()
            seconds = await _wait_registered(client, metrics_url, count, boots, statuses, 120)
            print(
                f"reconnect storm: {count} chargers re-registered (connect, Boot, Status) in"
                f" {seconds:.1f} s (target <= 30 s; includes the simulator's reconnect jitter,"
                f" {time.monotonic() - storm_start:.1f} s wall)"
            )
        await fleet.stop()
    baseline = await measure_baseline_memory(count)
    print(f"bare websockets server with {count} connections: {baseline:.0f} MB")
    print(f"collector / bare websockets memory = {rss / baseline:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chargers", type=int, default=10_000)
    args = parser.parse_args()
    asyncio.run(measure_collector(args.chargers))


if __name__ == "__main__":
    main()

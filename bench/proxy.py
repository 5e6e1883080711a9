"""Proxy mode (``chargekeeper exporter --upstream``) against baselines measured in the same run.

    python -m bench.proxy [--chargers 10000] [--seconds 10] [--rounds 5] [--quick]

Every server is its own process: a minimal fast CSMS (``bench._proxy_peers csms``), the
collector in proxy mode in front of it, and a bare websocket relay (``bench._proxy_peers
relay``) in front of the same CSMS; this process generates the load. Targets (issue 16):

- added latency: OCPP round trips (charger -> CSMS -> charger, MeterValues) at 1,000 msg/s
  through the proxy against a direct connection to the CSMS; p99 added at most 2 ms;
- throughput: at least 0.7x the bare relay relaying the same closed-loop load, per second of
  the relaying process's CPU (on two shared cores the wall-clock rate partly measures the load
  generator and the CSMS; it is printed beside it);
- memory: ``--chargers`` chargers proxied by one process (two sockets each), resident memory at
  most 2.5x the bare relay's with the same chargers;
- CSMS restart: with ``--chargers`` simulated chargers proxied, the CSMS is stopped (1001 to
  every leg) and started again; every charger, whose leg the proxy then closes, reconnects with
  the simulator's jitter and backoff, and must be booted through the proxy again within 60 s.

Direct and proxied (and relay and proxy) are measured in interleaved rounds, so a load swing
on a shared machine weighs on both alike. ``--quick`` is a smoke run (200 chargers, 1 s).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import resource
import statistics
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import psutil
from prometheus_client.parser import text_string_to_metric_families
from websockets.asyncio.client import ClientConnection, connect

from bench._load import BOOT_PAYLOAD, METER_PAYLOAD, run_load
from bench._proxy_peers import OCPP16
from bench._servers import collector_argv, running
from bench.throughput import Tally, measure_round
from chargekeeper.net import free_port
from simulator.fleet import SimulatedFleet
from simulator.shared import ChargerState

LATENCY_RATE = 1000.0  # msg/s, the load for the added-latency figure
LATENCY_CHARGERS = 20  # OCPP allows one outstanding CALL per charger: 50 msg/s each
TARGET_P99_ADDED_MS = 2.0
TARGET_THROUGHPUT = 0.7
TARGET_MEMORY = 2.5
TARGET_RESTART_S = 60.0
OPEN_FILES_SPARE = 200  # beyond two sockets per charger: logs, the loop, the metrics server


def peer_argv(kind: str, port: int, *extra: str) -> list[str]:
    return [sys.executable, "-m", "bench._proxy_peers", kind, "--port", str(port), *extra]


def proxy_argv(port: int, csms_port: int, metrics_port: int | None = None) -> list[str]:
    metrics_port = metrics_port or free_port()
    return collector_argv(port, metrics_port, "--upstream", f"ws://127.0.0.1:{csms_port}")


def gc_pauses_over(metrics_url: str, seconds: float = 0.005) -> Counter[str]:
    """The collector's GC pauses longer than ``seconds`` so far, by generation: what tells a
    stall of the whole process from a slow relay in the latency figures."""
    over: Counter[str] = Counter()
    text = httpx.get(metrics_url, timeout=30).raise_for_status().text
    for family in text_string_to_metric_families(text):
        if family.name != "chargekeeper_exporter_gc_pause_seconds":
            continue
        counts = {
            s.labels["generation"]: s.value for s in family.samples if s.name.endswith("_count")
        }
        for sample in family.samples:
            if sample.name.endswith("_bucket") and float(sample.labels["le"]) == seconds:
                generation = sample.labels["generation"]
                over[f"gen{generation}"] = int(counts[generation] - sample.value)
    return over


def raise_open_files(chargers: int) -> None:
    """Let this process and its children hold two sockets per charger (the relays need that).

    Raising the hard limit needs root or CAP_SYS_RESOURCE; without them the run stops here
    with the limit to ask for, rather than failing half-way with EMFILE.
    """
    needed = 2 * chargers + OPEN_FILES_SPARE
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= needed:
        return
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, max(hard, needed)))
    except (ValueError, OSError) as exc:
        raise SystemExit(
            f"{chargers} chargers need {needed} open files per process; the limit is"
            f" {soft} (hard {hard}) and cannot be raised ({exc}): raise the hard limit first"
            f" (`ulimit -Hn {needed}` needs CAP_SYS_RESOURCE), or pass --chargers"
            f" {(hard - OPEN_FILES_SPARE) // 2} or fewer"
        ) from None


def percentile(values: list[float], fraction: float) -> float:
    return statistics.quantiles(values, n=1000, method="inclusive")[round(fraction * 1000) - 1]


# --- added latency ------------------------------------------------------------------------


async def _paced_charger(url: str, name: str, stop_at: float, rtts: list[float]) -> None:
    interval = LATENCY_CHARGERS / LATENCY_RATE
    loop = asyncio.get_running_loop()
    async with connect(f"{url}/{name}", subprotocols=OCPP16, compression=None) as ws:
        await ws.send(f'[2,"b","BootNotification",{BOOT_PAYLOAD}]')
        await ws.recv()
        due, n = loop.time(), 0
        while due < stop_at:
            n += 1
            behind = loop.time() >= due
            if not behind:
                await asyncio.sleep(due - loop.time())
            # A frame sent late because the previous reply was late counts from when it was due,
            # so a stall weighs on every frame it held up (no coordinated omission).
            start = due if behind else loop.time()
            await ws.send(f'[2,"{n}","MeterValues",{METER_PAYLOAD}]')
            reply = await ws.recv()
            if not (isinstance(reply, str) and reply.startswith("[3")):
                raise SystemExit(f"{url}: answered {reply!r:.80} instead of a CALLRESULT")
            rtts.append(loop.time() - start)
            due += interval


async def paced_round_trips(url: str, seconds: float) -> list[float]:
    """Round trips (s) of MeterValues sent at LATENCY_RATE msg/s, spread over a few chargers."""
    rtts: list[float] = []
    stop_at = asyncio.get_running_loop().time() + seconds

    # Start the chargers a fraction of an interval apart, so their frames interleave evenly.
    async def staggered(i: int) -> None:
        await asyncio.sleep(i / LATENCY_RATE)
        await _paced_charger(url, f"LAT-{i:03d}", stop_at, rtts)

    await asyncio.gather(*(staggered(i) for i in range(LATENCY_CHARGERS)))
    return rtts


def measure_latency(urls: dict[str, str], seconds: float, rounds: int) -> bool:
    """Round trips direct to the CSMS, through the bare relay and through the proxy."""
    samples: dict[str, list[float]] = {name: [] for name in urls}
    for url in urls.values():  # warm up: the collector imports proxy mode on first use
        asyncio.run(paced_round_trips(url, 1.0))
    names = list(urls)
    for round_ in range(rounds):
        for name in names[round_ % 3 :] + names[: round_ % 3]:
            samples[name] += asyncio.run(paced_round_trips(urls[name], seconds / rounds))
        print(f"latency round {round_ + 1}/{rounds} done", flush=True)
    p = {
        name: (percentile(rtts, 0.5) * 1000, percentile(rtts, 0.99) * 1000)
        for name, rtts in samples.items()
    }
    for name, (p50, p99) in p.items():
        print(
            f"{name:>10} round trip at {LATENCY_RATE:.0f} msg/s: p50 {p50:.2f} ms,"
            f" p99 {p99:.2f} ms ({len(samples[name])} frames)"
        )
    relay50, relay99 = (p["bare relay"][i] - p["direct"][i] for i in (0, 1))
    print(f"bare relay added latency per frame: p50 {relay50:+.2f} ms, p99 {relay99:+.2f} ms")
    added50, added99 = (p["proxy"][i] - p["direct"][i] for i in (0, 1))
    ok = added99 <= TARGET_P99_ADDED_MS
    print(
        f"proxy added latency per frame: p50 {added50:+.2f} ms, p99 {added99:+.2f} ms"
        f" (target p99 <= {TARGET_P99_ADDED_MS} ms): {'PASS' if ok else 'FAIL'}"
    )
    return ok


# --- throughput ---------------------------------------------------------------------------


def measure_throughput(
    relays: dict[str, tuple[int, int]], chargers: int, seconds: float, rounds: int
) -> bool:
    tallies = {name: Tally() for name in relays}
    for port, _ in relays.values():
        asyncio.run(run_load(f"ws://127.0.0.1:{port}", chargers, 1.0))  # warm up
    names = list(relays)
    for round_ in range(rounds):
        for name in names[round_ % 2 :] + names[: round_ % 2]:
            port, pid = relays[name]
            measure_round(name, port, pid, chargers, seconds / rounds, tallies[name])
        print(f"throughput round {round_ + 1}/{rounds} done", flush=True)
    for name, tally in tallies.items():
        print(
            f"{name:>10}: {tally.wall_rate:8.0f} MeterValues/s relayed wall clock,"
            f" {tally.cpu_rate:8.0f} per relaying CPU second"
        )
    ours, theirs = tallies["proxy"], tallies["bare relay"]
    ratio = ours.cpu_rate / theirs.cpu_rate
    ok = ratio >= TARGET_THROUGHPUT
    print(
        f"proxy / bare relay throughput = {ratio:.2f}x per CPU second"
        f" ({ours.wall_rate / theirs.wall_rate:.2f}x wall clock)"
        f" (target >= {TARGET_THROUGHPUT}x per CPU second): {'PASS' if ok else 'FAIL'}"
    )
    return ok


# --- memory -------------------------------------------------------------------------------


async def hold_booted(url: str, count: int) -> list[ClientConnection]:
    """``count`` chargers connected through ``url``, each having had its Boot answered."""
    slots = asyncio.Semaphore(200)

    async def one(i: int) -> ClientConnection:
        async with slots:
            ws = await connect(f"{url}/MEM-{i:05d}", subprotocols=OCPP16, compression=None)
            await ws.send(f'[2,"b","BootNotification",{BOOT_PAYLOAD}]')
            await ws.recv()
            return ws

    return list(await asyncio.gather(*(one(i) for i in range(count))))


async def resident_mb(url: str, pid: int, count: int) -> tuple[float, float]:
    """The relay's resident memory (MB) idle, and holding ``count`` booted chargers."""
    process = psutil.Process(pid)
    idle = process.memory_info().rss / 2**20
    connections = await hold_booted(url, count)
    await asyncio.sleep(1)  # let the relay settle (buffers freed, tasks parked)
    rss = process.memory_info().rss / 2**20
    for ws in connections:
        ws.transport.abort()
    return idle, rss


def measure_memory(csms_port: int, count: int) -> bool:
    rss: dict[str, float] = {}
    for name in ("bare relay", "proxy"):
        port = free_port()
        argv = (
            proxy_argv(port, csms_port)
            if name == "proxy"
            else peer_argv("relay", port, "--upstream", f"ws://127.0.0.1:{csms_port}")
        )
        with running(argv, port) as proc:
            started = time.monotonic()
            idle, rss[name] = asyncio.run(resident_mb(f"ws://127.0.0.1:{port}", proc.pid, count))
        print(
            f"{name:>10} with {count} chargers (2 sockets each): {rss[name]:.0f} MB resident"
            f" ({idle:.0f} MB idle, {(rss[name] - idle) * 1024 / count:.1f} KB per charger;"
            f" {time.monotonic() - started:.1f} s to connect and boot them)",
            flush=True,
        )
    ratio = rss["proxy"] / rss["bare relay"]
    ok = ratio <= TARGET_MEMORY
    print(
        f"proxy / bare relay memory = {ratio:.2f}x (target <= {TARGET_MEMORY}x):"
        f" {'PASS' if ok else 'FAIL'}"
    )
    return ok


# --- CSMS restart -------------------------------------------------------------------------


@dataclass
class Restart:
    seconds: float = 0.0
    boots_before: list[int] = field(default_factory=list)


def _connected(metrics: str) -> int:
    return sum(
        line.startswith("ocpp_charge_point_connected{") and line.endswith(" 1")
        for line in metrics.splitlines()
    )


async def _wait(fleet: SimulatedFleet, boots_before: list[int], within: float) -> float:
    """Seconds until every charger is booted again after ``boots_before``."""
    start = time.monotonic()
    while time.monotonic() - start < within:
        if all(
            c.state is ChargerState.BOOTED and c.boots > before
            for c, before in zip(fleet.chargers, boots_before, strict=True)
        ):
            return time.monotonic() - start
        await asyncio.sleep(0.1)
    summary = "; ".join(fleet.summary().lines())
    raise SystemExit(f"not every charger was proxied again within {within:.0f} s: {summary}")


@contextlib.contextmanager
def _csms(port: int) -> Iterator[None]:
    with running(peer_argv("csms", port), port):
        yield


def measure_restart(count: int) -> bool:
    csms_port, port = free_port(), free_port()
    url = f"ws://127.0.0.1:{port}"

    async def run() -> float:
        fleet = SimulatedFleet(url, count, scenario="idle", seed=1, ramp_per_second=2000)
        try:
            with _csms(csms_port):
                await fleet.start()
                await fleet.wait_ready(within=120)
                print(f"{count} simulated chargers proxied and booted", flush=True)
                boots_before = [c.boots for c in fleet.chargers]
                stopped = time.monotonic()
            # Leaving the block stopped the CSMS (1001 to every upstream leg); start it again.
            with _csms(csms_port):
                print(
                    f"CSMS stopped and started again in {time.monotonic() - stopped:.1f} s",
                    flush=True,
                )
                await _wait(fleet, boots_before, within=TARGET_RESTART_S * 3)
                seconds = time.monotonic() - stopped
                async with httpx.AsyncClient(timeout=30) as client:
                    metrics = (await client.get(metrics_url)).text
                if _connected(metrics) < count:
                    raise SystemExit(
                        f"the collector shows {_connected(metrics)} of {count} chargers connected"
                    )
                return seconds
        finally:
            await fleet.stop()

    metrics_port = free_port()
    metrics_url = f"http://127.0.0.1:{metrics_port}/metrics"
    argv = collector_argv(port, metrics_port, "--upstream", f"ws://127.0.0.1:{csms_port}")
    with running(argv, port):
        seconds = asyncio.run(run())
    ok = seconds <= TARGET_RESTART_S
    print(
        f"CSMS restart: all {count} chargers proxied and booted again {seconds:.1f} s after"
        f" the CSMS stopped (target <= {TARGET_RESTART_S:.0f} s): {'PASS' if ok else 'FAIL'}"
    )
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chargers", type=int, default=10_000, help="memory and restart")
    parser.add_argument("--load-chargers", type=int, default=50, help="throughput load")
    parser.add_argument("--seconds", type=float, default=10.0, help="per figure and server")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--quick", action="store_true", help="smoke run for CI: 200 chargers, 1 s, 2 rounds"
    )
    args = parser.parse_args()
    if args.quick:
        args.chargers, args.load_chargers, args.seconds, args.rounds = 200, 20, 1.0, 2
    raise_open_files(args.chargers)

    results = []
    csms_port = free_port()
    with contextlib.ExitStack() as stack:
        stack.enter_context(_csms(csms_port))
        csms_url = f"ws://127.0.0.1:{csms_port}"
        relays: dict[str, tuple[int, int]] = {}
        metrics_url = f"http://127.0.0.1:{(metrics_port := free_port())}/metrics"
        for name in ("bare relay", "proxy"):
            port = free_port()
            argv = (
                proxy_argv(port, csms_port, metrics_port)
                if name == "proxy"
                else peer_argv("relay", port, "--upstream", csms_url)
            )
            relays[name] = (port, stack.enter_context(running(argv, port)).pid)
        urls = {"direct": csms_url}
        urls.update({name: f"ws://127.0.0.1:{port}" for name, (port, _) in relays.items()})
        pauses_before = gc_pauses_over(metrics_url)
        results.append(measure_latency(urls, args.seconds, args.rounds))
        pauses = gc_pauses_over(metrics_url) - pauses_before
        print(f"  proxy GC pauses over 5 ms during the latency rounds: {dict(pauses) or 'none'}")
        results.append(measure_throughput(relays, args.load_chargers, args.seconds, args.rounds))
    with _csms(csms_port):
        results.append(measure_memory(csms_port, args.chargers))
    results.append(measure_restart(args.chargers))
    print(f"proxy benchmark: {sum(results)} of {len(results)} targets met")


if __name__ == "__main__":
    main()

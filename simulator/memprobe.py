"""Measure the simulator's resident memory per connected charger.

    python -m simulator.memprobe --chargers 2000 [--protocol 1.6] [--scenario idle]

Starts a minimal OCPP responder (plain websockets, in a child process so its memory is not
counted), connects the fleet, waits until every charger is booted, and prints the growth of this
process's RSS (psutil) divided by the number of chargers.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import subprocess
import sys
import time
from datetime import UTC, datetime

import psutil
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from chargekeeper.net import free_port
from simulator.fleet import SimulatedFleet, raise_open_file_limit


def _reply(action: str) -> dict[str, object]:
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    if action == "BootNotification":
        return {"currentTime": now, "interval": 300, "status": "Accepted"}
    if action == "Heartbeat":
        return {"currentTime": now}
    if action == "StartTransaction":
        return {"transactionId": 1, "idTagInfo": {"status": "Accepted"}}
    return {}


async def _responder(ws: ServerConnection) -> None:
    try:
        async for raw in ws:
            message = json.loads(raw)
            if message[0] == 2:
                await ws.send(json.dumps([3, message[1], _reply(message[2])]))
    except ConnectionClosed:
        pass


async def _serve(port: int) -> None:
    raise_open_file_limit()
    async with serve(
        _responder,
        "127.0.0.1",
        port,
        subprotocols=["ocpp1.6", "ocpp2.0.1"],  # type: ignore[list-item]
        ping_interval=None,
        compression=None,
        backlog=4096,
    ):
        print("ready", flush=True)
        await asyncio.Future()


def _rss() -> int:
    gc.collect()
    return int(psutil.Process().memory_info().rss)


async def _measure(port: int, chargers: int, protocol: str, scenario: str) -> None:
    # Build one small fleet first so that imports, code objects and the loop are warm.
    warm = SimulatedFleet(f"ws://127.0.0.1:{port}", 10, protocol=protocol, scenario=scenario)
    await warm.start()
    await warm.wait_ready(within=30)
    await warm.stop()
    before = _rss()
    fleet = SimulatedFleet(
        f"ws://127.0.0.1:{port}", chargers, protocol=protocol, scenario=scenario, id_prefix="MEM"
    )
    began = time.monotonic()
    await fleet.start()
    await fleet.wait_ready(within=max(60.0, chargers / 50))
    ready_s = time.monotonic() - began
    await asyncio.sleep(2.0)  # a few heartbeats and scenario steps
    after = _rss()
    await fleet.stop()
    per_charger = (after - before) / chargers
    print(
        f"{chargers} chargers ({protocol}, {scenario}) booted in {ready_s:.1f}s; "
        f"RSS {before / 2**20:.1f} MiB -> {after / 2**20:.1f} MiB: "
        f"{per_charger / 1024:.1f} KiB per charger"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--chargers", type=int, default=2000)
    parser.add_argument("--protocol", default="1.6", choices=("1.6", "2.0.1"))
    parser.add_argument("--scenario", default="idle")
    parser.add_argument("--serve", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve is not None:
        asyncio.run(_serve(args.serve))
        return
    raise_open_file_limit()
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 - fixed argv: this interpreter and module
        [sys.executable, "-m", "simulator.memprobe", "--serve", str(port)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        if server.stdout.readline().strip() != "ready":
            raise SystemExit("the OCPP responder did not start")
        asyncio.run(_measure(port, args.chargers, args.protocol, args.scenario))
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()

"""Child processes for the scale benchmark, kept apart from the simulator's event loop.

python -m bench._probe heartbeat WS_URL SECONDS   -> JSON list of Heartbeat round trips (s)
python -m bench._probe scrape HTTP_URL SECONDS    -> JSON list of /metrics scrape times (s)
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

import httpx
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol


async def heartbeat_rtts(url: str, seconds: float) -> list[float]:
    rtts = []
    async with connect(f"{url}/PROBE", subprotocols=[Subprotocol("ocpp1.6")]) as ws:
        await ws.send('[2,"b","BootNotification",{"chargePointVendor":"P","chargePointModel":"P"}]')
        await ws.recv()
        stop_at = time.monotonic() + seconds
        n = 0
        while time.monotonic() < stop_at:
            n += 1
            start = time.perf_counter()
            await ws.send(f'[2,"{n}","Heartbeat",{{}}]')
            await ws.recv()
            rtts.append(time.perf_counter() - start)
            await asyncio.sleep(0.005)
    return rtts


def scrape_times(url: str, seconds: float) -> list[float]:
    times = []
    stop_at = time.monotonic() + seconds
    with httpx.Client(timeout=30) as client:
        while time.monotonic() < stop_at:
            start = time.perf_counter()
            client.get(url).raise_for_status()
            times.append(time.perf_counter() - start)
    return times


if __name__ == "__main__":
    kind, url, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
    if kind == "heartbeat":
        result = asyncio.run(heartbeat_rtts(url, seconds))
    else:
        result = scrape_times(url, seconds)
    print(json.dumps(result))

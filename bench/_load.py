"""A lean OCPP 1.6 load generator: many chargers, each sending MeterValues one after another.

OCPP allows one outstanding CALL per charger, so throughput comes from many concurrent
chargers. Frames are prepared once and only the message id changes, so the generator spends
its time in websockets, not in building payloads.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass

from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

# Eight sampled values, as a DC charger's periodic MeterValues typically carries.
SAMPLED_VALUES = [
    {"value": "51234.5", "measurand": "Energy.Active.Import.Register", "unit": "Wh"},
    {"value": "48200", "measurand": "Power.Active.Import", "unit": "W"},
    {"value": "57", "measurand": "SoC", "unit": "Percent", "location": "EV"},
    {"value": "69.1", "measurand": "Current.Import", "phase": "L1", "unit": "A"},
    {"value": "69.4", "measurand": "Current.Import", "phase": "L2", "unit": "A"},
    {"value": "68.8", "measurand": "Current.Import", "phase": "L3", "unit": "A"},
    {"value": "231.2", "measurand": "Voltage", "phase": "L1-N", "unit": "V"},
    {"value": "31.5", "measurand": "Temperature", "unit": "Celsius", "location": "Body"},
]
METER_PAYLOAD = json.dumps(
    {
        "connectorId": 1,
        "transactionId": 1,
        "meterValue": [
            {
                "timestamp": "2026-11-25T12:00:00Z",
                "sampledValue": SAMPLED_VALUES,
            }
        ],
    },
    separators=(",", ":"),
)
BOOT_PAYLOAD = '{"chargePointVendor":"Bench","chargePointModel":"Load-1"}'


@dataclass
class LoadResult:
    replies: int
    errors: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.replies / self.seconds


async def _charger(url: str, index: int, stop_at: float, result: LoadResult) -> None:
    async with connect(
        f"{url}/BENCH-{index:05d}",
        subprotocols=[Subprotocol("ocpp1.6")],
        compression=None,
    ) as ws:
        await ws.send(f'[2,"b{index}","BootNotification",{BOOT_PAYLOAD}]')
        await ws.recv()
        n = 0
        while time.monotonic() < stop_at:
            n += 1
            await ws.send(f'[2,"{n}","MeterValues",{METER_PAYLOAD}]')
            reply = await ws.recv()
            if isinstance(reply, str) and reply.startswith("[3"):
                result.replies += 1
            else:
                result.errors += 1


async def run_load(url: str, chargers: int, seconds: float) -> LoadResult:
    """Drive ``chargers`` concurrent connections for ``seconds`` and count CALLRESULTs."""
    result = LoadResult(replies=0, errors=0, seconds=seconds)
    stop_at = time.monotonic() + seconds
    await asyncio.gather(*(_charger(url, i, stop_at, result) for i in range(chargers)))
    return result

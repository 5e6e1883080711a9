"""Reading what simulated chargers sent, as recorded by the test central system."""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from simulator.charger import SimulatedCharger
from simulator.fleet import SimulatedFleet
from simulator.shared import ChargerState
from tests.simulator.central import CentralSystem

T = TypeVar("T")


async def eventually(condition: Callable[[], bool], within: float = 10.0, what: str = "") -> None:
    """Poll ``condition`` until it holds; fail the test with ``what`` when it never does."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"not within {within}s: {what or condition}")
        await asyncio.sleep(0.02)


async def eventually_each(
    items: Iterable[T], condition: Callable[[T], bool], within: float = 10.0, what: str = ""
) -> None:
    """``eventually`` for every item in turn: ``condition(item)`` must come to hold."""
    for item in items:
        await eventually(functools.partial(condition, item), within, f"{what} ({item})")


def calls(central: CentralSystem, charge_point_id: str, action: str | None = None) -> list[Any]:
    """Every CALL the charger sent over all its connections, as (action, payload)."""
    found = []
    for direction, text in central.all_frames(charge_point_id):
        message = json.loads(text)
        if direction == "in" and message[0] == 2 and (action is None or message[2] == action):
            found.append((message[2], message[3]))
    return found


def samples(
    central: CentralSystem, charge_point_id: str, connector: int | None = None
) -> list[dict[str, float]]:
    """Meter readings in order, measurand -> value, from MeterValues and TransactionEvent.

    ``connector`` keeps one connector's (1.6) or EVSE's (2.0.1) readings only.
    """
    readings = []
    for action, payload in calls(central, charge_point_id):
        if action not in ("MeterValues", "TransactionEvent"):
            continue
        where = payload.get("connectorId", payload.get("evseId", payload.get("evse", {}).get("id")))
        if connector is not None and where != connector:
            continue
        for meter_value in payload.get("meterValue", []):
            readings.append(
                {sv["measurand"]: float(sv["value"]) for sv in meter_value["sampledValue"]}
            )
    return readings


def statuses(central: CentralSystem, charge_point_id: str, connector: int) -> list[str]:
    """Connector statuses in order (1.6 ``status``, 2.0.1 ``connectorStatus``)."""
    found = []
    for _, payload in calls(central, charge_point_id, "StatusNotification"):
        if payload.get("connectorId") == connector and "status" in payload:
            found.append(payload["status"])
        elif payload.get("evseId") == connector:
            found.append(payload["connectorStatus"])
    return found


def without_timestamps(value: Any) -> Any:
    """A frame payload with every wall-clock field removed (what a seed cannot fix)."""
    if isinstance(value, dict):
        return {
            key: without_timestamps(item)
            for key, item in value.items()
            if key not in ("timestamp", "generatedAt", "currentTime")
        }
    if isinstance(value, list | tuple):
        return [without_timestamps(item) for item in value]
    return value


def ids(fleet: SimulatedFleet) -> list[str]:
    return [charger.charge_point_id for charger in fleet.chargers]


def state_of(charger: SimulatedCharger) -> ChargerState:
    """The charger's state, read through a call so mypy does not narrow it across awaits."""
    return charger.state


async def ready_fleet(
    central: CentralSystem,
    count: int,
    protocol: str = "1.6",
    scenario: str = "idle",
    seed: int = 5,
    time_scale: float = 1200,  # simulated seconds per second: a 60 s meter interval every 50 ms
) -> SimulatedFleet:
    """A started fleet whose chargers are all connected and booted."""
    fleet = SimulatedFleet(
        central.url,
        count,
        protocol=protocol,
        scenario=scenario,
        seed=seed,
        time_scale=time_scale,
        call_timeout=5,
    )
    await fleet.start()
    await fleet.wait_ready(within=10)
    return fleet

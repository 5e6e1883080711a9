"""The fleet API: explicit fault injection, determinism, and broken central systems."""

from __future__ import annotations

import json

import pytest

from simulator.fleet import FleetConfigError, SimulatedFleet
from simulator.shared import ChargerState
from tests.simulator.central import CentralSystem, Mode
from tests.simulator.helpers import (
    calls,
    eventually,
    eventually_each,
    ids,
    ready_fleet,
    samples,
    state_of,
    statuses,
    without_timestamps,
)
from tests.simulator.schemas import charger_frames_invalid, errors_from_central


@pytest.mark.parametrize("protocol", ["1.6", "2.0.1"])
async def test_fault_and_clear_fault_send_the_given_codes(
    central: CentralSystem, protocol: str
) -> None:
    fleet = await ready_fleet(central, 1, protocol)
    charger = fleet.chargers[0]
    cp = charger.charge_point_id
    try:
        await charger.fault(1, "GroundFailure", "ABB", "0x0002", "residual current")
        await charger.clear_fault(1)
    finally:
        await fleet.stop()
    assert statuses(central, cp, 1)[-2:] == ["Faulted", "Available"]
    if protocol == "1.6":
        faulted, cleared = [p for _, p in calls(central, cp, "StatusNotification")][-2:]
        assert faulted["errorCode"] == "GroundFailure"
        assert faulted["vendorId"] == "ABB"
        assert faulted["vendorErrorCode"] == "0x0002"
        assert faulted["info"] == "residual current"
        assert cleared["errorCode"] == "NoError"
    else:
        raised, cleared = [p["eventData"][0] for _, p in calls(central, cp, "NotifyEvent")]
        assert raised["techCode"] == "0x0002"
        assert raised["techInfo"] == "residual current"
        assert cleared["cleared"] is True
    frames = central.all_frames(cp)
    assert charger_frames_invalid(frames, protocol) == []
    assert errors_from_central(frames) == []


async def test_disconnect_reconnect_reboot_and_lose_link(central: CentralSystem) -> None:
    fleet = await ready_fleet(central, 1)
    charger = fleet.chargers[0]
    cp = charger.charge_point_id
    try:
        await charger.disconnect()
        await eventually(lambda: central.peers[cp][0].done.is_set(), what="closed")
        assert central.peers[cp][0].close_code == 1000
        assert state_of(charger) is ChargerState.OFFLINE
        charger.reconnect()
        await fleet.wait_ready(within=5)

        charger.reboot()
        await eventually(lambda: len(central.peers[cp]) == 3, what="reboots")
        await fleet.wait_ready(within=5)
        assert central.peers[cp][1].close_code == 1006, "a power cut sends no close frame"

        charger.lose_link()
        assert state_of(charger) is ChargerState.SILENT
        sent = len(central.peers[cp][2].frames)
        await charger.fault(1, "OtherError")  # nothing can be sent while the link is dead
        assert len(central.peers[cp][2].frames) == sent
        charger.reconnect()
        await eventually(lambda: len(central.peers[cp]) == 4, what="back after the link loss")
        await fleet.wait_ready(within=5)
        # The fault that happened offline is reported after the next boot.
        assert central.latest(cp).calls("StatusNotification")[-1][1]["status"] == "Faulted"
    finally:
        await fleet.stop()
    assert [peer.calls("BootNotification") != [] for peer in central.peers[cp]] == [True] * 4


async def test_stall_soc_and_zero_power_on_demand(central: CentralSystem) -> None:
    fleet = await ready_fleet(central, 2, scenario="soc-stall")  # DC chargers
    stalled, unpowered = fleet.chargers
    try:
        await eventually_each(ids(fleet), lambda cp: len(samples(central, cp)) >= 2)
        stalled.stall_soc(1)
        unpowered.zero_power(1)
        marks = {
            c.charge_point_id: len(samples(central, c.charge_point_id)) for c in fleet.chargers
        }
        await eventually_each(ids(fleet), lambda cp: len(samples(central, cp)) >= marks[cp] + 4)
    finally:
        await fleet.stop()
    after_stall = samples(central, stalled.charge_point_id)[marks[stalled.charge_point_id] :]
    assert len({r["SoC"] for r in after_stall}) == 1
    after_zero = samples(central, unpowered.charge_point_id)[marks[unpowered.charge_point_id] :]
    assert {r["Power.Active.Import"] for r in after_zero} == {0.0}


async def test_reconnect_storm_all_chargers_register_again(central: CentralSystem) -> None:
    fleet = await ready_fleet(central, 30)
    try:
        fleet.reconnect_storm()
        assert fleet.summary().booted < 30, "booted count drops at once"
        await fleet.wait_ready(within=10)
    finally:
        await fleet.stop()
    assert all(len(central.peers[c.charge_point_id]) == 2 for c in fleet.chargers)
    assert fleet.summary().boots == 60


CALLS_COMPARED = 12


async def frames_of_a_run(seed: int, protocol: str) -> dict[str, list[object]]:
    """The first CALLs each charger sent in a fresh run, without wall-clock fields."""
    central = CentralSystem()
    async with central.running():
        fleet = await ready_fleet(central, 3, protocol, "normal", seed, time_scale=3000)
        try:
            await eventually_each(
                ids(fleet), lambda cp: len(calls(central, cp)) > CALLS_COMPARED, what="calls"
            )
        finally:
            await fleet.stop()
        return {
            c.charge_point_id: [
                without_timestamps(call)
                for call in calls(central, c.charge_point_id)[:CALLS_COMPARED]
            ]
            for c in fleet.chargers
        }


@pytest.mark.parametrize("protocol", ["1.6", "2.0.1"])
async def test_same_seed_same_frames(protocol: str) -> None:
    first = await frames_of_a_run(11, protocol)
    second = await frames_of_a_run(11, protocol)
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)
    other = await frames_of_a_run(12, protocol)
    assert json.dumps(first, sort_keys=True) != json.dumps(other, sort_keys=True)


@pytest.mark.parametrize("mode", ["callerror", "silent"])
async def test_keeps_retrying_boot_when_the_central_system_fails(mode: Mode) -> None:
    central = CentralSystem(mode=mode)
    async with central.running():
        fleet = SimulatedFleet(
            central.url, 2, scenario="normal", time_scale=1200, call_timeout=0.1, seed=1
        )
        await fleet.start()
        try:
            await fleet.wait_connected(within=5)
            await eventually_each(
                ids(fleet),
                lambda cp: len(calls(central, cp, "BootNotification")) >= 3,
                what="BootNotification retried",
            )
            assert all(c.state is ChargerState.CONNECTED for c in fleet.chargers)
        finally:
            await fleet.stop()
    summary = fleet.summary()
    assert summary.boots == 0
    # Three BootNotifications each were sent; the last may still have been waiting at stop().
    if mode == "callerror":
        assert summary.call_errors >= 4
        assert summary.failures["BootNotification answered with CALLERROR InternalError"] >= 4
    else:
        assert summary.call_timeouts >= 4
        assert summary.failures["BootNotification unanswered"] >= 4


async def test_keeps_charging_when_everything_but_boot_fails() -> None:
    central = CentralSystem(mode="boot-only")
    async with central.running():
        fleet = SimulatedFleet(central.url, 2, scenario="normal", time_scale=1200, call_timeout=1)
        await fleet.start()
        try:
            await fleet.wait_ready(within=5)
            for charger in fleet.chargers:
                charger.plug_in(1)
            await eventually_each(
                ids(fleet),
                lambda cp: len(samples(central, cp)) >= 5,
                what="meter values despite CALLERRORs",
            )
        finally:
            await fleet.stop()
    assert fleet.summary().call_errors >= 10
    for charger in fleet.chargers:
        # Without a StartTransaction result there is no transactionId to quote.
        meter_values = calls(central, charger.charge_point_id, "MeterValues")
        assert all("transactionId" not in payload for _, payload in meter_values)
        assert charger_frames_invalid(central.all_frames(charger.charge_point_id), "1.6") == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"url": "http://x"}, "must start with ws:// or wss://"),
        ({"count": 0}, "at least 1"),
        ({"protocol": "2.0"}, "protocol '2.0'"),
        ({"scenario": "chaos"}, "scenario 'chaos' is unknown"),
        ({"id_prefix": "a/b"}, "may only contain"),
        ({"id_prefix": "x" * 50}, "shorter id prefix"),
    ],
)
def test_bad_fleet_parameters_are_named(kwargs: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {"url": "ws://127.0.0.1:1", "count": 1, **kwargs}
    with pytest.raises(FleetConfigError, match=message):
        SimulatedFleet(**arguments)  # type: ignore[arg-type]

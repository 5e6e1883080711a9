"""Scenarios against a reference central system (the ``ocpp`` library) over real websockets.

Every test also checks that each frame the chargers sent validates against the ``ocpp``
package's schemas and that the library never answered with a CALLERROR.
"""

from __future__ import annotations

import asyncio

import pytest

from simulator.fleet import SimulatedFleet
from simulator.identities import FAULT_SHOWCASE, Supply
from simulator.shared import ChargerState
from tests.simulator.central import CentralSystem
from tests.simulator.helpers import (
    calls,
    eventually,
    eventually_each,
    ids,
    ready_fleet,
    samples,
    state_of,
    statuses,
)
from tests.simulator.schemas import charger_frames_invalid, errors_from_central


def assert_frames_valid(central: CentralSystem, fleet: SimulatedFleet) -> None:
    for charger in fleet.chargers:
        frames = central.all_frames(charger.charge_point_id)
        assert frames, f"{charger.charge_point_id} sent nothing"
        assert charger_frames_invalid(frames, fleet.protocol) == []
        assert errors_from_central(frames) == []


SEED = 7


def meter_frames(central: CentralSystem, charge_point_id: str) -> int:
    return len(samples(central, charge_point_id))


@pytest.mark.parametrize("protocol", ["1.6", "2.0.1"])
async def test_normal_sessions_have_realistic_meter_values(
    central: CentralSystem, protocol: str
) -> None:
    fleet = await ready_fleet(central, 6, protocol, "normal", SEED)
    try:
        for charger in fleet.chargers:
            charger.plug_in(1)  # a vehicle now rather than after a random wait
        await eventually_each(
            ids(fleet), lambda cp: meter_frames(central, cp) >= 6, what="sends meter values"
        )
    finally:
        await fleet.stop()
    assert_frames_valid(central, fleet)
    for charger in fleet.chargers:
        for connector in charger.connectors:
            energy = [
                r["Energy.Active.Import.Register"]
                for r in samples(central, charger.charge_point_id, connector.id)
            ]
            assert energy == sorted(energy), "the energy register never goes backwards"
        readings = samples(central, charger.charge_point_id)
        assert all(0 <= r["Power.Active.Import"] <= charger.identity.max_power_w for r in readings)
        with_soc = [r for r in readings if "SoC" in r]
        if charger.identity.supply is Supply.DC:
            assert with_soc, f"DC charger {charger.identity.model} reports SoC"
            assert all(0 <= r["SoC"] <= 100 for r in with_soc)
        else:
            assert with_soc == [], f"AC charger {charger.identity.model} cannot know the SoC"


async def test_ac_no_soc_never_sends_soc_and_draws_constant_power(central: CentralSystem) -> None:
    fleet = await ready_fleet(central, 4, "1.6", "ac-no-soc", SEED)
    try:
        for charger in fleet.chargers:
            charger.plug_in(1)
        await eventually_each(ids(fleet), lambda cp: meter_frames(central, cp) >= 5)
    finally:
        await fleet.stop()
    assert_frames_valid(central, fleet)
    for charger in fleet.chargers:
        assert charger.identity.supply is Supply.AC
        text = "".join(frame for _, frame in central.all_frames(charger.charge_point_id))
        assert '"SoC"' not in text
        # Each session draws one constant power (the vehicle's on-board charger limit).
        for _, payload in calls(central, charger.charge_point_id, "MeterValues"):
            (reading,) = payload["meterValue"]
            power = next(
                float(sv["value"])
                for sv in reading["sampledValue"]
                if sv["measurand"] == "Power.Active.Import"
            )
            assert power in (7400.0, 11000.0, 22000.0, 0.0)


@pytest.mark.parametrize("protocol", ["1.6", "2.0.1"])
async def test_vendor_fault_reports_each_vendors_own_code(
    central: CentralSystem, protocol: str
) -> None:
    fleet = await ready_fleet(
        central, len(FAULT_SHOWCASE), protocol, "vendor-fault", SEED, time_scale=3000
    )
    try:
        await eventually_each(
            fleet.chargers, lambda c: c.connector(1).fault is not None, what="faults"
        )
        await eventually_each(
            fleet.chargers, lambda c: c.connector(1).fault is None, what="clears its fault"
        )
        await eventually(
            lambda: all(meter_frames(central, c.charge_point_id) for c in fleet.chargers)
        )
    finally:
        await fleet.stop()
    assert_frames_valid(central, fleet)
    assert [c.identity for c in fleet.chargers] == list(FAULT_SHOWCASE)
    for charger in fleet.chargers:
        expected = charger.identity.faults[0]
        cp = charger.charge_point_id
        if protocol == "1.6":
            faulted = [
                p for _, p in calls(central, cp, "StatusNotification") if p["status"] == "Faulted"
            ]
            assert faulted[0]["errorCode"] == expected.error_code
            assert faulted[0]["vendorErrorCode"] == expected.vendor_error_code
            assert faulted[0].get("vendorId") == charger.identity.vendor_id
            after = statuses(central, cp, 1)
            assert after[after.index("Faulted") + 1] in ("Available", "Charging")
            cleared = [
                p
                for _, p in calls(central, cp, "StatusNotification")
                if p["connectorId"] == 1 and p["status"] != "Faulted"
            ]
            assert cleared[-1]["errorCode"] == "NoError"
        else:
            events = [p["eventData"][0] for _, p in calls(central, cp, "NotifyEvent")]
            assert events[0]["techCode"] == expected.vendor_error_code
            assert events[0]["actualValue"] == "true"
            assert events[0]["variable"]["name"] == "Problem"
            assert events[1]["cleared"] is True
            assert "Faulted" in statuses(central, cp, 1)


@pytest.mark.parametrize("protocol", ["1.6", "2.0.1"])
async def test_soc_stall_freezes_soc_while_charging(central: CentralSystem, protocol: str) -> None:
    fleet = await ready_fleet(central, 1, protocol, "soc-stall", SEED)
    (charger,) = fleet.chargers
    cp = charger.charge_point_id
    try:
        await eventually(lambda: charger.connector(1).soc_stalled, what="SoC stalls")
        stalled_at = meter_frames(central, cp)
        await eventually(lambda: meter_frames(central, cp) >= stalled_at + 5)
    finally:
        await fleet.stop()
    assert_frames_valid(central, fleet)
    assert charger.identity.supply is Supply.DC
    readings = samples(central, cp, 1)
    before, after = readings[: stalled_at - 1], readings[stalled_at:]
    assert before[-1]["SoC"] > before[0]["SoC"], "SoC rose before the stall"
    assert len({r["SoC"] for r in after}) == 1, "SoC does not move during the stall"
    assert all(r["Power.Active.Import"] > 0 for r in after), "power keeps flowing"
    assert after[-1]["SoC"] < 100
    assert statuses(central, cp, 1)[-1] in ("Charging", "Occupied")


@pytest.mark.parametrize("protocol", ["1.6", "2.0.1"])
async def test_power_zero_while_status_stays_charging(
    central: CentralSystem, protocol: str
) -> None:
    fleet = await ready_fleet(central, 1, protocol, "power-zero-while-charging", SEED)
    (charger,) = fleet.chargers
    cp = charger.charge_point_id
    try:
        await eventually(lambda: charger.connector(1).power_zero, what="power drops to zero")
        zero_from = meter_frames(central, cp)
        await eventually(lambda: meter_frames(central, cp) >= zero_from + 5)
    finally:
        await fleet.stop()
    assert_frames_valid(central, fleet)
    after = samples(central, cp, 1)[zero_from:]
    assert all(r["Power.Active.Import"] == 0 for r in after)
    assert len({r["Energy.Active.Import.Register"] for r in after}) == 1, "energy register flat"
    assert statuses(central, cp, 1)[-1] in ("Charging", "Occupied")
    assert charger.connector(1).in_transaction


async def test_clean_disconnect_closes_with_1000_and_comes_back(central: CentralSystem) -> None:
    fleet = await ready_fleet(central, 2, "1.6", "clean-disconnect", SEED, time_scale=3000)
    try:
        await eventually_each(
            ids(fleet),
            lambda cp: (
                len(central.peers[cp]) >= 2
                and len(central.latest(cp).calls("BootNotification")) == 1
            ),
            what="reconnects and boots again",
        )
    finally:
        await fleet.stop()
    assert_frames_valid(central, fleet)
    for charger in fleet.chargers:
        first = central.peers[charger.charge_point_id][0]
        assert first.close_code == 1000


async def test_silent_link_loss_stops_answering_pings() -> None:
    central = CentralSystem(ping_interval=0.05, ping_timeout=0.1)
    async with central.running():
        fleet = await ready_fleet(central, 1, "2.0.1", "silent-link-loss", SEED, time_scale=450)
        (charger,) = fleet.chargers
        cp = charger.charge_point_id
        try:
            await eventually(lambda: charger.state is ChargerState.SILENT, what="goes silent")
            first = central.peers[cp][0]
            frames_when_silent = len(first.frames)
            # The charger still holds the socket, so only the missing pongs can reveal it.
            await eventually(lambda: first.done.is_set(), within=3, what="central notices")
            assert state_of(charger) is ChargerState.SILENT
            assert len(first.frames) == frames_when_silent, "nothing sent while silent"
            assert first.close_code != 1000
            await eventually(lambda: len(central.peers[cp]) >= 2, what="comes back after the loss")
            await fleet.wait_ready(within=5)
        finally:
            await fleet.stop()
    assert_frames_valid(central, fleet)


async def test_boot_loop_flaps_with_watchdog_boots(central: CentralSystem) -> None:
    fleet = await ready_fleet(central, 1, "2.0.1", "boot-loop", SEED, time_scale=600)
    cp = fleet.chargers[0].charge_point_id
    try:
        await eventually(lambda: len(central.peers[cp]) >= 4, what="four connections")
    finally:
        await fleet.stop()
    assert_frames_valid(central, fleet)
    peers = central.peers[cp][:4]
    reasons = [peer.calls("BootNotification")[0][1]["reason"] for peer in peers]
    assert reasons == ["PowerUp", "Watchdog", "Watchdog", "Watchdog"]
    assert all(peer.close_code == 1006 for peer in peers[:3]), "dropped, not closed"


async def test_reconnect_storm_drops_the_fleet_at_once(central: CentralSystem) -> None:
    fleet = await ready_fleet(central, 8, "1.6", "reconnect-storm", SEED, time_scale=600)
    try:
        await eventually_each(
            ids(fleet),
            lambda cp: (
                len(central.peers[cp]) >= 2 and bool(central.latest(cp).calls("StatusNotification"))
            ),
            what="reconnects after the storm",
        )
    finally:
        await fleet.stop()
    assert_frames_valid(central, fleet)
    dropped = [central.peers[c.charge_point_id][0].closed_at or 0.0 for c in fleet.chargers]
    assert max(dropped) - min(dropped) < 0.5, "the whole fleet drops within half a second"


@pytest.mark.parametrize("protocol", ["1.6", "2.0.1"])
async def test_mixed_fleet_runs_every_kind_of_charger_with_valid_frames(
    central: CentralSystem, protocol: str
) -> None:
    fleet = SimulatedFleet(
        central.url, 60, protocol=protocol, scenario="mixed", seed=2, time_scale=900
    )
    await fleet.start()
    try:
        # Not wait_ready(): flapping chargers are rarely all booted at the same moment.
        await eventually(lambda: fleet.stats.boots >= 60, what="every charger booted once")
        await asyncio.sleep(1.0)
    finally:
        await fleet.stop()
    assert_frames_valid(central, fleet)
    roles = {charger.scenario.__name__ for charger in fleet.chargers}
    assert "normal" in roles
    assert len(roles) >= 4, roles
    assert fleet.summary().failures == {}

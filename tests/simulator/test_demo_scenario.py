"""The `demo` fleet scenario: `mixed`, with the first charger's critical fault a minute after
boot so that `chargekeeper up --demo` sends its first SMS within 3 minutes."""

from __future__ import annotations

from simulator.rng import SeededRng
from simulator.scenarios import EARLY_FAULT_AFTER_S, FAULT_AFTER_S, resolve
from tests.simulator.central import CentralSystem
from tests.simulator.helpers import calls, eventually, ready_fleet


def test_demo_is_mixed_but_for_its_first_charger() -> None:
    assert resolve("demo", 0, SeededRng(1, "LYON-0001/setup")).name == "early-vendor-fault"
    for index in range(1, 200):
        demo = resolve("demo", index, SeededRng(1, f"SIM{index}/setup"))
        assert demo == resolve("mixed", index, SeededRng(1, f"SIM{index}/setup"))


async def test_the_first_charger_reports_a_critical_code_about_a_minute_after_boot(
    central: CentralSystem,
) -> None:
    fleet = await ready_fleet(central, 2, "1.6", "demo", seed=1, time_scale=60)
    first = fleet.chargers[0]
    try:
        await eventually(lambda: first.connector(1).fault is not None, what="faults")
        faulted_at = first.simulated_time
    finally:
        await fleet.stop()
    low, high = EARLY_FAULT_AFTER_S
    # Polling and a loaded machine add a few simulated seconds; a plain vendor-fault charger
    # would not fault before FAULT_AFTER_S[0].
    assert low <= faulted_at <= high + 15 < FAULT_AFTER_S[0]
    faulted = [
        p
        for _, p in calls(central, first.charge_point_id, "StatusNotification")
        if p["status"] == "Faulted"
    ]
    assert first.identity.vendor == "alpitronic GmbH"
    # CX011 (DC insulation pre-test failed): critical in examples/demo/policy.yaml.
    assert [(p["errorCode"], p["vendorErrorCode"]) for p in faulted] == [("OtherError", "CX011")]

"""Named scenarios: what a simulated charger does once it is connected and booted.

A scenario script runs after every successful boot and may be interrupted at any moment by the
connection dropping; it then runs again after the next boot. What must survive a reconnect (a
session in progress, whether a fault already happened) lives on the charger and its connectors,
so the scripts are written to resume. All durations are simulated seconds: the fleet's
time-scale factor turns them into wall-clock time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from simulator.charger import Scenario, SimulatedCharger
from simulator.connection import Restart
from simulator.identities import (
    AC_IDENTITIES,
    ALL_IDENTITIES,
    ALPITRONIC_HYC,
    DC_IDENTITIES,
    FAULT_SHOWCASE,
    Identity,
)
from simulator.model import BootReason, StopReason
from simulator.rng import SeededRng

# A connector waits on average this long between sessions (simulated seconds).
MEAN_IDLE_S = 1800.0
# Faults last long enough for the default alert thresholds (minutes) to fire in the demo.
FAULT_AFTER_S = (120.0, 300.0)
# The demo's opening fault: a minute after boot, so that with the 30 s a surfaced code needs
# and the pipeline's seconds the first SMS lands within 3 minutes of `up --demo`.
EARLY_FAULT_AFTER_S = (45.0, 75.0)
FAULT_DURATION_S = 900.0
FAULT_EVERY_S = 3600.0
ONLINE_BEFORE_DISCONNECT_S = (120.0, 300.0)
OFFLINE_S = 600.0
SILENT_S = 900.0
SOC_STALL_AT = (0.40, 0.60)
ANOMALY_DURATION_S = 1800.0
ZERO_POWER_AFTER_S = (300.0, 600.0)
BOOT_LOOP_UPTIME_S = (20.0, 60.0)
BOOT_LOOP_DOWNTIME_S = (5.0, 15.0)
STORM_PERIOD_S = 600.0


async def _tick(charger: SimulatedCharger, plug_in: bool = True) -> None:
    """One meter interval: time passes, then every connector reports or changes state."""
    interval = float(charger.meter_interval)
    await charger.sleep(interval)
    chance = interval / MEAN_IDLE_S if plug_in else 0.0
    for connector in charger.connectors:
        await charger.step(connector, interval, chance)


def _first_sessions(charger: SimulatedCharger) -> None:
    """On the first connection, half the connectors already have a vehicle (busier demo)."""
    if charger.scenario_state == 0:
        charger.scenario_state = 1
        for connector in charger.connectors:
            if charger.rng.chance(0.5):
                charger.plug_in(connector.id)


async def idle(charger: SimulatedCharger) -> None:
    """Connected and heartbeating; sessions only when asked (remote start or plug_in())."""
    while True:
        await _tick(charger, plug_in=False)


async def normal(charger: SimulatedCharger) -> None:
    """Sessions with realistic power and (DC only) SoC curves; vehicles come and go."""
    _first_sessions(charger)
    while True:
        await _tick(charger)


async def vendor_fault(charger: SimulatedCharger) -> None:
    """Connector 1 faults with one of its vendor's codes, stays Faulted a while, then clears."""
    await _vendor_faults(charger, FAULT_AFTER_S)


async def early_vendor_fault(charger: SimulatedCharger) -> None:
    """vendor_fault, but the first fault comes about a minute after the first boot."""
    await _vendor_faults(charger, EARLY_FAULT_AFTER_S)


async def _vendor_faults(charger: SimulatedCharger, first_after: tuple[float, float]) -> None:
    connector = charger.connector(1)
    identity = charger.identity
    while True:
        if connector.fault is None:
            low, high = first_after
            wait = charger.rng.uniform(low, high) if charger.scenario_state == 0 else FAULT_EVERY_S
            await _run_for(charger, wait)
            # The first fault is the vendor's most characteristic code, so tests know what to
            # expect; later ones vary.
            index = (
                0 if charger.scenario_state == 0 else charger.rng.randrange(len(identity.faults))
            )
            charger.scenario_state += 1
            chosen = identity.faults[index]
            await charger.fault(
                1, chosen.error_code, identity.vendor_id, chosen.vendor_error_code, chosen.info
            )
        await _run_for(charger, FAULT_DURATION_S)
        await charger.clear_fault(1)


async def _run_for(charger: SimulatedCharger, seconds: float) -> None:
    """Keep ticking for about ``seconds``, then sleep the remainder exactly."""
    end = charger.simulated_time + seconds
    while charger.simulated_time + charger.meter_interval <= end:
        await _tick(charger)
    await charger.sleep_until(end)


async def clean_disconnect(charger: SimulatedCharger) -> None:
    """Online a few minutes, then a clean websocket close (1000) and a long absence."""
    low, high = ONLINE_BEFORE_DISCONNECT_S
    await _run_for(charger, charger.rng.uniform(low, high))
    raise Restart(offline_s=OFFLINE_S, abrupt=False, boot_reason=BootReason.POWER_UP)


async def silent_link_loss(charger: SimulatedCharger) -> None:
    """Online a few minutes, then the link dies without a close: no frames, no pongs."""
    low, high = ONLINE_BEFORE_DISCONNECT_S
    await _run_for(charger, charger.rng.uniform(low, high))
    await charger.go_silent_for(SILENT_S)


async def soc_stall(charger: SimulatedCharger) -> None:
    """A DC session whose SoC stops rising mid-way while the status stays Charging."""
    connector = charger.connector(1)
    stall_at = charger.rng.uniform(*SOC_STALL_AT)
    stalled_since: float | None = None
    if connector.session is None:
        charger.plug_in(1)
    while True:
        await _tick(charger, plug_in=False)
        session = connector.session
        if session is None:
            charger.plug_in(1)
            connector.soc_stalled = False
            stalled_since = None
            continue
        if not connector.soc_stalled and session.soc >= stall_at:
            connector.soc_stalled = True
        if connector.soc_stalled:
            stalled_since = stalled_since if stalled_since is not None else charger.simulated_time
            if charger.simulated_time - stalled_since >= ANOMALY_DURATION_S:
                await charger.end_session(connector, StopReason.EV_DISCONNECTED)


async def power_zero_while_charging(charger: SimulatedCharger) -> None:
    """A session that stops drawing power while its status stays Charging."""
    connector = charger.connector(1)
    if connector.session is None:
        charger.plug_in(1)
    while True:
        low, high = ZERO_POWER_AFTER_S
        await _run_for_session(charger, charger.rng.uniform(low, high))
        connector.power_zero = True
        await _run_for_session(charger, ANOMALY_DURATION_S)
        connector.power_zero = False
        if connector.session is not None:
            await charger.end_session(connector, StopReason.EV_DISCONNECTED)
        charger.plug_in(1)


async def _run_for_session(charger: SimulatedCharger, seconds: float) -> None:
    end = charger.simulated_time + seconds
    while charger.simulated_time < end:
        await _tick(charger, plug_in=False)


async def boot_loop(charger: SimulatedCharger) -> None:
    """A watchdog reset every minute or so: the charger flaps between online and offline."""
    low, high = BOOT_LOOP_UPTIME_S
    await charger.sleep(charger.rng.uniform(low, high))
    low, high = BOOT_LOOP_DOWNTIME_S
    raise Restart(
        offline_s=charger.rng.uniform(low, high), abrupt=True, boot_reason=BootReason.WATCHDOG
    )


async def reconnect_storm(charger: SimulatedCharger) -> None:
    """Normal sessions, but the whole fleet loses its connections at the same instants.

    Storms happen at multiples of STORM_PERIOD_S of fleet time, so every charger drops at the
    same wall-clock moment and reconnects after a few seconds of jitter.
    """
    _first_sessions(charger)
    storm_at = (charger.simulated_time // STORM_PERIOD_S + 1) * STORM_PERIOD_S
    while charger.simulated_time + charger.meter_interval < storm_at:
        await _tick(charger)
    await charger.sleep_until(storm_at)
    raise Restart(offline_s=charger.rng_jitter(), abrupt=True, boot_reason=BootReason.POWER_UP)


IdentityPicker = Callable[[int, SeededRng], Identity]


def _from(pool: tuple[Identity, ...]) -> IdentityPicker:
    return lambda _index, rng: rng.choice(pool)


def _rotating(pool: tuple[Identity, ...]) -> IdentityPicker:
    return lambda index, _rng: pool[index % len(pool)]


@dataclass(frozen=True, slots=True)
class ScenarioSpec:
    """A named scenario: the script each charger runs and which hardware it runs on."""

    name: str
    summary: str
    script: Scenario
    pick_identity: IdentityPicker


SCENARIOS: dict[str, ScenarioSpec] = {
    spec.name: spec
    for spec in (
        ScenarioSpec("idle", "no sessions unless started remotely", idle, _from(ALL_IDENTITIES)),
        ScenarioSpec(
            "normal", "sessions with realistic power and SoC", normal, _from(ALL_IDENTITIES)
        ),
        ScenarioSpec(
            "ac-no-soc", "AC chargers only: no SoC in MeterValues", normal, _from(AC_IDENTITIES)
        ),
        ScenarioSpec(
            "vendor-fault",
            "connector 1 Faulted with a manufacturer code, then cleared",
            vendor_fault,
            _rotating(FAULT_SHOWCASE),
        ),
        ScenarioSpec(
            "early-vendor-fault",
            "DC insulation fault (a critical manufacturer code) a minute after boot",
            early_vendor_fault,
            _from((ALPITRONIC_HYC,)),
        ),
        ScenarioSpec(
            "clean-disconnect",
            "websocket closed cleanly, back after 10 min",
            clean_disconnect,
            _from(ALL_IDENTITIES),
        ),
        ScenarioSpec(
            "silent-link-loss",
            "link dies without a close frame: no pongs",
            silent_link_loss,
            _from(ALL_IDENTITIES),
        ),
        ScenarioSpec(
            "soc-stall",
            "DC session whose SoC stops rising while Charging",
            soc_stall,
            _from(DC_IDENTITIES),
        ),
        ScenarioSpec(
            "power-zero-while-charging",
            "status Charging with no power flowing",
            power_zero_while_charging,
            _from(ALL_IDENTITIES),
        ),
        ScenarioSpec(
            "boot-loop", "watchdog reboot every minute (flapping)", boot_loop, _from(ALL_IDENTITIES)
        ),
        ScenarioSpec(
            "reconnect-storm",
            "whole fleet drops and reconnects every 10 min",
            reconnect_storm,
            _from(ALL_IDENTITIES),
        ),
    )
}

# The demo fleet: mostly healthy chargers, a few of each problem. Weights sum to 1.
MIXED_ROLES: tuple[tuple[float, str], ...] = (
    (0.78, "normal"),
    (0.05, "vendor-fault"),
    (0.03, "clean-disconnect"),
    (0.02, "silent-link-loss"),
    (0.05, "soc-stall"),
    (0.04, "power-zero-while-charging"),
    (0.03, "boot-loop"),
)
MIXED = "mixed"
# `mixed` whose first charger opens with a critical fault: the demo speaks within minutes.
DEMO = "demo"
SCENARIO_NAMES: tuple[str, ...] = (*SCENARIOS, MIXED, DEMO)


def resolve(name: str, index: int, rng: SeededRng) -> ScenarioSpec:
    """The scenario charger number ``index`` runs under the fleet scenario ``name``."""
    if name == DEMO:
        return SCENARIOS["early-vendor-fault"] if index == 0 else resolve(MIXED, index, rng)
    if name != MIXED:
        return SCENARIOS[name]
    draw = rng.random()
    for weight, role in MIXED_ROLES:
        if draw < weight:
            return SCENARIOS[role]
        draw -= weight
    return SCENARIOS["normal"]

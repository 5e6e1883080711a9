"""Charging sessions as a vehicle and charger would produce them: power, current, voltage, SoC.

DC: constant power up to about 80 % state of charge, then the battery management system tapers the
current down to about a tenth of the peak at 100 %. AC: the on-board charger draws constant power
and the charger never learns the state of charge (AC has no digital link to the battery).
Everything is computed from the simulated time step and the charger's seeded RNG, never from the
wall clock, so a seed always produces the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulator.identities import Identity, Supply
from simulator.rng import SeededRng

# Above this SoC lithium packs leave the constant-current phase; 80 % is what DC fast chargers
# commonly show as the knee of their power curve.
TAPER_START_SOC = 0.80
# Fraction of peak power still drawn at 100 % SoC.
TAPER_END_FRACTION = 0.10
NOMINAL_AC_VOLTAGE = 230.0


@dataclass(frozen=True, slots=True)
class Sample:
    """One meter reading for a connector."""

    energy_wh: float  # Energy.Active.Import.Register: monotonic over the charger's life
    power_w: float  # Power.Active.Import
    current_a: float  # Current.Import (per phase on AC)
    voltage_v: float
    soc_percent: int | None  # None on AC chargers


@dataclass(slots=True)
class ChargingSession:
    """One vehicle plugged into one connector, from plug-in to its target SoC."""

    supply: Supply
    battery_wh: float
    soc: float  # the vehicle's true state of charge, 0..1
    target_soc: float
    peak_power_w: float
    phases: int
    stalled_soc: bool = False  # the vehicle keeps reporting the same SoC
    zero_power: bool = False  # status stays Charging but nothing flows

    @classmethod
    def plug_in(cls, rng: SeededRng, identity: Identity) -> ChargingSession:
        """A vehicle of a plausible size and state arrives at ``identity``'s connector."""
        battery_kwh = rng.choice((40.0, 58.0, 64.0, 77.0, 82.0, 100.0))
        if identity.supply is Supply.DC:
            vehicle_limit_w = rng.choice((50_000.0, 120_000.0, 150_000.0, 250_000.0))
            start = rng.uniform(0.10, 0.45)
            target = rng.uniform(0.80, 0.95)
        else:
            vehicle_limit_w = rng.choice((7_400.0, 11_000.0, 22_000.0))
            start = rng.uniform(0.20, 0.70)
            target = rng.uniform(0.85, 1.0)
        return cls(
            supply=identity.supply,
            battery_wh=battery_kwh * 1000.0,
            soc=start,
            target_soc=target,
            peak_power_w=min(identity.max_power_w, vehicle_limit_w),
            phases=identity.phases,
        )

    @property
    def finished(self) -> bool:
        return self.soc >= self.target_soc

    def power_now(self) -> float:
        """Power the vehicle draws at its current SoC."""
        if self.zero_power:
            return 0.0
        if self.supply is Supply.AC or self.soc <= TAPER_START_SOC:
            return self.peak_power_w
        progress = (self.soc - TAPER_START_SOC) / (1.0 - TAPER_START_SOC)
        return self.peak_power_w * (1.0 - (1.0 - TAPER_END_FRACTION) * min(progress, 1.0))

    def advance(self, seconds: float, register_wh: float, rng: SeededRng) -> Sample:
        """Charge for ``seconds`` of simulated time; return the reading at its end."""
        power = self.power_now()
        energy = power * seconds / 3600.0
        if not self.stalled_soc:
            self.soc = min(1.0, self.soc + energy / self.battery_wh)
        if self.supply is Supply.DC:
            # A 400 V class pack's voltage rises with its state of charge.
            voltage = 330.0 + 80.0 * self.soc + rng.uniform(-1.5, 1.5)
            current = power / voltage
            soc_percent: int | None = round(self.soc * 100)
        else:
            voltage = NOMINAL_AC_VOLTAGE + rng.uniform(-3.0, 3.0)
            current = power / (voltage * self.phases)
            soc_percent = None
        return Sample(
            energy_wh=register_wh + energy,
            power_w=power,
            current_a=current,
            voltage_v=voltage,
            soc_percent=soc_percent,
        )


def idle_sample(register_wh: float, identity: Identity, rng: SeededRng) -> Sample:
    """A reading while no energy flows (e.g. a clock-aligned sample outside a session)."""
    voltage = NOMINAL_AC_VOLTAGE + rng.uniform(-3.0, 3.0) if identity.supply is Supply.AC else 0.0
    return Sample(register_wh, 0.0, 0.0, voltage, None)

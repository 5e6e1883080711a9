"""OCPP 1.6J / 2.0.1 charge-point simulator: fleets, named scenarios and fault injection.

The demo, the tests and the benchmarks drive it through ``SimulatedFleet``; the command line is
``chargekeeper simulate`` (``simulator.cli``).
"""

from simulator.charger import SimulatedCharger
from simulator.fleet import FleetConfigError, FleetSummary, SimulatedFleet, raise_open_file_limit
from simulator.scenarios import SCENARIO_NAMES
from simulator.shared import ChargerState, FleetStats

__all__ = [
    "SCENARIO_NAMES",
    "ChargerState",
    "FleetConfigError",
    "FleetStats",
    "FleetSummary",
    "SimulatedCharger",
    "SimulatedFleet",
    "raise_open_file_limit",
]

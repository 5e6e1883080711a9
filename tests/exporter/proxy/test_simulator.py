"""The simulator's chargers through the proxy in front of the ``ocpp`` library's central system:
the CSMS sees their boots and sessions, and the collector's fleet state is the one the same
simulated fleet, doing the same things, leaves in a standalone collector."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from ocpp.v16 import call_result as result16
from ocpp.v16.datatypes import IdTagInfo
from ocpp.v201 import call_result as result201

from simulator.fleet import SimulatedFleet
from simulator.model import StopReason
from tests.exporter.conftest import RunningExporter, eventually, running_exporter
from tests.exporter.proxy.conftest import CSMS_CLASSES, library_csms, running_proxy
from tests.simulator.central import Central16, Central201, handles

CHARGERS = 3
SEED = 7


class Authorizing16(Central16):
    """The simulator asks before a session; this CSMS says yes, as standalone does."""

    @handles("Authorize")
    def on_authorize(self, **_: Any) -> result16.Authorize:
        return result16.Authorize(id_tag_info=IdTagInfo(status="Accepted"))


class Authorizing201(Central201):
    @handles("Authorize")
    def on_authorize(self, **_: Any) -> result201.Authorize:
        return result201.Authorize(id_token_info={"status": "Accepted"})


async def run_fleet(url: str, protocol: str, settled: Callable[[], Awaitable[bool]]) -> None:
    """Boot the fleet, start a session on every charger, end two of them, fault the third.

    Scenario ``idle``: nothing happens that the test does not ask for, so the standalone run
    and the proxied run send the same frames."""
    fleet = SimulatedFleet(url, CHARGERS, protocol=protocol, scenario="idle", seed=SEED)
    await fleet.start()
    try:
        await fleet.wait_ready(within=15)
        first, second, third = fleet.chargers
        for charger in fleet.chargers:
            await charger.start_session(charger.connector(1))
        # The last sessions started end: through the proxy their transaction ids are the
        # CSMS's (each numbers from 1), not the ones the collector would have given.
        await third.end_session(third.connector(1), StopReason.EV_DISCONNECTED)
        await second.end_session(second.connector(1), StopReason.REMOTE)
        await first.fault(1, "GroundFailure", "ABB", "E42")
        await eventually(settled, within=5)
    finally:
        await fleet.stop()


def fleet_lines(text: str) -> list[str]:
    """The fleet state's series (not the collector's own, nor times of day)."""
    return sorted(
        line
        for line in text.splitlines()
        if line.startswith("ocpp_") and "_timestamp_seconds" not in line
    )


async def disconnected(exporter: RunningExporter) -> None:
    async def gone() -> bool:
        text = await exporter.scrape()
        lines = [
            line for line in text.splitlines() if line.startswith("ocpp_charge_point_connected{")
        ]
        return len(lines) == CHARGERS and all(float(line.rsplit(" ", 1)[1]) == 0 for line in lines)

    await eventually(gone, within=10)


def faulted(exporter: RunningExporter) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return 'vendor_error_code="E42"' in await exporter.scrape()

    return check


@pytest.mark.parametrize("protocol", ["1.6", "2.0.1"])
async def test_simulated_chargers_through_the_proxy_leave_the_standalone_fleet_state(
    protocol: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(CSMS_CLASSES, "ocpp1.6", Authorizing16)
    monkeypatch.setitem(CSMS_CLASSES, "ocpp2.0.1", Authorizing201)
    async with running_exporter() as standalone:
        await run_fleet(
            standalone.url("", prefix="/ocpp").rstrip("/"), protocol, faulted(standalone)
        )
        await disconnected(standalone)
        expected = fleet_lines(await standalone.scrape())

    async with library_csms() as csms, running_proxy(csms.url) as proxy:
        await run_fleet(proxy.url("", prefix="/ocpp").rstrip("/"), protocol, faulted(proxy))
        await disconnected(proxy)
        assert fleet_lines(await proxy.scrape()) == expected

    # The CSMS saw every charger boot and every session start.
    assert len(csms.wires) == CHARGERS
    for wire in csms.wires.values():
        actions = [json.loads(frame)[2] for frame in wire.received if json.loads(frame)[0] == 2]
        assert actions[0] == "BootNotification"
        assert ("StartTransaction" if protocol == "1.6" else "TransactionEvent") in actions
    # Two sessions ended, one is still on: the collector tracked them by the CSMS's ids.
    active = [line for line in expected if line.startswith("ocpp_connector_transaction_active{")]
    values = sorted(float(line.rsplit(" ", 1)[1]) for line in active if 'connector_id="1"' in line)
    assert values == [0, 0, 1]

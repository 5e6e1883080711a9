"""A charger that reconnects while its previous upstream leg is still closing: the new
connection gets a leg of its own at once, and the old leg's close, when it finally completes,
closes nothing of the new one."""

from __future__ import annotations

import asyncio

import pytest
from websockets.protocol import State

from tests.exporter.conftest import boot_frame, charger, eventually, heartbeat_frame, receive_text
from tests.exporter.proxy.conftest import LibraryCsms, RunningProxy, library_csms, running_proxy


async def connected(proxy: RunningProxy) -> float | None:
    return await proxy.value("ocpp_charge_point_connected", charge_point_id="CP-1")


async def wait_for_new_leg(csms: LibraryCsms, old: object) -> None:
    async def arrived() -> bool:
        return csms.connections["CP-1"] is not old

    await eventually(arrived)


@pytest.mark.parametrize("how", ["close", "tcp_drop"])
async def test_a_charger_reconnecting_while_its_old_upstream_leg_closes_keeps_the_new_one(
    how: str,
) -> None:
    async with library_csms() as csms, running_proxy(csms.url) as proxy:
        first = await charger(proxy.url("CP-1"), "ocpp1.6")
        await first.send(boot_frame("1.6"))
        await receive_text(first)
        old = csms.connections["CP-1"]
        # The CSMS stops reading the old leg: the proxy's close frame waits unread, so the
        # old leg stays in its closing handshake (up to its 10 s close timeout).
        old.transport.pause_reading()
        if how == "close":
            await first.close(4000, "rebooting")
        else:
            first.transport.abort()
            await first.wait_closed()

        async with charger(proxy.url("CP-1"), "ocpp1.6") as second:
            await wait_for_new_leg(csms, old)
            assert old.state is State.OPEN  # the old leg's close is still pending
            await second.send(boot_frame("1.6", "boot-2"))
            assert '"boot-2"' in await receive_text(second)

            async def back() -> bool:
                return await connected(proxy) == 1

            await eventually(back)

            # The old leg's close now completes, with what the first charger connection did.
            old.transport.resume_reading()
            await asyncio.wait_for(old.wait_closed(), 5)
            if how == "close":
                assert (old.close_code, old.close_reason) == (4000, "rebooting")
            else:
                assert old.close_code == 1006  # TCP dropped, as the charger's was
            # ...and leaves the new connection alone, both legs and the fleet state.
            await second.send(heartbeat_frame("hb-after"))
            assert '"hb-after"' in await receive_text(second)
            new = csms.connections["CP-1"]
            assert new is not old and new.state is State.OPEN
            assert await connected(proxy) == 1
            assert csms.wires["CP-1"].received[-1] == heartbeat_frame("hb-after")

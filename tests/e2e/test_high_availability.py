"""Two collectors and two clustered Alertmanagers on the real local stack (ARCHITECTURE 6).

A charger that moves from one collector instance to the other (as behind a TCP load balancer)
must raise nothing, and a fault, which Prometheus sends to both Alertmanagers, must reach
the technician once per channel: the gossip cluster's notification log, and the receiver's
idempotent delivery behind it, keep the second instance from telling again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from simulator import SimulatedFleet
from tests.e2e.stack import Inbox, LocalStack, running_stack, write_config
from tests.support.procs import require_binary

pytestmark = pytest.mark.slow

INTERVAL_SECONDS = 1
DISCONNECTED_AFTER = 2
# Alertmanager's --cluster.peer-timeout default: the second instance waits this long for the
# first one's notification to be gossiped before it sends on its own.
PEER_TIMEOUT_SECONDS = 15
MOVER, FAULTY = "MOVE-0001", "HA-0001"
TECHNICIAN_EMAIL, TECHNICIAN_PHONE = "oncall@ha.example", "+33611110000"

CONFIG: dict[str, dict[str, Any]] = {
    "fleet.yaml": {
        "clients": [{"id": "acme"}],
        "sites": [{"id": "site-move", "client": "acme"}, {"id": "site-ha", "client": "acme"}],
        "chargers": [{"id": MOVER, "site": "site-move"}, {"id": FAULTY, "site": "site-ha"}],
    },
    "policy.yaml": {
        "collector_restart_grace": 60,
        # Flapping keeps its shipped count: a move is one reconnect, below it.
        "defaults": {
            "disconnected": {"warning": DISCONNECTED_AFTER, "critical": None},
            "faulted": {"warning": 1, "critical": None},
        },
    },
    "routing.yaml": {
        "technicians": [
            {
                "id": "oncall",
                "name": "On call",
                "email": TECHNICIAN_EMAIL,
                "phone": TECHNICIAN_PHONE,
            },
        ],
        "coverage": [
            {"id": "everything", "technicians": ["oncall"], "subscriptions": [{"channels": "both"}]}
        ],
        "timing": {"group_wait": 1, "group_interval": 2, "repeat_interval": 3600},
    },
}


async def _get(url: str, **params: str) -> Any:
    async with httpx.AsyncClient(timeout=5) as client:
        response = await client.get(url, params=params)
    response.raise_for_status()
    return response.json()


async def _query(stack: LocalStack, expr: str) -> list[dict[str, Any]]:
    body = await _get(f"{stack.url('prometheus')}/api/v1/query", query=expr)
    result: list[dict[str, Any]] = body["data"]["result"]
    return result


async def _eventually(
    check: Callable[[], Any], within: float, what: str, stack: LocalStack
) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not await check():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}\n{stack.logs()}")
        await asyncio.sleep(0.5)


def _fleet(url: str, prefix: str) -> SimulatedFleet:
    return SimulatedFleet(url, 1, scenario="idle", seed=1, id_prefix=prefix)


async def test_a_move_raises_nothing_and_a_fault_is_told_once(tmp_path: Path) -> None:
    require_binary("prometheus")
    require_binary("prometheus-alertmanager")
    config = write_config(tmp_path / "config", CONFIG)
    async with running_stack(
        config, tmp_path / "state", INTERVAL_SECONDS, collectors=2, alertmanagers=2
    ) as stack:

        async def clustered() -> bool:
            for port in stack.alertmanagers:
                status = await _get(f"http://127.0.0.1:{port}/api/v2/status")
                if len(status["cluster"].get("peers") or []) != 2:
                    return False
            return True

        await _eventually(clustered, 30, "both Alertmanagers to see each other", stack)
        mover, faulty = _fleet(stack.ocpp_url(0), "MOVE-"), _fleet(stack.ocpp_url(0), "HA-")
        moved: SimulatedFleet | None = None
        try:
            for fleet in (mover, faulty):
                await fleet.start()
                await fleet.wait_ready(within=30)

            async def connected_to(collector: int) -> bool:
                metrics_port = stack.collectors[collector][1]
                expr = (
                    f'ocpp_charge_point_connected{{charge_point_id="{MOVER}",'
                    f'instance="127.0.0.1:{metrics_port}"}} == 1'
                )
                return bool(await _query(stack, expr))

            await _eventually(lambda: connected_to(0), 30, f"{MOVER} on collector 0", stack)

            # --- the charger moves: closed on one instance, opened on the other
            await mover.stop()
            moved = _fleet(stack.ocpp_url(1), "MOVE-")
            await moved.start()
            await moved.wait_ready(within=30)
            await _eventually(lambda: connected_to(1), 30, f"{MOVER} on collector 1", stack)
            # Several evaluations past the disconnection threshold.
            await asyncio.sleep(DISCONNECTED_AFTER + 5 * INTERVAL_SECONDS)
            raised = await _query(stack, f'max_over_time(ALERTS{{charge_point_id="{MOVER}"}}[5m])')
            assert not raised, raised

            # --- a fault reaches both Alertmanagers, and the technician once per channel
            await faulty.chargers[0].fault(1, "GroundFailure")
            inbox = Inbox(stack.state_dir / "receiver")

            async def told() -> bool:
                inbox.poll()
                return {m.channel for m in inbox.messages if FAULTY in m.text} == {"email", "sms"}

            await _eventually(told, 60, f"the technician to hear of {FAULTY}", stack)
            for port in stack.alertmanagers:
                alerts = await _get(f"http://127.0.0.1:{port}/api/v2/alerts")
                names = {a["labels"].get("charge_point_id") for a in alerts}
                assert FAULTY in names, f"Alertmanager :{port} never got the alert: {alerts}"
            # The second instance would send after its peer timeout: wait past it.
            await asyncio.sleep(PEER_TIMEOUT_SECONDS + 5)
            inbox.poll()
            about_fault = sorted((m.channel, m.to) for m in inbox.messages if FAULTY in m.text)
            assert about_fault == [("email", TECHNICIAN_EMAIL), ("sms", TECHNICIAN_PHONE)], (
                inbox.messages
            )
            assert not [m for m in inbox.messages if MOVER in m.text], inbox.messages
        finally:
            for running in (mover, faulty, moved):
                if running is not None:
                    await running.stop()

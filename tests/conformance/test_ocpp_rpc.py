"""OCPP-J conformance of the collector, judged by a third-party client: npm ``ocpp-rpc`` in strict
mode, which validates every request it sends and every reply it gets against its own copy of
the OCPP 1.6 and 2.0.1 schemas (issue 15, finding 7).

The client lives in ``tests/conformance/node`` (package.json + package-lock.json, installed by
``./dev setup`` or ``npm ci --prefix tests/conformance/node``); ``drive.js`` runs one job and
reports in JSON. The collector is the real server on 127.0.0.1 in this test's event loop.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from exporter import schemas
from exporter.handlers16 import CentralSystem16
from exporter.handlers201 import CentralSystem201
from tests.exporter.conftest import RunningExporter, make_fleet, running_exporter
from tests.exporter.sessions import REQUESTS

NODE_DIR = Path(__file__).parent / "node"
DRIVER = NODE_DIR / "drive.js"
NODE = shutil.which("node")
CHARGER_ACTIONS = {"1.6": CentralSystem16.routes, "2.0.1": CentralSystem201.routes}

pytestmark = pytest.mark.skipif(
    NODE is None, reason="node (v18+) is not on PATH: the ocpp-rpc conformance client needs it"
)


async def drive(exporter: RunningExporter, **job: Any) -> dict[str, Any]:
    """Run one ocpp-rpc job against the collector and return its report."""
    if not (NODE_DIR / "node_modules" / "ocpp-rpc").is_dir():
        pytest.fail(
            f"ocpp-rpc is not installed in {NODE_DIR}: run ./dev setup "
            f"(or npm ci --prefix {NODE_DIR})"
        )
    assert NODE is not None
    job.setdefault("identity", "CP-1")
    job.setdefault("url", f"ws://127.0.0.1:{exporter.ocpp.port}/ocpp")
    job.setdefault("calls", [])
    job.setdefault("strict", True)
    process = await asyncio.create_subprocess_exec(
        NODE,
        str(DRIVER),
        cwd=NODE_DIR,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(json.dumps(job).encode()), 60)
    assert process.returncode == 0, stderr.decode()
    report: dict[str, Any] = json.loads(stdout)
    return report


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_every_charger_initiated_action_gets_a_reply_valid_in_strict_mode(
    version: str,
) -> None:
    actions = sorted(CHARGER_ACTIONS[version])
    assert len(actions) >= 14
    calls = [[action, REQUESTS[version][action]] for action in actions]
    async with running_exporter(make_fleet("CP-1")) as exporter:
        report = await drive(exporter, protocols=[f"ocpp{version}"], calls=calls)
    assert report["error"] is None and report["protocol"] == f"ocpp{version}"
    failures = [call for call in report["calls"] if not call["ok"]]
    assert failures == []
    assert [call["action"] for call in report["calls"]] == actions
    for call in report["calls"]:  # and by our own validators, which the collector also uses
        schemas.response_validator(version, call["action"])(call["result"])


@pytest.mark.parametrize(
    ("version", "payload", "code"),
    [
        ("1.6", {}, "OccurenceConstraintViolation"),  # OCPP 1.6's own spelling
        ("2.0.1", {}, "OccurrenceConstraintViolation"),
        ("2.0.1", {"reason": "PowerUp", "chargingStation": {}}, "OccurrenceConstraintViolation"),
    ],
)
async def test_a_boot_notification_without_its_required_fields_gets_a_callerror(
    version: str, payload: dict[str, Any], code: str
) -> None:
    # Strict mode would refuse to send it; the collector must refuse to accept it.
    async with running_exporter() as exporter:
        report = await drive(
            exporter,
            protocols=[f"ocpp{version}"],
            strict=False,
            calls=[["BootNotification", payload]],
        )
    [call] = report["calls"]
    assert call["ok"] is False, call
    assert call["error"]["rpcErrorCode"] == code


@pytest.mark.parametrize(
    ("offered", "chosen"),
    [
        (["ocpp1.6"], "ocpp1.6"),
        (["ocpp2.0.1"], "ocpp2.0.1"),
        (["ocpp1.6", "ocpp2.0.1"], "ocpp2.0.1"),
        (["ocpp1.2", "ocpp1.6"], "ocpp1.6"),
    ],
)
async def test_subprotocol_negotiation(offered: list[str], chosen: str) -> None:
    async with running_exporter() as exporter:
        report = await drive(exporter, protocols=offered, calls=[["Heartbeat", {}]])
    assert report["protocol"] == chosen
    assert [call["ok"] for call in report["calls"]] == [True]


async def test_an_unsupported_subprotocol_gets_a_101_without_the_header_not_an_http_error() -> None:
    """OCPP-J 1.6 s3.2 and 2.0.1 part 4 s3.2. The ``ws`` library under ocpp-rpc itself drops a
    101 that names no subprotocol ("Server sent no subprotocol"); before the fix it saw 400."""
    async with running_exporter() as exporter:
        report = await drive(exporter, protocols=["ocpp1.2"], strict=False)
        refused = exporter.counter(
            "chargekeeper_exporter_connections_refused_total", reason="subprotocol_unsupported"
        )
    assert report["connected"] is False
    assert report["error"]["message"] == "Server sent no subprotocol"
    assert refused == 1


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_permessage_deflate_is_negotiated(version: str) -> None:
    """2.0.1 part 4 s3.3: RFC 7692 is supported; ocpp-rpc's ``ws`` offers it by default."""
    async with running_exporter() as exporter:
        report = await drive(
            exporter,
            protocols=[f"ocpp{version}"],
            calls=[["Heartbeat", {}], ["BootNotification", REQUESTS[version]["BootNotification"]]],
        )
    extensions = report["extensions"]
    assert extensions is not None and extensions.startswith("permessage-deflate")
    assert "server_max_window_bits=10" in extensions
    assert all(call["ok"] for call in report["calls"])

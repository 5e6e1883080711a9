"""The stand-in CSMS, with the ``ocpp`` library's own ChargePoint as the charger: what it
answers in 1.6 and 2.0.1, what it logs, its answer delay, its health check and refusals."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from ocpp.v16 import ChargePoint as ChargePoint16
from ocpp.v16 import call as call16
from ocpp.v16.datatypes import MeterValue, SampledValue
from ocpp.v16.enums import ChargePointErrorCode, ChargePointStatus
from ocpp.v201 import ChargePoint as ChargePoint201
from ocpp.v201 import call as call201
from ocpp.v201.datatypes import ChargingStationType, EVSEType, IdTokenType, TransactionType
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from simulator.csms import HEARTBEAT_INTERVAL, StandInCsms

LOGGER = "simulator.csms"


@pytest.fixture
async def csms() -> AsyncIterator[StandInCsms]:
    async with StandInCsms("127.0.0.1", 0).running() as server:
        yield server


@contextlib.asynccontextmanager
async def charger(
    url: str, charge_point_id: str, version: str
) -> AsyncIterator[ChargePoint16 | ChargePoint201]:
    """An ``ocpp`` library charge point connected to ``url``, its reader running."""
    async with connect(f"{url}/{charge_point_id}", subprotocols=[version]) as ws:  # type: ignore[list-item]
        assert ws.subprotocol == version
        cls = ChargePoint16 if version == "ocpp1.6" else ChargePoint201
        point = cls(charge_point_id, ws, response_timeout=5)
        reader = asyncio.create_task(point.start())
        try:
            yield point
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader


async def test_ocpp16_charger_gets_every_answer(
    csms: StandInCsms, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, LOGGER)
    async with charger(csms.url, "CP-16", "ocpp1.6") as cp:
        boot: Any = await cp.call(
            call16.BootNotification(charge_point_model="M1", charge_point_vendor="ACME")
        )
        assert (boot.status, boot.interval) == ("Accepted", HEARTBEAT_INTERVAL)
        assert (await cp.call(call16.Heartbeat())).current_time
        await cp.call(
            call16.StatusNotification(
                connector_id=1,
                error_code=ChargePointErrorCode.no_error,
                status=ChargePointStatus.available,
            )
        )
        authorize: Any = await cp.call(call16.Authorize(id_tag="ANY-TAG"))
        assert authorize.id_tag_info["status"] == "Accepted"
        first: Any = await cp.call(
            call16.StartTransaction(connector_id=1, id_tag="ANY-TAG", meter_start=0, timestamp=_t())
        )
        second: Any = await cp.call(
            call16.StartTransaction(connector_id=2, id_tag="X", meter_start=0, timestamp=_t())
        )
        assert first.id_tag_info["status"] == "Accepted"
        assert (first.transaction_id, second.transaction_id) == (1, 2)
        await cp.call(
            call16.MeterValues(
                connector_id=1,
                transaction_id=1,
                meter_value=[MeterValue(timestamp=_t(), sampled_value=[SampledValue(value="12")])],
            )
        )
        stop: Any = await cp.call(
            call16.StopTransaction(meter_stop=12, timestamp=_t(), transaction_id=1, id_tag="X")
        )
        assert stop.id_tag_info["status"] == "Accepted"
    lines = [r.getMessage() for r in caplog.records if r.name == LOGGER]
    assert any(line.startswith("CP-16 connected from 127.0.0.1") for line in lines), lines
    sent = [line for line in lines if line.startswith("CP-16 -> [2,")]
    answered = [line for line in lines if line.startswith("CP-16 <- [3,")]
    assert '"BootNotification"' in sent[0] and '"ACME"' in sent[0]
    assert len(sent) == len(answered) == 8
    assert '"status":"Accepted"' in answered[0].replace(" ", "")


async def test_ocpp201_charger_gets_every_answer(
    csms: StandInCsms, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, LOGGER)
    async with charger(csms.url, "CP-201", "ocpp2.0.1") as cp:
        boot: Any = await cp.call(
            call201.BootNotification(
                charging_station=ChargingStationType(model="M2", vendor_name="ACME"),
                reason="PowerUp",
            )
        )
        assert (boot.status, boot.interval) == ("Accepted", HEARTBEAT_INTERVAL)
        token = IdTokenType(id_token="ANY-TAG", type="ISO14443")
        authorize: Any = await cp.call(call201.Authorize(id_token=token))
        assert authorize.id_token_info["status"] == "Accepted"
        started: Any = await cp.call(
            call201.TransactionEvent(
                event_type="Started",
                timestamp=_t(),
                trigger_reason="Authorized",
                seq_no=0,
                transaction_info=TransactionType(transaction_id="tx-1"),
                id_token=token,
                evse=EVSEType(id=1, connector_id=1),
            )
        )
        assert started.id_token_info["status"] == "Accepted"
        updated: Any = await cp.call(
            call201.TransactionEvent(
                event_type="Updated",
                timestamp=_t(),
                trigger_reason="MeterValuePeriodic",
                seq_no=1,
                transaction_info=TransactionType(transaction_id="tx-1"),
            )
        )
        assert updated.id_token_info is None
        assert (await cp.call(call201.Heartbeat())).current_time
    lines = [r.getMessage() for r in caplog.records if r.name == LOGGER]
    assert any("CP-201 connected from 127.0.0.1 with ocpp2.0.1" in line for line in lines)
    assert sum(line.startswith("CP-201 <- [3,") for line in lines) == 5


async def test_answers_wait_a_random_delay_up_to_the_maximum() -> None:
    async with (
        StandInCsms("127.0.0.1", 0, max_delay=0.2, seed=3).running() as csms,
        charger(csms.url, "SLOW", "ocpp1.6") as cp,
    ):
        times = []
        for _ in range(6):
            started = time.monotonic()
            await cp.call(call16.Heartbeat())
            times.append(time.monotonic() - started)
    assert max(times) < 0.2 + 0.1, times
    # Spread, not a constant: a uniform draw from 0-200 ms six times.
    assert max(times) - min(times) > 0.02, times


async def test_a_charge_point_id_cannot_forge_log_lines(
    csms: StandInCsms, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, LOGGER)
    async with charger(csms.url, "EVIL%0A2026%20forged%20line", "ocpp1.6") as cp:
        await cp.call(call16.Heartbeat())
    lines = [r.getMessage() for r in caplog.records if r.name == LOGGER]
    assert lines and all("\n" not in line for line in lines), lines
    assert any(line.startswith("EVIL\ufffd2026 forged line -> [2,") for line in lines), lines


async def test_health_check_and_plain_http(csms: StandInCsms) -> None:
    base = csms.url.replace("ws://", "http://")
    async with httpx.AsyncClient() as client:
        assert (await client.get(f"{base}/healthz")).text == "ok\n"
        assert (await client.get(f"{base}/CP1")).status_code == 426


async def test_refuses_a_connection_without_a_charge_point_id(csms: StandInCsms) -> None:
    with pytest.raises(InvalidStatus) as refused:
        async with connect(f"{csms.url}/", subprotocols=["ocpp1.6"]):  # type: ignore[list-item]
            pass
    assert refused.value.response.status_code == 400


async def test_refuses_a_charger_offering_no_ocpp_version(csms: StandInCsms) -> None:
    with pytest.raises(InvalidStatus) as refused:
        async with connect(f"{csms.url}/CP1", subprotocols=["ocpp1.2"]):  # type: ignore[list-item]
            pass
    assert refused.value.response.status_code == 400
    assert b"ocpp1.6" in refused.value.response.body


def _t() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())

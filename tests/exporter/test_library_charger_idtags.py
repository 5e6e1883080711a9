"""The fleet file's id_tags as a charger nobody here wrote sees them: the ``ocpp`` library's
ChargePoint, which checks every reply against its version's schema, over a real websocket."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from ocpp.v16 import ChargePoint as ChargePoint16
from ocpp.v16 import call as call16
from ocpp.v201 import ChargePoint as ChargePoint201
from ocpp.v201 import call as call201

from chargekeeper.config.fleet import Fleet
from tests.exporter.conftest import charger, running_exporter

NOW = datetime(2026, 12, 7, 3, 0, tzinfo=UTC).isoformat()
FLEET = Fleet.model_validate(
    {
        "clients": [{"id": "acme"}],
        "sites": [{"id": "depot", "client": "acme"}],
        "chargers": [{"id": "CP-1", "site": "depot"}],
        "id_tags": {"unknown": "reject", "accepted": ["04A2B3C4"]},
    }
)


@asynccontextmanager
async def station(subprotocol: str, library_charger: Any) -> AsyncIterator[Any]:
    async with (
        running_exporter(FLEET) as exporter,
        charger(exporter.url("CP-1"), subprotocol) as ws,
    ):
        point = library_charger("CP-1", ws)
        listening = asyncio.create_task(point.start())
        try:
            yield point
        finally:
            listening.cancel()


async def test_a_16_charger_is_told_which_tags_may_charge() -> None:
    async with station("ocpp1.6", ChargePoint16) as point:
        for tag, status in (("04a2b3c4", "Accepted"), ("DEADBEEF", "Invalid")):
            reply = await asyncio.wait_for(point.call(call16.Authorize(id_tag=tag)), 5)
            assert reply.id_tag_info == {"status": status}, tag
        start = call16.StartTransaction(
            connector_id=1, id_tag="DEADBEEF", meter_start=0, timestamp=NOW
        )
        reply = await asyncio.wait_for(point.call(start), 5)
        assert (reply.transaction_id, reply.id_tag_info) == (1, {"status": "Invalid"})


async def test_a_201_charger_is_told_which_tokens_may_charge() -> None:
    async with station("ocpp2.0.1", ChargePoint201) as point:
        for tag, status in (("04a2b3c4", "Accepted"), ("DEADBEEF", "Invalid")):
            token = {"id_token": tag, "type": "ISO14443"}
            reply = await asyncio.wait_for(point.call(call201.Authorize(id_token=token)), 5)
            assert reply.id_token_info == {"status": status}, tag
        event = call201.TransactionEvent(
            event_type="Started",
            timestamp=NOW,
            trigger_reason="Authorized",
            seq_no=0,
            transaction_info={"transaction_id": "tx-1", "charging_state": "Charging"},
            evse={"id": 1, "connector_id": 1},
            id_token={"id_token": "DEADBEEF", "type": "ISO14443"},
        )
        reply = await asyncio.wait_for(point.call(event), 5)
        assert reply.id_token_info == {"status": "Invalid"}

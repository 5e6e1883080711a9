"""The collector driven by a charger nobody here wrote: the ``ocpp`` library's ChargePoint.

The library validates every reply against the OCPP JSON schemas of its version, so an answer
that only our own reading of the spec accepts fails here. It covers the handlers both versions
share (``exporter.handlers.Handlers``) and a boot, in 1.6 and 2.0.1.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from ocpp.v16 import ChargePoint as ChargePoint16
from ocpp.v16 import call as call16
from ocpp.v16.enums import FirmwareStatus, UploadLogStatus
from ocpp.v201 import ChargePoint as ChargePoint201
from ocpp.v201 import call as call201

from tests.exporter.conftest import charger, running_exporter

NOW = datetime(2026, 12, 7, 3, 0, tzinfo=UTC).isoformat()
CSR = "-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----"

CALLS_16: list[tuple[Any, dict[str, Any]]] = [
    (
        call16.BootNotification(charge_point_model="Terra", charge_point_vendor="ABB"),
        {"status": "Accepted"},
    ),
    (call16.Heartbeat(), {}),
    (call16.DataTransfer(vendor_id="com.example"), {"status": "UnknownVendorId"}),
    (call16.FirmwareStatusNotification(FirmwareStatus.installed), {}),
    (call16.LogStatusNotification(UploadLogStatus.uploaded, 7), {}),
    (call16.SecurityEventNotification("SettingSystemTime", NOW, None), {}),
    (call16.SignCertificate(CSR), {"status": "Rejected"}),
]
CALLS_201: list[tuple[Any, dict[str, Any]]] = [
    (
        call201.BootNotification({"model": "Terra", "vendor_name": "ABB"}, "PowerUp"),
        {"status": "Accepted"},
    ),
    (call201.Heartbeat(), {}),
    (call201.DataTransfer(vendor_id="com.example"), {"status": "UnknownVendorId"}),
    (call201.FirmwareStatusNotification("Installed"), {}),
    (call201.LogStatusNotification("Uploaded", 7), {}),
    (call201.SecurityEventNotification("SettingSystemTime", NOW), {}),
    (call201.SignCertificate(CSR), {"status": "Rejected"}),
]


@pytest.mark.parametrize(
    ("subprotocol", "library_charger", "calls"),
    [("ocpp1.6", ChargePoint16, CALLS_16), ("ocpp2.0.1", ChargePoint201, CALLS_201)],
    ids=["1.6", "2.0.1"],
)
async def test_the_library_s_charger_gets_schema_valid_answers(
    subprotocol: str, library_charger: Any, calls: list[tuple[Any, dict[str, Any]]]
) -> None:
    async with running_exporter() as exporter, charger(exporter.url("CP-1"), subprotocol) as ws:
        station = library_charger("CP-1", ws)
        listening = asyncio.create_task(station.start())
        try:
            for request, expected in calls:
                # The library raises if our reply breaks its version's schema.
                reply = await asyncio.wait_for(station.call(request), 5)
                answered = {key: getattr(reply, key) for key in expected}
                assert answered == expected, type(request).__name__
                if type(request).__name__ == "Heartbeat":
                    assert datetime.fromisoformat(reply.current_time).tzinfo is not None
            # The boot reached the fleet state: the charger is known by its vendor.
            identity = {"charge_point_id": "CP-1", "vendor": "ABB", "model": "Terra"}
            assert await exporter.value("ocpp_charge_point_info", **identity) == 1
        finally:
            listening.cancel()

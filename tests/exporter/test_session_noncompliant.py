"""Session.handle with frames that break the schema but are understood (the normal reply, the
frame counted as non-compliant), and what the readings in a frame mean for the state."""

from __future__ import annotations

from typing import Any

import pytest

from exporter import schemas
from tests.exporter.sessions import TS, Setup


@pytest.mark.parametrize(
    ("version", "action", "payload"),
    [
        # Legrand Green'Up: errorCode outside the enum.
        (
            "1.6",
            "StatusNotification",
            {"connectorId": 1, "errorCode": "Error", "status": "Faulted"},
        ),
        # Numbers as strings.
        (
            "1.6",
            "StatusNotification",
            {"connectorId": "1", "errorCode": "NoError", "status": "Available"},
        ),
        # Lower-case enum, info over 50 characters, unknown extra field.
        (
            "1.6",
            "StatusNotification",
            {
                "connectorId": 1,
                "errorCode": "noerror",
                "status": "available",
                "info": "x" * 80,
                "firmwareBuild": 7,
            },
        ),
        # Missing errorCode.
        ("1.6", "StatusNotification", {"connectorId": 1, "status": "Available"}),
        # Garbage timestamp.
        (
            "1.6",
            "StatusNotification",
            {
                "connectorId": 1,
                "errorCode": "NoError",
                "status": "Available",
                "timestamp": "yesterday",
            },
        ),
        ("1.6", "StartTransaction", {"connectorId": "1", "idTag": "T", "meterStart": "12.5"}),
        (
            "1.6",
            "MeterValues",
            {
                "connectorId": 1,
                "transactionId": "7",
                "meterValue": [{"sampledValue": [{"value": 5}]}],
            },
        ),
        (
            "1.6",
            "BootNotification",
            {"chargePointVendor": "A vendor name longer than twenty", "chargePointModel": "M"},
        ),
        (
            "2.0.1",
            "StatusNotification",
            {"connectorStatus": "occupied", "evseId": "1", "connectorId": 1},
        ),
        (
            "2.0.1",
            "MeterValues",
            {"evseId": 1, "meterValue": [{"sampledValue": [{"value": "12.5"}]}]},
        ),
        (
            "2.0.1",
            "NotifyEvent",
            {
                "eventData": [
                    {
                        "component": {"name": "EVSE", "evse": {"id": 1}},
                        "variable": {"name": "Problem"},
                        "actualValue": "true",
                    }
                ]
            },
        ),
    ],
)
def test_noncompliant_but_understood_frames_get_the_normal_reply(
    version: str, action: str, payload: dict[str, Any]
) -> None:
    setup = Setup(version)
    reply = setup.call(action, payload)
    assert reply[0] == 3, reply
    schemas.response_validator(version, action)(reply[2])
    assert (
        setup.sample(
            "chargekeeper_exporter_noncompliant_frames_total", ocpp_version=version, action=action
        )
        == 1
    )


def test_legrand_error_code_is_recorded_as_an_error() -> None:
    setup = Setup("1.6")
    setup.call("StatusNotification", {"connectorId": 1, "errorCode": "Error", "status": "Faulted"})
    connector = setup.state.chargers["CP1"].connectors[1]
    assert connector.status == "Faulted"
    assert list(connector.errors.values()) == [("Error", "", "")]


def test_case_insensitive_enums_are_normalised_and_numbers_read() -> None:
    setup = Setup("1.6")
    setup.call(
        "StatusNotification",
        {"connectorId": "2", "errorCode": "overvoltage", "status": "faulted"},
    )
    connector = setup.state.chargers["CP1"].connectors[2]
    assert connector.status == "Faulted"
    assert list(connector.errors.values()) == [("OverVoltage", "", "")]


def test_kwh_meter_values_are_converted_with_their_unit() -> None:
    setup = Setup("1.6")
    setup.call(
        "MeterValues",
        {
            "connectorId": 1,
            "meterValue": [
                {
                    "timestamp": TS,
                    "sampledValue": [
                        {
                            "value": "12.5",
                            "measurand": "Energy.Active.Import.Register",
                            "unit": "kWh",
                        },
                        {"value": "7.2", "measurand": "Power.Active.Import", "unit": "kW"},
                        {"value": "abc", "measurand": "Voltage", "unit": "V"},
                        {"value": "0x12", "format": "SignedData"},
                    ],
                }
            ],
        },
    )
    connector = setup.state.chargers["CP1"].connectors[1]
    assert connector.energy == 12.5 * 3_600_000
    assert connector.power == 7200.0


def test_ocpp201_multiplier_and_phases_are_summed() -> None:
    setup = Setup("2.0.1")
    sampled = [
        {
            "value": 2.3,
            "measurand": "Power.Active.Import",
            "phase": phase,
            "unitOfMeasure": {"unit": "kW"},
        }
        for phase in ("L1", "L2", "L3")
    ] + [{"value": 15, "unitOfMeasure": {"unit": "Wh", "multiplier": 3}}]
    setup.call(
        "MeterValues", {"evseId": 1, "meterValue": [{"timestamp": TS, "sampledValue": sampled}]}
    )
    connector = setup.state.chargers["CP1"].connectors[1]
    assert connector.power == pytest.approx(6900.0)
    assert connector.energy == 15_000 * 3600


def test_an_integer_beyond_float_range_is_not_an_internal_error() -> None:
    """JSON integers have no size limit; one too large for a float is a bad reading, not a bug."""
    setup = Setup("2.0.1")
    sampled = [{"value": 10**400}, {"value": 2.5, "measurand": "Power.Active.Import"}]
    reply = setup.call(
        "MeterValues", {"evseId": 1, "meterValue": [{"timestamp": TS, "sampledValue": sampled}]}
    )
    assert reply[0] == 3, reply  # answered as any other MeterValues
    assert setup.state.chargers["CP1"].connectors[1].power == 2.5

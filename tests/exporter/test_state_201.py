"""FleetState semantics of OCPP 2.0.1: charging state within a transaction, NotifyEvent errors."""

from __future__ import annotations

from typing import Any

from exporter.events import StatusChanged
from exporter.state import MAX_ERRORS_PER_CONNECTOR
from tests.exporter.states import START, Fixture, iso


def test_ocpp201_charging_state_shows_while_a_transaction_runs() -> None:
    fixture = Fixture("2.0.1")
    fixture.connect()

    def status(value: str) -> None:
        fixture.call(
            "StatusNotification",
            {"timestamp": iso(START), "connectorStatus": value, "evseId": 1, "connectorId": 1},
        )

    def transaction(event_type: str, charging_state: str | None = None, **extra: Any) -> None:
        info: dict[str, Any] = {"transactionId": "tx-9"}
        if charging_state:
            info["chargingState"] = charging_state
        fixture.call(
            "TransactionEvent",
            {
                "eventType": event_type,
                "timestamp": iso(START),
                "triggerReason": "ChargingStateChanged",
                "seqNo": 0,
                "transactionInfo": info,
                **extra,
            },
        )

    status("Occupied")
    transaction("Started", "EVConnected", evse={"id": 1})
    assert fixture.connector().status == "EVConnected"
    # Updated events may omit the EVSE: the transaction id finds it.
    transaction("Updated", "Charging")
    assert fixture.connector().status == "Charging"
    status("Occupied")  # a status repeat does not hide the finer state
    assert fixture.connector().status == "Charging"
    transaction("Ended", "Idle")
    assert fixture.connector().status == "Occupied"
    assert fixture.connector().transaction_id is None
    status("Available")
    transaction("Started", "Charging", evse={"id": 1})
    status("Available")  # the Ended event was lost: Available still ends the transaction
    assert fixture.connector().transaction_id is None
    assert [e.status for e in fixture.events(StatusChanged)][:5] == [
        "Occupied",
        "EVConnected",
        "Charging",
        "Occupied",
        "Available",
    ]


def test_ocpp201_notify_event_raises_and_clears_errors() -> None:
    fixture = Fixture("2.0.1")
    fixture.connect()
    fixture.call(
        "BootNotification",
        {"chargingStation": {"model": "M", "vendorName": "Kempower"}, "reason": "PowerUp"},
    )

    def event(**fields: Any) -> None:
        data = {
            "eventId": 1,
            "timestamp": iso(START),
            "trigger": "Delta",
            "actualValue": "true",
            "eventNotificationType": "HardWiredNotification",
            "component": {"name": "Connector", "evse": {"id": 2}},
            "variable": {"name": "Problem"},
            **fields,
        }
        fixture.call("NotifyEvent", {"generatedAt": iso(START), "seqNo": 0, "eventData": [data]})

    event(techCode="CX011", techInfo="lock jammed")
    assert list(fixture.connector(2).errors.values()) == [("Connector.Problem", "", "CX011")]
    event(
        component={"name": "ChargingStation"},
        variable={"name": "Power"},
        actualValue="7000",
        trigger="Periodic",
    )  # an ordinary value report
    assert 0 not in fixture.state.chargers["CP1"].connectors
    event(actualValue="true", cleared=True)
    assert fixture.connector(2).errors == {}
    event(techCode="CX011")
    event(actualValue="false")  # Problem=false clears as well
    assert fixture.connector(2).errors == {}
    assert (
        fixture.registry.get_sample_value(
            "chargekeeper_exporter_vendor_error_reports_total",
            {"vendor": "Kempower", "vendor_error_code": "CX011"},
        )
        == 2
    )
    infos = [e.info for e in fixture.events(StatusChanged)]
    assert infos[0] == "lock jammed"


def test_ocpp201_active_errors_per_connector_are_bounded() -> None:
    fixture = Fixture("2.0.1")
    fixture.connect()
    events = [
        {
            "eventId": index,
            "timestamp": iso(START),
            "trigger": "Alerting",
            "actualValue": "1",
            "eventNotificationType": "HardWiredNotification",
            "component": {"name": f"Part{index}", "evse": {"id": 1}},
            "variable": {"name": "Fault"},
        }
        for index in range(MAX_ERRORS_PER_CONNECTOR + 10)
    ]
    fixture.call("NotifyEvent", {"generatedAt": iso(START), "seqNo": 0, "eventData": events})
    assert len(fixture.connector(1).errors) == MAX_ERRORS_PER_CONNECTOR
    # Clearing still works once the cap is reached.
    cleared = {**events[0], "cleared": True}
    fixture.call("NotifyEvent", {"generatedAt": iso(START), "seqNo": 1, "eventData": [cleared]})
    assert len(fixture.connector(1).errors) == MAX_ERRORS_PER_CONNECTOR - 1

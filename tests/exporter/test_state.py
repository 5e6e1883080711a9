"""FleetState semantics: fleet chargers, connections, status-since, errors, transactions, energy."""

from __future__ import annotations

import json
from typing import Any

from prometheus_client import CollectorRegistry

from chargekeeper.config.fleet import Fleet
from exporter.events import ConnectionChanged, MeterSample, StatusChanged
from exporter.selfmetrics import ExporterMetrics
from exporter.session import Session
from exporter.state import ConnectorState, FleetState
from tests.support.fakes import ManualClock, RecordingSink

START = 1_764_000_000.0


def iso(seconds: float) -> str:
    from exporter.lenient import iso_utc

    return iso_utc(seconds)


FLEET = Fleet.model_validate(
    {
        "unknown_chargers": "refuse",
        "clients": [{"id": "acme"}],
        "sites": [{"id": "depot", "client": "acme"}],
        "chargers": [{"id": "CP1", "site": "depot", "group": "dc", "vendor": "Alfen BV"}],
    }
)


class Fixture:
    def __init__(self, version: str = "1.6", fleet: Fleet | None = None) -> None:
        self.clock = ManualClock(START)
        self.sink = RecordingSink()
        self.registry = CollectorRegistry()
        self.metrics = ExporterMetrics(self.registry)
        self.state = FleetState(fleet, self.metrics, self.sink, self.clock)
        self.version = version
        self.session: Session | None = None

    def connect(self, charge_point_id: str = "CP1") -> None:
        self.state.connected(charge_point_id, self.version)
        self.session = Session(charge_point_id, self.version, self.state, self.metrics)

    def call(self, action: str, payload: dict[str, Any]) -> list[Any]:
        assert self.session is not None
        (reply,) = self.session.handle(json.dumps([2, "id", action, payload]))
        decoded: list[Any] = json.loads(reply)
        assert decoded[0] == 3, decoded
        return decoded

    def status16(
        self, status: str, error: str = "NoError", connector: int = 1, **extra: Any
    ) -> None:
        self.call(
            "StatusNotification",
            {"connectorId": connector, "errorCode": error, "status": status, **extra},
        )

    def connector(self, connector_id: int = 1, charge_point_id: str = "CP1") -> ConnectorState:
        return self.state.chargers[charge_point_id].connectors[connector_id]

    def events(self, kind: type) -> list[Any]:
        return [event for event in self.sink.events if isinstance(event, kind)]


def test_fleet_chargers_exist_before_they_connect() -> None:
    fixture = Fixture(fleet=FLEET)
    charger = fixture.state.chargers["CP1"]
    assert (charger.ref.site, charger.ref.client, charger.group) == ("depot", "acme", "dc")
    assert charger.vendor == "Alfen BV"
    assert not charger.connected
    assert charger.connection_changed == START
    assert charger.last_message is None


def test_admission_follows_the_fleet_file() -> None:
    assert Fixture(fleet=FLEET).state.admit("CP1")
    assert not Fixture(fleet=FLEET).state.admit("STRANGER")
    accepting = FLEET.model_copy(update={"unknown_chargers": "accept"})
    assert Fixture(fleet=accepting).state.admit("STRANGER")
    assert Fixture(fleet=None).state.admit("ANYONE")


def test_unknown_chargers_are_labelled_unknown() -> None:
    fixture = Fixture()
    fixture.connect("STRANGER")
    ref = fixture.state.chargers["STRANGER"].ref
    assert (ref.site, ref.client) == ("unknown", "unknown")


def test_connections_counted_and_a_replaced_connection_keeps_the_charger_connected() -> None:
    fixture = Fixture()
    fixture.connect()
    fixture.clock.now += 10
    fixture.connect()  # the charger reconnected before the old socket was noticed dead
    fixture.clock.now += 1
    fixture.state.disconnected("CP1", "replaced")
    charger = fixture.state.chargers["CP1"]
    assert charger.connected and charger.connects == 2
    assert charger.connection_changed == START + 11
    fixture.state.disconnected("CP1", "closed")
    assert charger.open_connections == 0
    fixture.state.disconnected("CP1", "closed")  # a stray second call changes nothing
    assert charger.open_connections == 0
    events = fixture.events(ConnectionChanged)
    assert [(e.connected, e.reason) for e in events] == [
        (True, "connected"),
        (True, "connected"),
        (True, "replaced"),
        (False, "closed"),
    ]
    assert (
        fixture.registry.get_sample_value(
            "chargekeeper_exporter_disconnections_total", {"reason": "closed"}
        )
        == 1
    )
    assert (
        fixture.registry.get_sample_value(
            "chargekeeper_exporter_connections_total", {"ocpp_version": "1.6"}
        )
        == 2
    )


def test_status_since_is_the_charger_time_within_the_connection() -> None:
    fixture = Fixture()
    fixture.connect()
    fixture.clock.now = START + 100
    fixture.status16("Charging", timestamp=iso(START + 60))
    assert fixture.connector().status_since == START + 60
    # A duplicate keeps the time the status began.
    fixture.clock.now = START + 200
    fixture.status16("Charging", timestamp=iso(START + 190))
    assert fixture.connector().status_since == START + 60
    assert len(fixture.events(StatusChanged)) == 1


def test_status_since_never_before_the_connection_nor_in_the_future() -> None:
    fixture = Fixture()
    fixture.clock.now = START + 1000
    fixture.connect()
    fixture.status16("Faulted", timestamp=iso(START))  # queued before the reconnect
    assert fixture.connector().status_since == START + 1000
    fixture.clock.now = START + 1100
    fixture.status16("Available", timestamp=iso(START + 5000))  # charger clock ahead
    assert fixture.connector().status_since == START + 1100


def test_error_semantics_of_16() -> None:
    fixture = Fixture()
    fixture.connect()
    fixture.status16("Available", vendorErrorCode="0x0000")
    assert fixture.connector().errors == {}
    fixture.status16("Faulted", "OverVoltage", vendorId="UC", vendorErrorCode="E12")
    assert list(fixture.connector().errors.values()) == [("OverVoltage", "UC", "E12")]
    fixture.status16("Faulted")  # NoError while Faulted: still a fault
    assert list(fixture.connector().errors.values()) == [("NoError", "", "")]
    fixture.status16("Charging", "HighTemperature")  # an error needs no Faulted status
    assert list(fixture.connector().errors.values()) == [("HighTemperature", "", "")]
    fixture.status16("Available")
    assert fixture.connector().errors == {}
    assert [e.error_code for e in fixture.events(StatusChanged)] == [
        "NoError",
        "OverVoltage",
        "NoError",
        "HighTemperature",
        "NoError",
    ]


def test_transactions_of_16() -> None:
    fixture = Fixture()
    fixture.connect()
    reply = fixture.call(
        "StartTransaction",
        {"connectorId": 1, "idTag": "T", "meterStart": 1000, "timestamp": iso(START)},
    )
    transaction_id = reply[2]["transactionId"]
    assert fixture.connector().transaction_id == transaction_id
    assert fixture.connector().energy == 1000 * 3600
    fixture.call(
        "StopTransaction",
        {"transactionId": transaction_id, "meterStop": 1500, "timestamp": iso(START)},
    )
    assert fixture.connector().transaction_id is None
    assert fixture.connector().energy == 1500 * 3600
    # A stop for a transaction never seen is accepted and changes nothing.
    fixture.call("StopTransaction", {"transactionId": 999, "meterStop": 1, "timestamp": iso(START)})
    assert fixture.connector().energy == 1500 * 3600


def test_available_ends_a_transaction_whose_stop_was_lost() -> None:
    fixture = Fixture()
    fixture.connect()
    fixture.call(
        "StartTransaction",
        {"connectorId": 1, "idTag": "T", "meterStart": 0, "timestamp": iso(START)},
    )
    fixture.status16("Available")
    assert fixture.connector().transaction_id is None
    assert fixture.state.chargers["CP1"].transactions == {}


def meter(fixture: Fixture, wh: float, when: float) -> None:
    fixture.call(
        "MeterValues",
        {
            "connectorId": 1,
            "meterValue": [{"timestamp": iso(when), "sampledValue": [{"value": str(wh)}]}],
        },
    )


def test_energy_register_never_goes_back_within_a_connection() -> None:
    fixture = Fixture()
    fixture.connect()
    meter(fixture, 500, START)
    meter(fixture, 400, START - 60)  # an older reading replayed from the charger's queue
    assert fixture.connector().energy == 500 * 3600
    fixture.connect()  # after a reconnect the register may really have restarted
    meter(fixture, 10, START)
    assert fixture.connector().energy == 10 * 3600
    samples = fixture.events(MeterSample)
    assert [(s.measurand, s.value, s.unit) for s in samples] == [
        ("Energy.Active.Import.Register", 500 * 3600, "J"),
        ("Energy.Active.Import.Register", 400 * 3600, "J"),
        ("Energy.Active.Import.Register", 10 * 3600, "J"),
    ]


def test_soc_last_change_moves_only_when_soc_changes() -> None:
    fixture = Fixture()
    fixture.connect()

    def soc(value: str, when: float) -> None:
        fixture.call(
            "MeterValues",
            {
                "connectorId": 1,
                "meterValue": [
                    {
                        "timestamp": iso(when),
                        "sampledValue": [{"value": value, "measurand": "SoC", "unit": "Percent"}],
                    }
                ],
            },
        )

    fixture.clock.now = START + 30
    soc("40", START + 10)
    soc("40", START + 20)
    assert (fixture.connector().soc, fixture.connector().soc_changed) == (0.4, START + 10)
    soc("41", START + 25)
    assert (fixture.connector().soc, fixture.connector().soc_changed) == (0.41, START + 25)
    soc("255", START + 26)  # a sentinel, not a state of charge
    assert fixture.connector().soc == 0.41


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


def test_state_is_kept_without_an_event_sink() -> None:
    metrics = ExporterMetrics(CollectorRegistry())
    state = FleetState(None, metrics)
    state.connected("CP1", "1.6")
    session = Session("CP1", "1.6", state, metrics)
    reading = {"value": "1", "measurand": "Power.Active.Import", "unit": "W"}
    meter_value = {"timestamp": "2025-01-01T00:00:00Z", "sampledValue": [reading]}
    frame = json.dumps([2, "1", "MeterValues", {"connectorId": 1, "meterValue": [meter_value]}])
    assert session.handle(frame) == ['[3,"1",{}]']
    assert state.chargers["CP1"].connectors[1].power == 1.0


def test_ocpp201_active_errors_per_connector_are_bounded() -> None:
    from exporter.state import MAX_ERRORS_PER_CONNECTOR

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


def test_a_boot_without_vendor_keeps_the_fleet_file_vendor() -> None:
    fixture = Fixture(fleet=FLEET)
    fixture.connect()
    fixture.call("BootNotification", {"chargePointModel": "NG910", "firmwareVersion": "4.15"})
    charger = fixture.state.chargers["CP1"]
    assert (charger.vendor, charger.model, charger.firmware_version) == (
        "Alfen BV",
        "NG910",
        "4.15",
    )
    assert charger.boots == 1

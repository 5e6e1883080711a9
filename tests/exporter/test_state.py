"""FleetState semantics: fleet chargers, admission, connections, boots."""

from __future__ import annotations

import json

from prometheus_client import CollectorRegistry

from exporter.events import ConnectionChanged
from exporter.selfmetrics import ExporterMetrics
from exporter.session import Session
from exporter.state import FleetState
from tests.exporter.states import FLEET, START, Fixture


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


def test_a_boot_without_vendor_keeps_the_fleet_file_vendor() -> None:
    fixture = Fixture(fleet=FLEET)
    fixture.connect()
    # Present (a boot without the field is a CALLERROR) but empty, as some firmware sends.
    fixture.call(
        "BootNotification",
        {"chargePointVendor": "", "chargePointModel": "NG910", "firmwareVersion": "4.15"},
    )
    charger = fixture.state.chargers["CP1"]
    assert (charger.vendor, charger.model, charger.firmware_version) == (
        "Alfen BV",
        "NG910",
        "4.15",
    )
    assert charger.boots == 1


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

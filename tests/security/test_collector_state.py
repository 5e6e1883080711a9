"""Issue 15 findings 1 and 6 replayed against the collector's state: planted faults that never
expired, one charger creating thousands of series or using up a shared label budget, ids kept
for ever, "1e308" kW exported as +Inf, and control characters reaching labels and history.

Frames go through a real Session (the same path as the websocket server) into the fleet state;
what Prometheus would see is the real exposition parsed by prometheus_client's parser. The same
attack over real websockets with a real Prometheus is in test_collector_state_live.py.
"""

from __future__ import annotations

import json
import logging
import math
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from chargekeeper.config.fleet import Fleet
from exporter import limits
from exporter.events import MeterSample, StatusChanged
from exporter.metrics import iter_exposition
from exporter.session import Session
from exporter.state import FORGET_AFTER, MAX_FORGETTABLE, STALE_AFTER_BOOT, STALE_AFTER_RECONNECT
from tests.exporter.states import START, Fixture, iso

Labels = dict[str, str]


def scrape(fixture: Fixture) -> list[tuple[str, Labels, float]]:
    """What a Prometheus scrape of the fleet state would ingest, parsed by a real parser."""
    text = b"".join(iter_exposition(fixture.state)).decode()
    return [
        (sample.name, dict(sample.labels), sample.value)
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    ]


def connectors_shown(fixture: Fixture, name: str = "ocpp_connector_status") -> set[str]:
    return {labels["connector_id"] for sample, labels, _ in scrape(fixture) if sample == name}


def counter(fixture: Fixture, name: str, **labels: str) -> float:
    value = fixture.registry.get_sample_value(f"chargekeeper_exporter_{name}", labels)
    return 0.0 if value is None else value


def notify_event(fixture: Fixture, evse: int, component: str, tech_code: str = "") -> None:
    event: dict[str, Any] = {
        "eventId": 1,
        "timestamp": iso(START),
        "trigger": "Alerting",
        "actualValue": "1",
        "eventNotificationType": "HardWiredNotification",
        "component": {"name": component, "evse": {"id": evse}},
        "variable": {"name": "Fault"},
    }
    if tech_code:
        event["techCode"] = tech_code
    fixture.call("NotifyEvent", {"generatedAt": iso(START), "seqNo": 0, "eventData": [event]})


def boot16(fixture: Fixture) -> None:
    fixture.call("BootNotification", {"chargePointVendor": "Alfen BV", "chargePointModel": "NG9"})


def plant_faults(fixture: Fixture) -> None:
    """The probe: someone connects with the charger's id and plants faults on connectors the
    real charger does not have, then the real charger pushes it off."""
    fixture.connect()
    fixture.status16("Faulted", "GroundFailure", connector=3, vendorErrorCode="E-PLANTED")
    fixture.status16("Faulted", "HighTemperature", connector=4)
    fixture.state.disconnected("CP1", "replaced")


# -- finding 1: stale faults ------------------------------------------------------------------


def test_planted_faults_expire_once_the_real_charger_boots_and_reports_its_connectors() -> None:
    fixture = Fixture()
    fixture.connect()
    fixture.status16("Available", connector=1)
    plant_faults(fixture)
    fixture.clock.advance(60)
    fixture.connect()  # the real charger
    boot16(fixture)
    fixture.status16("Available", connector=0)
    fixture.status16("Available", connector=1)
    fixture.clock.advance(STALE_AFTER_BOOT - 1)
    # Within the boot's grace the charger may still be reporting: nothing is dropped yet.
    assert connectors_shown(fixture, "ocpp_connector_error") == {"3", "4"}
    fixture.clock.advance(2)
    # Ended at scrape time, without waiting for the charger's next frame.
    assert connectors_shown(fixture) == {"0", "1"}
    assert connectors_shown(fixture, "ocpp_connector_error") == set()
    assert counter(fixture, "stale_connectors_expired_total") == 2
    # History sees the faults end, not last for ever.
    ends = [e for e in fixture.events(StatusChanged) if e.connector_id in (3, 4)][-2:]
    assert [(e.status, e.error_code) for e in ends] == [("", ""), ("", "")]


def test_planted_faults_expire_after_a_reconnect_in_which_the_charger_reports_others() -> None:
    fixture = Fixture()
    plant_faults(fixture)
    fixture.connect()  # the real charger reconnects without booting
    fixture.status16("Charging", connector=1)
    fixture.clock.advance(STALE_AFTER_RECONNECT - 1)
    fixture.call("Heartbeat", {})
    assert connectors_shown(fixture) == {"1", "3", "4"}
    fixture.clock.advance(2)
    fixture.call("Heartbeat", {})  # the charger's next frame ends the sweep too
    assert set(fixture.state.chargers["CP1"].connectors) == {1}


def test_a_reconnect_with_no_status_at_all_keeps_what_is_known() -> None:
    # A charger that re-reports nothing after a network blip has told us nothing: its real
    # fault must not be resolved by a guess. (A reconciliation, below, settles it.)
    fixture = Fixture()
    fixture.connect()
    fixture.status16("Faulted", "GroundFailure", connector=1)
    fixture.state.disconnected("CP1", "closed")
    fixture.connect()
    fixture.clock.advance(STALE_AFTER_RECONNECT + 1)
    fixture.call("Heartbeat", {})
    assert connectors_shown(fixture, "ocpp_connector_error") == {"1"}


def test_a_reconciliation_expires_what_the_charger_does_not_report_when_asked() -> None:
    fixture = Fixture()
    plant_faults(fixture)
    fixture.connect()
    fixture.state.reconcile(fixture.state.chargers["CP1"], 30)  # e.g. TriggerMessage accepted
    fixture.status16("Available", connector=1)
    fixture.clock.advance(31)
    assert connectors_shown(fixture) == {"1"}


def test_planted_201_errors_expire_after_the_real_station_boots() -> None:
    fixture = Fixture("2.0.1")
    fixture.connect()
    notify_event(fixture, 7, "PlantedRelay", "X1")
    fixture.state.disconnected("CP1", "replaced")
    fixture.connect()
    fixture.call(
        "BootNotification",
        {"chargingStation": {"model": "M", "vendorName": "Kempower"}, "reason": "PowerUp"},
    )
    fixture.call(
        "StatusNotification",
        {"timestamp": iso(START), "connectorStatus": "Available", "evseId": 1, "connectorId": 1},
    )
    fixture.clock.advance(STALE_AFTER_BOOT + 1)
    assert connectors_shown(fixture, "ocpp_connector_error") == set()
    assert connectors_shown(fixture) == {"1"}


# -- finding 6: cardinality ---------------------------------------------------------------------


def test_one_201_charger_cannot_create_thousands_of_error_series(
    caplog: pytest.LogCaptureFixture,
) -> None:
    fleet = Fleet.model_validate(
        {
            "unknown_chargers": "accept",
            "clients": [{"id": "acme"}],
            "sites": [{"id": "depot", "client": "acme"}],
            "chargers": [{"id": "CP1", "site": "depot"}, {"id": "CP2", "site": "depot"}],
        }
    )
    fixture = Fixture("2.0.1", fleet=fleet)
    fixture.connect("CP1")
    events = [
        {
            "eventId": evse * 100 + part,
            "timestamp": iso(START),
            "trigger": "Alerting",
            "actualValue": "1",
            "eventNotificationType": "HardWiredNotification",
            "component": {"name": f"Part{part}", "evse": {"id": evse}},
            "variable": {"name": "Fault"},
        }
        for evse in range(1, 129)
        for part in range(32)
    ]  # 4,096 errors on 128 EVSEs in one frame, as the probe sent
    with caplog.at_level(logging.WARNING, "exporter.limits"):
        fixture.call("NotifyEvent", {"generatedAt": iso(START), "seqNo": 0, "eventData": events})
    errors = [s for s in scrape(fixture) if s[0] == "ocpp_connector_error"]
    assert len(errors) == limits.MAX_ERRORS
    assert len(fixture.state.chargers["CP1"].connectors) <= limits.MAX_CONNECTORS
    assert counter(fixture, "cardinality_limited_total", charge_point_id="CP1", budget="errors")
    # Counted for every drop, logged once per budget.
    warnings = sorted(r.getMessage() for r in caplog.records if "budget" in r.getMessage())
    assert len(warnings) == 2
    assert "CP1 exceeded its connectors budget (32)" in warnings[0]
    assert "CP1 exceeded its errors budget (64)" in warnings[1]

    # EVSEs beyond the connector budget are dropped and counted too.
    for evse in range(200, 200 + limits.MAX_CONNECTORS):
        fixture.call(
            "StatusNotification",
            {
                "timestamp": iso(START),
                "connectorStatus": "Faulted",
                "evseId": evse,
                "connectorId": 1,
            },
        )
    assert len(fixture.state.chargers["CP1"].connectors) == limits.MAX_CONNECTORS
    assert counter(fixture, "cardinality_limited_total", charge_point_id="CP1", budget="connectors")

    # The others are not starved: a second charger's error still gets its series.
    fixture.connect("CP2")
    notify_event(fixture, 1, "Connector")
    assert fixture.connector(1, "CP2").errors
    # A charger outside the fleet file is counted without its (unbounded) id as a label.
    fixture.connect("STRANGER")
    for evse in range(1, limits.MAX_CONNECTORS + 2):
        notify_event(fixture, evse, "Relay")
    assert counter(fixture, "cardinality_limited_total", charge_point_id="", budget="connectors")


def test_one_charger_cannot_use_up_the_shared_vendor_code_budget() -> None:
    fixture = Fixture()
    fixture.connect("HOG")
    for index in range(2100):  # beyond the fleet-wide 2,000-value cap
        fixture.status16("Faulted", "OtherError", vendorErrorCode=f"E{index}")
    fixture.connect("CP1")
    fixture.status16("Faulted", "OtherError", vendorId="Alfen", vendorErrorCode="E-REAL")
    reported = {
        labels["vendor_error_code"]
        for family in fixture.registry.collect()
        for sample in family.samples
        if sample.name == "chargekeeper_exporter_vendor_error_reports_total"
        for labels in [sample.labels]
    }
    assert "E-REAL" in reported
    assert len(reported) <= limits.MAX_VENDOR_CODES + 2  # the hog's own, "other" and CP1's
    assert counter(fixture, "cardinality_limited_total", charge_point_id="", budget="vendor_codes")


def test_chargers_outside_the_fleet_file_are_forgotten_least_recently_seen_first() -> None:
    fixture = Fixture()
    state = fixture.state
    fixture.connect("KEEP-CONNECTED")
    for index in range(MAX_FORGETTABLE + 500):  # random ids, each connecting once
        state.connected(f"ID-{index}", "1.6")
        state.disconnected(f"ID-{index}", "closed")
        fixture.clock.advance(0.01)
    assert len(state.chargers) == MAX_FORGETTABLE + 1
    assert "ID-0" not in state.chargers and f"ID-{MAX_FORGETTABLE + 499}" in state.chargers
    assert "KEEP-CONNECTED" in state.chargers
    assert (
        counter(fixture, "cardinality_limited_total", charge_point_id="", budget="chargers") == 500
    )
    # Coming back makes a charger recent again; after FORGET_AFTER the rest go.
    state.connected("ID-600", "1.6")
    state.disconnected("ID-600", "closed")
    fixture.clock.advance(FORGET_AFTER - 1)
    state.connected("ID-700", "1.6")
    state.disconnected("ID-700", "closed")
    fixture.clock.advance(2)
    shown = {labels["charge_point_id"] for _, labels, _ in scrape(fixture)}
    assert shown == {"KEEP-CONNECTED", "ID-700"}


def test_fleet_chargers_are_never_forgotten() -> None:
    from tests.exporter.states import FLEET

    fixture = Fixture(fleet=FLEET.model_copy(update={"unknown_chargers": "accept"}))
    fixture.connect("CP1")
    fixture.state.disconnected("CP1", "closed")
    fixture.clock.advance(FORGET_AFTER * 10)
    assert {labels["charge_point_id"] for _, labels, _ in scrape(fixture)} == {"CP1"}


# -- finding 6: numbers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sampled", "kind"),
    [
        ({"value": "1e308", "measurand": "Power.Active.Import", "unit": "kW"}, "power"),
        ({"value": "1e300", "measurand": "Power.Active.Import", "unit": "W"}, "power"),
        ({"value": "1e308", "measurand": "Energy.Active.Import.Register", "unit": "kWh"}, "energy"),
        ({"value": "-5", "measurand": "Energy.Active.Import.Register", "unit": "Wh"}, "energy"),
        ({"value": "1e308", "measurand": "SoC", "unit": "Percent"}, "soc"),
    ],
)
def test_absurd_readings_are_refused_never_exported(sampled: Labels, kind: str) -> None:
    fixture = Fixture()
    fixture.connect()
    meter_value = {"timestamp": iso(START), "sampledValue": [sampled]}
    fixture.call("MeterValues", {"connectorId": 1, "meterValue": [meter_value]})
    connector = fixture.connector()
    assert (connector.power, connector.energy, connector.soc) == (None, None, None)
    assert fixture.events(MeterSample) == []
    assert counter(fixture, "readings_refused_total", measurand=kind) == 1
    assert all(math.isfinite(value) for _, _, value in scrape(fixture))


def test_a_201_multiplier_cannot_make_infinity_and_meter_start_neither() -> None:
    fixture = Fixture("2.0.1")
    fixture.connect()
    unit = {"unit": "W", "multiplier": 9}
    sampled = [
        {"value": 1e300, "measurand": "Power.Active.Import", "unitOfMeasure": unit},
        {"value": 1e305, "measurand": "Voltage", "unitOfMeasure": {**unit, "unit": "V"}},
    ]  # 10^309: infinity after the multiplier
    meter_value = {"timestamp": iso(START), "sampledValue": sampled}
    fixture.call("MeterValues", {"evseId": 1, "meterValue": [meter_value]})
    assert fixture.connector().power is None
    assert fixture.events(MeterSample) == []
    assert counter(fixture, "readings_refused_total", measurand="other") == 1
    sixteen = Fixture()
    sixteen.connect()
    sixteen.call(
        "StartTransaction",
        {"connectorId": 1, "idTag": "T", "meterStart": 1e306, "timestamp": iso(START)},
    )
    assert sixteen.connector().energy is None
    assert counter(sixteen, "readings_refused_total", measurand="energy") == 1


def test_plausible_readings_still_count() -> None:
    fixture = Fixture()
    fixture.connect()
    values = [
        {"value": "350", "measurand": "Power.Active.Import", "unit": "kW"},
        {"value": "-0.4", "measurand": "Power.Active.Import", "unit": "W", "phase": "L1"},
        {"value": "123456789", "measurand": "Energy.Active.Import.Register", "unit": "kWh"},
        {"value": "80", "measurand": "SoC", "unit": "Percent"},
    ]
    fixture.call(
        "MeterValues",
        {"connectorId": 1, "meterValue": [{"timestamp": iso(START), "sampledValue": values}]},
    )
    connector = fixture.connector()
    assert (connector.power, connector.energy, connector.soc) == (350_000, 123456789 * 3.6e6, 0.8)


# -- finding 6: text ----------------------------------------------------------------------------

HOSTILE = "\x1b[31mred\x07\x00 \u202egpj.exe"


def test_control_and_bidi_characters_never_reach_labels_or_history() -> None:
    fixture = Fixture("1.6")
    fixture.connect()
    fixture.call(
        "BootNotification",
        {
            "chargePointVendor": HOSTILE[:20],
            "chargePointModel": HOSTILE,
            "firmwareVersion": HOSTILE,
        },
    )
    fixture.status16(
        "Faulted",
        "OtherError",
        vendorId=HOSTILE,
        vendorErrorCode=HOSTILE[:50],
        info=HOSTILE,
    )
    values = [{"value": "1", "measurand": HOSTILE, "unit": "W", "phase": "L1\x1b"}]
    fixture.call(
        "MeterValues",
        {"connectorId": 1, "meterValue": [{"timestamp": iso(START), "sampledValue": values}]},
    )
    texts = [value for _, labels, _ in scrape(fixture) for value in labels.values()]
    texts += [
        value
        for family in fixture.registry.collect()
        for sample in family.samples
        for value in sample.labels.values()
    ]
    for event in fixture.sink.events:
        texts += [value for value in vars_of(event) if isinstance(value, str)]
    assert any("gpj.exe" in text for text in texts)  # the text is kept, made inert
    for text in texts:
        assert not any(char in text for char in "\x1b\x07\x00\u202e"), repr(text)


def test_201_error_text_is_sanitised_too() -> None:
    fixture = Fixture("2.0.1")
    fixture.connect()
    notify_event(fixture, 1, "Relay", tech_code="\u202eE1\x00")
    (error,) = fixture.connector().errors.values()
    assert error == ("Relay.Fault", "", "\ufffdE1\ufffd")


def vars_of(event: object) -> list[object]:
    return [getattr(event, name) for name in event.__slots__]  # type: ignore[attr-defined]


def test_a_session_answers_normally_whatever_the_text() -> None:
    # Sanitising is the state's business: the charger still gets its ordinary reply.
    fixture = Fixture()
    fixture.connect()
    session = Session("CP1", "1.6", fixture.state, fixture.metrics)
    frame = [2, "x", "StatusNotification", {"connectorId": 1, "errorCode": "NoError"}]
    frame[3]["status"] = "Available\x1b"  # type: ignore[index]
    (reply,) = session.handle(json.dumps(frame))
    assert json.loads(reply) == [3, "x", {}]

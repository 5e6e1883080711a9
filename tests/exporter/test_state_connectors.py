"""FleetState semantics of a connector (OCPP 1.6 frames): status-since, errors, transactions,
energy register, state of charge."""

from __future__ import annotations

from exporter.events import MeterSample, StatusChanged
from tests.exporter.states import START, Fixture, iso


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

"""Replay every shared real-charger trace through Session.handle and check replies, state, metrics.

The traces (../shared/fixtures/ocpp-traces) are verbatim frames of real chargers. Every frame of
a trace is fed as if the charger sent it: its CALLs get our reply, CALLRESULT/CALLERROR frames
(answers to calls this collector never made) get nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from exporter import schemas
from exporter.events import MeterSample, StatusChanged
from exporter.metrics import iter_exposition
from exporter.selfmetrics import ExporterMetrics
from exporter.session import Session
from exporter.state import FleetState
from tests.support.fakes import ManualClock, RecordingSink

TRACES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "ocpp-traces"
CONNECTED_AT = 1_764_086_300.0  # 2025-11-25T15:58:20Z
NOW = 1_764_086_400.0  # 2025-11-25T16:00:00Z, when every frame arrives
NOW_ISO = "2025-11-25T16:00:00.000Z"


Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def exposition_samples(state: FleetState) -> Samples:
    text = b"".join(iter_exposition(state)).decode()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def labels(**values: str) -> frozenset[tuple[str, str]]:
    return frozenset(values.items())


class Replay:
    def __init__(self, trace: str, charge_point_id: str = "CP1") -> None:
        self.version = "2.0.1" if trace.startswith("ocpp201") else "1.6"
        self.registry = CollectorRegistry()
        self.metrics = ExporterMetrics(self.registry)
        self.sink = RecordingSink()
        self.clock = ManualClock(CONNECTED_AT)
        self.state = FleetState(None, self.metrics, self.sink, self.clock)
        self.state.connected(charge_point_id, self.version)
        self.clock.now = NOW
        self.session = Session(charge_point_id, self.version, self.state, self.metrics)
        self.replies: list[list[str]] = []
        for line in (TRACES / trace).read_text().splitlines():
            if line.strip():
                self.replies.append(self.session.handle(line))
        self.frames = [line for line in (TRACES / trace).read_text().splitlines() if line.strip()]

    def call_replies(self) -> list[str]:
        """Our reply to each CALL of the trace, in order (each CALL gets exactly one)."""
        result = []
        for frame, reply in zip(self.frames, self.replies, strict=True):
            if json.loads(frame)[0] == 2:
                assert len(reply) == 1
                result.append(reply[0])
            else:
                assert reply == []
        return result

    def samples(self) -> Samples:
        return exposition_samples(self.state)

    def metric(self, name: str, **label_values: str) -> float | None:
        return self.samples().get((name, labels(charge_point_id="CP1", **label_values)))

    def counter(self, name: str, label_values: dict[str, str] | None = None) -> float | None:
        return self.registry.get_sample_value(name, label_values or {})


def test_every_trace_is_covered() -> None:
    covered = {
        "ocpp16_abb_terra_ac_status_without_timestamp.jsonl",
        "ocpp16_abb_terra_ac_triggered_metervalues.jsonl",
        "ocpp16_alfen_ng910_faulted_vendor_code_210.jsonl",
        "ocpp16_grizzle_full_session.jsonl",
        "ocpp16_heliox_fe20_soc_metervalues.jsonl",
        "ocpp16_microocpp_faulted_overvoltage_then_noerror.jsonl",
        "ocpp201_statusnotification.jsonl",
    }
    assert {path.name for path in TRACES.glob("*.jsonl")} == covered


@pytest.mark.parametrize("trace", sorted(path.name for path in TRACES.glob("*.jsonl")))
def test_every_reply_validates_against_the_response_schema(trace: str) -> None:
    replay = Replay(trace)
    for frame, reply in zip(replay.frames, replay.replies, strict=True):
        message = json.loads(frame)
        if message[0] != 2:
            continue
        answer = json.loads(reply[0])
        assert answer[1] == message[1]
        if answer[0] == 3:
            schemas.response_validator(replay.version, message[2])(answer[2])


def test_abb_status_without_timestamp_and_info_null() -> None:
    replay = Replay("ocpp16_abb_terra_ac_status_without_timestamp.jsonl")
    assert replay.call_replies() == [
        # RemoteStartTransaction is a central-system call: a charger may not send it.
        '[4,"3c1f614d-6ee3-4c6c-bb86-3eaf5f34668c","NotSupported",'
        '"RemoteStartTransaction is sent by a central system, not by a charge point",{}]',
        '[3,"0583200",{}]',
    ]
    assert replay.metric("ocpp_connector_status", connector_id="1", status="Preparing") == 1
    # No timestamp: the status began when it arrived.
    assert replay.metric("ocpp_connector_status_since_timestamp_seconds", connector_id="1") == NOW
    # vendorErrorCode 0x0000 beside NoError is not a fault.
    assert not [key for key in replay.samples() if key[0] == "ocpp_connector_error"]
    status_events = [e for e in replay.sink.events if isinstance(e, StatusChanged)]
    assert [(e.status, e.error_code, e.vendor_error_code, e.info) for e in status_events] == [
        ("Preparing", "NoError", "0x0000", "")  # "info": "null" is no info
    ]
    assert replay.counter("chargekeeper_exporter_noncompliant_frames_total") is None


def test_abb_triggered_meter_values_with_numbers_as_strings() -> None:
    replay = Replay("ocpp16_abb_terra_ac_triggered_metervalues.jsonl")
    assert replay.call_replies() == [
        '[3,"7283592",{}]',
        '[4,"1904146586","NotSupported",'
        '"TriggerMessage is sent by a central system, not by a charge point",{}]',
        '[3,"2126940",{}]',
    ]
    assert replay.metric("ocpp_connector_power_watts", connector_id="1") == 0
    assert replay.metric("ocpp_connector_energy_joules_total", connector_id="1") == 0
    # No transactionId: these readings are not a transaction.
    assert replay.metric("ocpp_connector_transaction_active", connector_id="1") == 0
    meter = [e for e in replay.sink.events if isinstance(e, MeterSample)]
    assert [(e.measurand, e.value, e.unit) for e in meter[:3]] == [
        ("Energy.Active.Import.Register", 0.0, "J"),
        ("Current.Import", 0.0, "A"),
        ("Power.Active.Import", 0.0, "W"),
    ]
    assert meter[0].time == 1_735_642_226.0  # 2024-12-31T10:50:26Z, the charger's own time


def test_alfen_faulted_with_vendor_code_replayed_two_days_late() -> None:
    replay = Replay("ocpp16_alfen_ng910_faulted_vendor_code_210.jsonl")
    assert replay.call_replies() == [
        f'[3,"210",{{"status":"Accepted","currentTime":"{NOW_ISO}","interval":300}}]',
        '[3,"211",{}]',
    ]
    info = replay.samples()
    assert (
        info[
            (
                "ocpp_charge_point_info",
                labels(
                    charge_point_id="CP1",
                    site="unknown",
                    client="unknown",
                    group="unknown",
                    vendor="Alfen BV",
                    model="NG910-60023",
                    firmware_version="4.15.7-4054",
                    ocpp_version="1.6",
                ),
            )
        ]
        == 1
    )
    assert replay.metric("ocpp_connector_status", connector_id="0", status="Faulted") == 1
    error = replay.metric(
        "ocpp_connector_error",
        connector_id="0",
        error_code="OtherError",
        vendor_id="",
        vendor_error_code="210",
    )
    assert error == 1
    # The status is dated 2022-01-31: a replay must not look two days old, only as old as
    # the current connection.
    since = replay.metric("ocpp_connector_status_since_timestamp_seconds", connector_id="0")
    assert since == CONNECTED_AT
    assert replay.metric("ocpp_charge_point_boots_total") == 1
    assert (
        replay.counter(
            "chargekeeper_exporter_vendor_error_reports_total",
            {"vendor": "Alfen BV", "vendor_error_code": "210"},
        )
        == 1
    )
    (event,) = [e for e in replay.sink.events if isinstance(e, StatusChanged)]
    assert event.info == "Modbus TCP/IP lost, in safe mode max 14.0A"
    assert event.time == 1_643_640_268.0  # history keeps the charger's own (old) time


def test_grizzle_full_session() -> None:
    replay = Replay("ocpp16_grizzle_full_session.jsonl")
    assert replay.call_replies() == [
        f'[3,"03.00003282cfc304e65",{{"status":"Accepted","currentTime":"{NOW_ISO}",'
        '"interval":300}]',
        '[3,"03.00003282c0eb8ce0c",{}]',
        '[3,"03.00003282c0eee0461",{"transactionId":1,"idTagInfo":{"status":"Accepted"}}]',
        '[3,"03.00003282c0f5613c2",{}]',
        '[3,"03.00003282c15aebfbf",{}]',
        # The stop is dated before the start (charger clock bug): still the end of it.
        '[3,"03.00003282c1dc63c95",{"idTagInfo":{"status":"Accepted"}}]',
        '[3,"03.00003282c0eb8ce0d",{}]',
    ]
    assert replay.metric("ocpp_connector_transaction_active", connector_id="1") == 0
    # The duplicated Preparing arrives last and is applied in arrival order.
    assert replay.metric("ocpp_connector_status", connector_id="1", status="Preparing") == 1
    # vendorErrorCode "0" beside NoError is not a fault...
    assert not [key for key in replay.samples() if key[0] == "ocpp_connector_error"]
    # ...but it is a vendor report.
    assert (
        replay.counter(
            "chargekeeper_exporter_vendor_error_reports_total",
            {"vendor": "United Chargers", "vendor_error_code": "0"},
        )
        == 3
    )
    # Decimal Wh (40330.10) in J; meterStop 40330 Wh is lower and must not look like a reset.
    assert replay.metric("ocpp_connector_energy_joules_total", connector_id="1") == pytest.approx(
        40330.10 * 3600
    )
    # Phase L1-N is the total of a single-phase charger.
    assert replay.metric("ocpp_connector_power_watts", connector_id="1") == 9141.55
    statuses = [e.status for e in replay.sink.events if isinstance(e, StatusChanged)]
    assert statuses == ["Preparing", "Charging", "Preparing"]


def test_heliox_soc_frequency_in_watts_and_transaction_zero() -> None:
    replay = Replay("ocpp16_heliox_fe20_soc_metervalues.jsonl")
    assert replay.call_replies() == [
        f'[3,"4928f01b-6dcb-4549-b467-34f3061e9b26",{{"status":"Accepted",'
        f'"currentTime":"{NOW_ISO}","interval":300}}]',
        # No vendor extension is implemented: the spec answer, never silence.
        '[3,"2bf90fe7-298e-488c-818f-2c109e3ac002",{"status":"UnknownVendorId"}]',
        '[3,"d4187d9e-3fd3-4c49-84b5-bcb6b4053d44",{}]',
        '[3,"c0c9197c-62e4-465d-947b-552f5014294b",{"status":"UnknownVendorId"}]',
    ]
    assert replay.metric("ocpp_connector_soc_ratio", connector_id="1") == 0.68
    assert replay.metric("ocpp_connector_power_watts", connector_id="1") == 6807.0
    # transactionId 0 is a transaction id like any other.
    assert replay.metric("ocpp_connector_transaction_active", connector_id="1") == 1
    meter = {e.measurand: e for e in replay.sink.events if isinstance(e, MeterSample)}
    assert (meter["Frequency"].value, meter["Frequency"].unit) == (49.965004, "Hz")
    assert (meter["Temperature"].value, meter["Temperature"].unit) == (28.300001, "celsius")
    assert (meter["SoC"].value, meter["SoC"].unit) == (0.68, "ratio")
    assert (meter["Power.Reactive.Import"].value, meter["Power.Reactive.Import"].unit) == (
        72.0,
        "var",
    )


def test_microocpp_faulted_with_no_error_is_still_a_fault() -> None:
    replay = Replay("ocpp16_microocpp_faulted_overvoltage_then_noerror.jsonl")
    assert replay.call_replies() == ['[3,"1000002",{}]', '[3,"1000003",{}]']
    errors = {key for key in replay.samples() if key[0] == "ocpp_connector_error"}
    assert errors == {
        (
            "ocpp_connector_error",
            labels(
                charge_point_id="CP1",
                connector_id="1",
                error_code="NoError",
                vendor_id="",
                vendor_error_code="",
            ),
        )
    }
    assert replay.metric("ocpp_connector_status", connector_id="1", status="Faulted") == 1
    events = [e for e in replay.sink.events if isinstance(e, StatusChanged)]
    assert [(e.status, e.error_code) for e in events] == [
        ("Faulted", "OverVoltage"),
        ("Faulted", "NoError"),
    ]


def test_ocpp201_status_notification_uses_the_evse_id() -> None:
    replay = Replay("ocpp201_statusnotification.jsonl")
    assert replay.call_replies() == ['[3,"1699530088997",{}]']
    assert replay.metric("ocpp_connector_status", connector_id="2", status="Available") == 1
    samples = replay.samples()
    assert (
        samples[
            (
                "ocpp_charge_point_info",
                labels(
                    charge_point_id="CP1",
                    site="unknown",
                    client="unknown",
                    group="unknown",
                    vendor="",
                    model="",
                    firmware_version="",
                    ocpp_version="2.0.1",
                ),
            )
        ]
        == 1
    )
    assert (
        replay.counter(
            "chargekeeper_exporter_messages_total",
            {"ocpp_version": "2.0.1", "action": "StatusNotification"},
        )
        == 1
    )


def test_microocpp_exposition_text_sample_for_sample() -> None:
    replay = Replay("ocpp16_microocpp_faulted_overvoltage_then_noerror.jsonl")
    text = b"".join(iter_exposition(replay.state)).decode()
    samples = [line for line in text.splitlines() if not line.startswith("#")]
    assert samples == [
        'ocpp_charge_point_info{charge_point_id="CP1",site="unknown",client="unknown",'
        'group="unknown",vendor="",model="",firmware_version="",ocpp_version="1.6"} 1',
        'ocpp_charge_point_connected{charge_point_id="CP1"} 1',
        'ocpp_charge_point_last_message_timestamp_seconds{charge_point_id="CP1"} 1764086400',
        'ocpp_charge_point_connection_changed_timestamp_seconds{charge_point_id="CP1"} 1764086300',
        'ocpp_charge_point_connects_total{charge_point_id="CP1"} 1',
        'ocpp_charge_point_boots_total{charge_point_id="CP1"} 0',
        'ocpp_connector_status{charge_point_id="CP1",connector_id="1",status="Faulted"} 1',
        # The 2023 timestamp is older than the connection: the connection start is shown.
        'ocpp_connector_status_since_timestamp_seconds{charge_point_id="CP1",connector_id="1"}'
        " 1764086300",
        'ocpp_connector_error{charge_point_id="CP1",connector_id="1",error_code="NoError",'
        'vendor_id="",vendor_error_code=""} 1',
        'ocpp_connector_transaction_active{charge_point_id="CP1",connector_id="1"} 0',
    ]

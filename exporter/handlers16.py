"""OCPP 1.6J central system: one ``on_<action>`` per charger-initiated action (core profile and
the 1.6 security extension). The actions both versions answer alike are handled by the base
class, exporter.handlers.Handlers."""

from __future__ import annotations

from typing import Any, ClassVar

from exporter import lenient
from exporter.handlers import Handlers, Payload
from exporter.lenient import Unintelligible
from exporter.records import Reading

_STATUSES = lenient.canonical_names(
    "Available",
    "Preparing",
    "Charging",
    "SuspendedEVSE",
    "SuspendedEV",
    "Finishing",
    "Reserved",
    "Unavailable",
    "Faulted",
)
_ERROR_CODES = lenient.canonical_names(
    "ConnectorLockFailure",
    "EVCommunicationError",
    "GroundFailure",
    "HighTemperature",
    "InternalError",
    "LocalListConflict",
    "NoError",
    "OtherError",
    "OverCurrentFailure",
    "PowerMeterFailure",
    "PowerSwitchFailure",
    "ReaderFailure",
    "ResetFailure",
    "UnderVoltage",
    "OverVoltage",
    "WeakSignal",
)


def connector_id(payload: Payload) -> int:
    return lenient.connector_number(lenient.require(payload, "connectorId"), "connectorId")


def readings(sampled_values: Any) -> list[Reading]:
    """A 1.6 meterValue's sampledValue list in base units; unreadable values are skipped
    (a SignedData blob or free text is a valid CiString, not a number)."""
    result: list[Reading] = []
    sample_kind = lenient.sample_kind
    for sampled in lenient.items(sampled_values, "sampledValue"):
        if type(sampled) is not dict or sampled.get("format") == "SignedData":
            continue
        value = lenient.reading_value(sampled.get("value"))
        if value is None:
            continue
        get = sampled.get
        measurand, phase, convert, base_unit = sample_kind(
            get("measurand"), get("unit"), get("phase")
        )
        result.append((measurand, phase, convert(value), base_unit))
    return result


class CentralSystem16(Handlers):
    ocpp_version = "1.6"
    lenient_actions = frozenset(
        {
            "Authorize",
            "BootNotification",
            "DataTransfer",
            "Heartbeat",
            "MeterValues",
            "StartTransaction",
            "StatusNotification",
            "StopTransaction",
        }
    )
    # Documented quirks (tests/exporter/test_session_noncompliant.py, the ABB trace): a
    # missing errorCode is NoError; a missing timestamp is read as the time of receipt, as a
    # garbage one is.
    tolerated_missing: ClassVar[dict[str, frozenset[str]]] = {
        "StatusNotification": frozenset({"errorCode"}),
        "StartTransaction": frozenset({"timestamp"}),
        "StopTransaction": frozenset({"timestamp"}),
        "MeterValues": frozenset({"meterValue[].timestamp"}),
    }

    def on_boot_notification(self, payload: Payload) -> Payload:
        self.state.booted(
            self.charger,
            lenient.text(payload.get("chargePointVendor")),
            lenient.text(payload.get("chargePointModel")),
            lenient.text(payload.get("firmwareVersion")),
        )
        return {
            "status": "Accepted",
            "currentTime": lenient.iso_utc(self.now()),
            "interval": self.state.heartbeat_interval,
        }

    def on_status_notification(self, payload: Payload) -> Payload:
        connector = connector_id(payload)
        status = lenient.enum(lenient.required_text(payload, "status"), _STATUSES)
        # A missing errorCode says nothing is wrong.
        error_code = lenient.enum(lenient.text(payload.get("errorCode")) or "NoError", _ERROR_CODES)
        self.state.status_notification(
            self.charger,
            connector,
            status,
            error_code,
            lenient.text(payload.get("vendorId")),
            lenient.text(payload.get("vendorErrorCode")),
            lenient.text(payload.get("info"), lenient.MAX_FREE_TEXT),
            lenient.timestamp(payload.get("timestamp")),
        )
        return {}

    def on_meter_values(self, payload: Payload) -> Payload:
        connector = connector_id(payload)
        meter_values = lenient.items(lenient.require(payload, "meterValue"), "meterValue")
        transaction_id = payload.get("transactionId")
        if transaction_id is not None:
            try:
                # transactionId 0 is a real id for some central systems (Heliox traces).
                tid = lenient.integer(transaction_id, "transactionId")
                self.state.start_transaction(self.charger, connector, tid)
            except Unintelligible:
                pass  # the readings still count; the id only links them to a transaction
        self._record(connector, meter_values, readings)
        return {}

    def on_start_transaction(self, payload: Payload) -> Payload:
        connector = connector_id(payload)
        id_tag = lenient.required_text(payload, "idTag")
        meter_start = lenient.number(lenient.require(payload, "meterStart"), "meterStart")
        transaction_id = self.state.start_transaction(self.charger, connector, None)
        reading = (lenient.DEFAULT_MEASURAND, "", meter_start * 3600.0, "J")  # Wh
        when = lenient.timestamp(payload.get("timestamp"))
        self.state.meter_values(self.charger, connector, when, [reading])
        # An Invalid tag still gets its transaction: the charger has started it and ends it
        # with a StopTransaction (reason DeAuthorized) that must find it.
        return {"transactionId": transaction_id, "idTagInfo": self.id_tag_info(id_tag)}

    def on_stop_transaction(self, payload: Payload) -> Payload:
        transaction_id = lenient.integer(lenient.require(payload, "transactionId"), "transactionId")
        meter_stop = lenient.number(lenient.require(payload, "meterStop"), "meterStop")
        data = payload.get("transactionData")
        connector = self.state.transaction_connector(self.charger, transaction_id)
        # A stop for a transaction never seen (sent before its start, or started before this
        # collector ran) is accepted: its readings cannot be placed on a connector.
        if connector is not None:
            if data is not None:
                self._record(connector, lenient.items(data, "transactionData"), readings)
            reading = (lenient.DEFAULT_MEASURAND, "", meter_stop * 3600.0, "J")  # Wh
            when = lenient.timestamp(payload.get("timestamp"))
            self.state.meter_values(self.charger, connector, when, [reading])
            self.state.stop_transaction(self.charger, transaction_id)
        id_tag = payload.get("idTag")
        if id_tag is None:
            return {}
        # The session is over either way; the answer only tells the charger the tag's status.
        return {"idTagInfo": self.id_tag_info(lenient.text(id_tag))}

    def on_authorize(self, payload: Payload) -> Payload:
        return {"idTagInfo": self.id_tag_info(lenient.required_text(payload, "idTag"))}

    def on_diagnostics_status_notification(self, payload: Payload) -> Payload:
        return {}

    def on_signed_firmware_status_notification(self, payload: Payload) -> Payload:
        return {}

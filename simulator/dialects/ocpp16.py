"""OCPP 1.6J as the simulated charger speaks it: its frames and its configuration keys.

StartTransaction, MeterValues with the central system's transactionId, StopTransaction with
transactionData; StatusNotification carries the fault's codes and connector 0 reports the
charger as a whole. Answers GetConfiguration and ChangeConfiguration here, and TriggerMessage,
Reset and RemoteStart/StopTransaction through ``simulator.dialects.answers``.
"""

from __future__ import annotations

from simulator.dialects import answers
from simulator.dialects.base import ChargerControl, Dialect, Handler, Reply, parse_interval
from simulator.identities import Identity
from simulator.model import (
    ActiveFault,
    BootReason,
    Call,
    Connector,
    JsonObject,
    StopReason,
)
from simulator.physics import Sample

# 1.6 configuration keys the simulator knows, and whether the central system may change them.
_WRITABLE_16 = ("HeartbeatInterval", "MeterValueSampleInterval")
_READONLY_16 = ("NumberOfConnectors", "SupportedFeatureProfiles", "MeterValuesSampledData")


def _config_value(charger: ChargerControl, key: str) -> str:
    values = {
        "HeartbeatInterval": str(charger.heartbeat_interval),
        "MeterValueSampleInterval": str(charger.meter_interval),
        "NumberOfConnectors": str(len(charger.connectors)),
        "SupportedFeatureProfiles": "Core,RemoteTrigger",
        "MeterValuesSampledData": answers.MEASURANDS,
    }
    return values[key]


def _get_configuration(charger: ChargerControl, payload: JsonObject) -> Reply:
    requested = payload.get("key")
    keys = list(requested) if isinstance(requested, list) and requested else None
    known = _WRITABLE_16 + _READONLY_16
    wanted = keys if keys is not None else list(known)
    configuration = [
        {"key": key, "readonly": key in _READONLY_16, "value": _config_value(charger, key)}
        for key in wanted
        if key in known
    ]
    result: JsonObject = {"configurationKey": configuration}
    unknown = [str(key)[:50] for key in wanted if key not in known]
    if unknown:
        result["unknownKey"] = unknown
    return result


def _change_configuration(charger: ChargerControl, payload: JsonObject) -> Reply:
    key = payload.get("key")
    if key in _READONLY_16:
        return {"status": "Rejected"}
    if key not in _WRITABLE_16:
        return {"status": "NotSupported"}
    seconds = parse_interval(payload.get("value"))
    if seconds is None:
        return {"status": "Rejected"}
    if key == "HeartbeatInterval":
        charger.heartbeat_interval = seconds
    else:
        charger.meter_interval = seconds
    return {"status": "Accepted"}


def _trigger(charger: ChargerControl, payload: JsonObject) -> Reply:
    return answers.trigger(charger, payload.get("requestedMessage"), payload.get("connectorId"))


def _remote_start(charger: ChargerControl, payload: JsonObject) -> Reply:
    return answers.remote_start(charger, payload.get("connectorId"), payload.get("idTag"))


_HANDLERS_16: dict[str, Handler] = {
    "TriggerMessage": _trigger,
    "Reset": answers.reset,
    "GetConfiguration": _get_configuration,
    "ChangeConfiguration": _change_configuration,
    "RemoteStartTransaction": _remote_start,
    "RemoteStopTransaction": answers.remote_stop,
}


def _sv16(value: str, measurand: str, unit: str, context: str) -> JsonObject:
    """One 1.6 SampledValue: the value a decimal string, the unit a plain field."""
    return {
        "value": value,
        "context": context,
        "measurand": measurand,
        "location": "Outlet",
        "unit": unit,
    }


class Ocpp16(Dialect):
    """OCPP 1.6J (JSON over websocket)."""

    version = "1.6"
    subprotocol = "ocpp1.6"
    handlers = _HANDLERS_16

    def boot(self, identity: Identity, serial: str, reason: BootReason) -> Call:
        return (
            "BootNotification",
            {
                "chargePointVendor": identity.vendor,
                "chargePointModel": identity.model,
                "chargePointSerialNumber": serial,
                "chargeBoxSerialNumber": serial,
                "firmwareVersion": identity.firmware,
                "meterType": f"{identity.supply.value} meter",
            },
        )

    def status(
        self, connector: Connector, timestamp: str, cleared: ActiveFault | None = None
    ) -> list[Call]:
        # 1.6 has no explicit clear: a status with errorCode NoError ends the fault.
        payload: JsonObject = {
            "connectorId": connector.id,
            "status": connector.status.value,
            "errorCode": "NoError",
            "timestamp": timestamp,
        }
        fault = connector.fault
        if fault is not None:
            payload["errorCode"] = fault.error_code
            if fault.vendor_id:
                payload["vendorId"] = fault.vendor_id
            if fault.vendor_error_code:
                payload["vendorErrorCode"] = fault.vendor_error_code
            if fault.info:
                payload["info"] = fault.info
        return [("StatusNotification", payload)]

    def status_whole_charger(self, timestamp: str) -> list[Call]:
        return [
            (
                "StatusNotification",
                {
                    "connectorId": 0,
                    "status": "Available",
                    "errorCode": "NoError",
                    "timestamp": timestamp,
                },
            )
        ]

    def _sampled(self, sample: Sample, context: str) -> list[JsonObject]:
        values: list[JsonObject] = [
            _sv16(f"{sample.energy_wh:.0f}", "Energy.Active.Import.Register", "Wh", context),
            _sv16(f"{sample.power_w:.1f}", "Power.Active.Import", "W", context),
            _sv16(f"{sample.current_a:.1f}", "Current.Import", "A", context),
            _sv16(f"{sample.voltage_v:.1f}", "Voltage", "V", context),
        ]
        if sample.soc_percent is not None:
            values.append(
                {
                    "value": str(sample.soc_percent),
                    "context": context,
                    "measurand": "SoC",
                    "location": "EV",
                    "unit": "Percent",
                }
            )
        return values

    def transaction_started(
        self, connector: Connector, id_tag: str, sample: Sample, timestamp: str, remote: bool
    ) -> Call:
        return (
            "StartTransaction",
            {
                "connectorId": connector.id,
                "idTag": id_tag,
                "meterStart": int(sample.energy_wh),
                "timestamp": timestamp,
            },
        )

    def transaction_id_from(self, result: JsonObject | None, connector: Connector) -> object:
        if result is None:
            return None
        transaction_id = result.get("transactionId")
        return transaction_id if isinstance(transaction_id, int) else None

    def transaction_updated(self, connector: Connector, sample: Sample, timestamp: str) -> Call:
        return self.meter_values(connector, sample, timestamp)

    def meter_values(self, connector: Connector, sample: Sample, timestamp: str) -> Call:
        payload: JsonObject = {
            "connectorId": connector.id,
            "meterValue": [
                {"timestamp": timestamp, "sampledValue": self._sampled(sample, "Sample.Periodic")}
            ],
        }
        if isinstance(connector.transaction_id, int):
            payload["transactionId"] = connector.transaction_id
        return ("MeterValues", payload)

    def transaction_ended(
        self, connector: Connector, id_tag: str, sample: Sample, timestamp: str, reason: StopReason
    ) -> Call | None:
        if not isinstance(connector.transaction_id, int):
            # The central system never confirmed the start: 1.6 has no way to name the transaction.
            return None
        return (
            "StopTransaction",
            {
                "transactionId": connector.transaction_id,
                "idTag": id_tag,
                "meterStop": int(sample.energy_wh),
                "timestamp": timestamp,
                "reason": reason.value,
                "transactionData": [
                    {
                        "timestamp": timestamp,
                        "sampledValue": self._sampled(sample, "Transaction.End"),
                    }
                ],
            },
        )

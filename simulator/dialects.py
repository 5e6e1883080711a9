"""OCPP 1.6J and 2.0.1 as the simulated charger speaks them.

A dialect turns the version-neutral charger state (``simulator.model``) into CALL payloads, and
answers the central system's CALLs. Payloads are plain dicts built only when a frame is sent, so
an idle charger holds no rendered frames; every payload is checked against the ``ocpp`` package's
JSON schemas in the tests.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Protocol

from simulator.identities import Identity
from simulator.model import (
    ActiveFault,
    BootReason,
    Call,
    Connector,
    ConnectorStatus,
    JsonObject,
    StopReason,
)
from simulator.physics import Sample


@dataclass(frozen=True, slots=True)
class CallErrorReply:
    """A CALLERROR the charger answers with (OCPP-J error codes)."""

    code: str
    description: str


@dataclass(frozen=True, slots=True)
class Followup:
    """Something the charger does after replying to a CALL (OCPP: reply first, act after).

    kind: "trigger" (send ``message`` now), "reboot", or "step" (act on a remote start/stop).
    """

    kind: str
    message: str = ""
    connector_id: int | None = None


Reply = JsonObject | CallErrorReply


class ChargerControl(Protocol):
    """What a dialect may read and change on the charger when answering a CALL."""

    @property
    def identity(self) -> Identity: ...
    @property
    def connectors(self) -> list[Connector]: ...

    heartbeat_interval: int
    meter_interval: int

    def schedule(self, followup: Followup) -> None: ...
    def find_transaction(self, transaction_id: object) -> Connector | None: ...


# 1.6 configuration keys the simulator knows, and whether the central system may change them.
_WRITABLE_16 = ("HeartbeatInterval", "MeterValueSampleInterval")
_READONLY_16 = ("NumberOfConnectors", "SupportedFeatureProfiles", "MeterValuesSampledData")
_MEASURANDS = "Energy.Active.Import.Register,Power.Active.Import,Current.Import,Voltage,SoC"
# 2.0.1 (component, variable) pairs and whether SetVariables may change them.
_VARIABLES_201: dict[tuple[str, str], bool] = {
    ("OCPPCommCtrlr", "HeartbeatInterval"): True,
    ("SampledDataCtrlr", "TxUpdatedInterval"): True,
    ("SampledDataCtrlr", "TxUpdatedMeasurands"): False,
    ("EVSE", "Power"): False,
}


def _parse_interval(value: object) -> int | None:
    """A configuration interval in seconds, or None when the value is not one."""
    if isinstance(value, bool):
        return None
    try:
        seconds = int(str(value).strip())
    except ValueError:
        return None
    return seconds if 0 < seconds <= 86_400 else None


class Dialect(ABC):
    """One OCPP version's frames and replies."""

    version: str
    subprotocol: str

    @abstractmethod
    def boot(self, identity: Identity, serial: str, reason: BootReason) -> Call: ...
    @abstractmethod
    def status(
        self, connector: Connector, timestamp: str, cleared: ActiveFault | None = None
    ) -> list[Call]:
        """The frames reporting the connector's status; ``cleared`` is a fault that just ended."""

    @abstractmethod
    def status_whole_charger(self, timestamp: str) -> list[Call]: ...
    @abstractmethod
    def transaction_started(
        self, connector: Connector, id_tag: str, sample: Sample, timestamp: str, remote: bool
    ) -> Call: ...
    @abstractmethod
    def transaction_updated(self, connector: Connector, sample: Sample, timestamp: str) -> Call: ...
    @abstractmethod
    def transaction_ended(
        self, connector: Connector, id_tag: str, sample: Sample, timestamp: str, reason: StopReason
    ) -> Call | None: ...
    @abstractmethod
    def transaction_id_from(self, result: JsonObject | None, connector: Connector) -> object: ...
    @abstractmethod
    def meter_values(self, connector: Connector, sample: Sample, timestamp: str) -> Call: ...
    @abstractmethod
    def answer(self, charger: ChargerControl, action: str, payload: JsonObject) -> Reply: ...

    def reports(self, old: ConnectorStatus, new: ConnectorStatus) -> bool:
        """Whether a status change is sent as a StatusNotification in this version."""
        return True

    def heartbeat(self) -> Call:
        return ("Heartbeat", {})

    def accepted_interval(self, result: JsonObject | None) -> tuple[bool, int | None]:
        """(accepted, interval) from a BootNotification result; same fields in both versions."""
        if result is None:
            return (False, None)
        return (result.get("status") == "Accepted", _parse_interval(result.get("interval")))

    @staticmethod
    def _not_implemented(action: str) -> CallErrorReply:
        return CallErrorReply("NotImplemented", f"{action} is not implemented by this simulator")


class Ocpp16(Dialect):
    """OCPP 1.6J (JSON over websocket)."""

    version = "1.6"
    subprotocol = "ocpp1.6"

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

    def answer(self, charger: ChargerControl, action: str, payload: JsonObject) -> Reply:
        if action == "TriggerMessage":
            return self._trigger(charger, payload)
        if action == "Reset":
            charger.schedule(Followup("reboot"))
            return {"status": "Accepted"}
        if action == "GetConfiguration":
            return self._get_configuration(charger, payload)
        if action == "ChangeConfiguration":
            return self._change_configuration(charger, payload)
        if action == "RemoteStartTransaction":
            return _remote_start(charger, payload.get("connectorId"), payload.get("idTag"))
        if action == "RemoteStopTransaction":
            return _remote_stop(charger, payload.get("transactionId"))
        return self._not_implemented(action)

    def _trigger(self, charger: ChargerControl, payload: JsonObject) -> Reply:
        message = payload.get("requestedMessage")
        connector_id = payload.get("connectorId")
        if connector_id is not None and not _has_connector(charger, connector_id, allow_zero=True):
            return {"status": "Rejected"}
        if message in ("BootNotification", "Heartbeat", "StatusNotification", "MeterValues"):
            charger.schedule(Followup("trigger", str(message), connector_id))
            return {"status": "Accepted"}
        return {"status": "NotImplemented"}

    def _config_value(self, charger: ChargerControl, key: str) -> str:
        values = {
            "HeartbeatInterval": str(charger.heartbeat_interval),
            "MeterValueSampleInterval": str(charger.meter_interval),
            "NumberOfConnectors": str(len(charger.connectors)),
            "SupportedFeatureProfiles": "Core,RemoteTrigger",
            "MeterValuesSampledData": _MEASURANDS,
        }
        return values[key]

    def _get_configuration(self, charger: ChargerControl, payload: JsonObject) -> Reply:
        requested = payload.get("key")
        keys = list(requested) if isinstance(requested, list) and requested else None
        known = _WRITABLE_16 + _READONLY_16
        wanted = keys if keys is not None else list(known)
        configuration = [
            {"key": key, "readonly": key in _READONLY_16, "value": self._config_value(charger, key)}
            for key in wanted
            if key in known
        ]
        result: JsonObject = {"configurationKey": configuration}
        unknown = [str(key)[:50] for key in wanted if key not in known]
        if unknown:
            result["unknownKey"] = unknown
        return result

    def _change_configuration(self, charger: ChargerControl, payload: JsonObject) -> Reply:
        key = payload.get("key")
        if key in _READONLY_16:
            return {"status": "Rejected"}
        if key not in _WRITABLE_16:
            return {"status": "NotSupported"}
        seconds = _parse_interval(payload.get("value"))
        if seconds is None:
            return {"status": "Rejected"}
        if key == "HeartbeatInterval":
            charger.heartbeat_interval = seconds
        else:
            charger.meter_interval = seconds
        return {"status": "Accepted"}


def _sv16(value: str, measurand: str, unit: str, context: str) -> JsonObject:
    return {
        "value": value,
        "context": context,
        "measurand": measurand,
        "location": "Outlet",
        "unit": unit,
    }


def _has_connector(charger: ChargerControl, connector_id: object, allow_zero: bool) -> bool:
    if not isinstance(connector_id, int) or isinstance(connector_id, bool):
        return False
    return (allow_zero and connector_id == 0) or 1 <= connector_id <= len(charger.connectors)


def _remote_start(charger: ChargerControl, connector_id: object, id_tag: object) -> Reply:
    """Accept when the named (or any) connector can take a session; 1.6 and 2.0.1 alike."""
    if not isinstance(id_tag, str) or not id_tag:
        return {"status": "Rejected"}
    if connector_id is None:
        candidates = [c for c in charger.connectors if c.free]
    elif _has_connector(charger, connector_id, allow_zero=False):
        assert isinstance(connector_id, int)
        connector = charger.connectors[connector_id - 1]
        candidates = [connector] if connector.free else []
    else:
        candidates = []
    if not candidates:
        return {"status": "Rejected"}
    chosen = candidates[0]
    chosen.remote_start_tag = id_tag
    charger.schedule(Followup("step", connector_id=chosen.id))
    return {"status": "Accepted"}


def _remote_stop(charger: ChargerControl, transaction_id: object) -> Reply:
    connector = charger.find_transaction(transaction_id)
    if connector is None:
        return {"status": "Rejected"}
    connector.remote_stop = True
    charger.schedule(Followup("step", connector_id=connector.id))
    return {"status": "Accepted"}


# 2.0.1 has five connector statuses; the 1.6 charging sub-states become "Occupied".
_STATUS_201 = {
    ConnectorStatus.AVAILABLE: "Available",
    ConnectorStatus.PREPARING: "Occupied",
    ConnectorStatus.CHARGING: "Occupied",
    ConnectorStatus.SUSPENDED_EV: "Occupied",
    ConnectorStatus.FINISHING: "Occupied",
    ConnectorStatus.FAULTED: "Faulted",
    ConnectorStatus.UNAVAILABLE: "Unavailable",
}
_CHARGING_STATE_201 = {
    ConnectorStatus.PREPARING: "EVConnected",
    ConnectorStatus.CHARGING: "Charging",
    ConnectorStatus.SUSPENDED_EV: "SuspendedEV",
    ConnectorStatus.FINISHING: "EVConnected",
}
_TRIGGER_FOR_STOP = {
    StopReason.EV_DISCONNECTED: "EVDeparted",
    StopReason.REMOTE: "RemoteStop",
    StopReason.REBOOT: "ResetCommand",
    StopReason.OTHER: "AbnormalCondition",
}


class Ocpp201(Dialect):
    """OCPP 2.0.1. Each simulated EVSE has one connector (connectorId 1)."""

    version = "2.0.1"
    subprotocol = "ocpp2.0.1"

    def reports(self, old: ConnectorStatus, new: ConnectorStatus) -> bool:
        return new is ConnectorStatus.FAULTED or _STATUS_201[old] != _STATUS_201[new]

    def boot(self, identity: Identity, serial: str, reason: BootReason) -> Call:
        return (
            "BootNotification",
            {
                "reason": reason.value,
                "chargingStation": {
                    "vendorName": identity.vendor,
                    "model": identity.model,
                    "serialNumber": serial,
                    "firmwareVersion": identity.firmware,
                },
            },
        )

    def status(
        self, connector: Connector, timestamp: str, cleared: ActiveFault | None = None
    ) -> list[Call]:
        calls: list[Call] = [
            (
                "StatusNotification",
                {
                    "timestamp": timestamp,
                    "connectorStatus": _STATUS_201[connector.status],
                    "evseId": connector.id,
                    "connectorId": 1,
                },
            )
        ]
        # 2.0.1 moved error and vendor codes out of StatusNotification into NotifyEvent on the
        # connector's Problem variable, with the manufacturer code in techCode.
        if connector.fault is not None:
            calls.append(self._problem_event(connector, connector.fault, timestamp, cleared=False))
        elif cleared is not None:
            calls.append(self._problem_event(connector, cleared, timestamp, cleared=True))
        return calls

    def _problem_event(
        self, connector: Connector, fault: ActiveFault, timestamp: str, cleared: bool
    ) -> Call:
        connector.events_sent += 1
        event: JsonObject = {
            # Unique within the charger: the connector id in the low digits.
            "eventId": connector.events_sent * 100 + connector.id,
            "timestamp": timestamp,
            "trigger": "Delta",
            "actualValue": "false" if cleared else "true",
            "eventNotificationType": "HardWiredNotification",
            "component": {"name": "Connector", "evse": {"id": connector.id, "connectorId": 1}},
            "variable": {"name": "Problem"},
        }
        event["techCode"] = (fault.vendor_error_code or fault.error_code)[:50]
        if cleared:
            event["cleared"] = True
        elif fault.info:
            event["techInfo"] = fault.info[:500]
        return ("NotifyEvent", {"generatedAt": timestamp, "seqNo": 0, "eventData": [event]})

    def status_whole_charger(self, timestamp: str) -> list[Call]:
        return []  # 2.0.1 reports per EVSE/connector only

    def _sampled(self, sample: Sample, context: str) -> list[JsonObject]:
        values: list[JsonObject] = [
            _sv201(round(sample.energy_wh, 1), "Energy.Active.Import.Register", "Wh", context),
            _sv201(round(sample.power_w, 1), "Power.Active.Import", "W", context),
            _sv201(round(sample.current_a, 1), "Current.Import", "A", context),
            _sv201(round(sample.voltage_v, 1), "Voltage", "V", context),
        ]
        if sample.soc_percent is not None:
            values.append(
                {
                    "value": sample.soc_percent,
                    "context": context,
                    "measurand": "SoC",
                    "location": "EV",
                    "unitOfMeasure": {"unit": "Percent"},
                }
            )
        return values

    def _transaction_event(
        self,
        connector: Connector,
        event_type: str,
        trigger: str,
        sample: Sample,
        timestamp: str,
        context: str,
    ) -> JsonObject:
        info: JsonObject = {"transactionId": str(connector.transaction_id)}
        charging_state = _CHARGING_STATE_201.get(connector.status)
        if charging_state is not None:
            info["chargingState"] = charging_state
        payload: JsonObject = {
            "eventType": event_type,
            "timestamp": timestamp,
            "triggerReason": trigger,
            "seqNo": connector.transaction_seq,
            "transactionInfo": info,
            "evse": {"id": connector.id, "connectorId": 1},
            "meterValue": [
                {"timestamp": timestamp, "sampledValue": self._sampled(sample, context)}
            ],
        }
        connector.transaction_seq += 1
        return payload

    def transaction_started(
        self, connector: Connector, id_tag: str, sample: Sample, timestamp: str, remote: bool
    ) -> Call:
        payload = self._transaction_event(
            connector,
            "Started",
            "RemoteStart" if remote else "Authorized",
            sample,
            timestamp,
            "Transaction.Begin",
        )
        payload["idToken"] = {"idToken": id_tag, "type": "ISO14443"}
        return ("TransactionEvent", payload)

    def transaction_id_from(self, result: JsonObject | None, connector: Connector) -> object:
        return connector.transaction_id  # the charging station chooses it in 2.0.1

    def transaction_updated(self, connector: Connector, sample: Sample, timestamp: str) -> Call:
        payload = self._transaction_event(
            connector, "Updated", "MeterValuePeriodic", sample, timestamp, "Sample.Periodic"
        )
        return ("TransactionEvent", payload)

    def meter_values(self, connector: Connector, sample: Sample, timestamp: str) -> Call:
        return (
            "MeterValues",
            {
                "evseId": connector.id,
                "meterValue": [
                    {"timestamp": timestamp, "sampledValue": self._sampled(sample, "Trigger")}
                ],
            },
        )

    def transaction_ended(
        self, connector: Connector, id_tag: str, sample: Sample, timestamp: str, reason: StopReason
    ) -> Call | None:
        payload = self._transaction_event(
            connector, "Ended", _TRIGGER_FOR_STOP[reason], sample, timestamp, "Transaction.End"
        )
        payload["transactionInfo"]["stoppedReason"] = reason.value
        return ("TransactionEvent", payload)

    def answer(self, charger: ChargerControl, action: str, payload: JsonObject) -> Reply:
        if action == "TriggerMessage":
            return self._trigger(charger, payload)
        if action == "Reset":
            charger.schedule(Followup("reboot"))
            return {"status": "Accepted"}
        if action == "GetVariables":
            return self._get_variables(charger, payload)
        if action == "SetVariables":
            return self._set_variables(charger, payload)
        if action == "RequestStartTransaction":
            evse_id = payload.get("evseId")
            token = payload.get("idToken")
            id_tag = token.get("idToken") if isinstance(token, dict) else None
            return _remote_start(charger, evse_id, id_tag)
        if action == "RequestStopTransaction":
            return _remote_stop(charger, payload.get("transactionId"))
        return self._not_implemented(action)

    def _trigger(self, charger: ChargerControl, payload: JsonObject) -> Reply:
        message = payload.get("requestedMessage")
        evse = payload.get("evse")
        evse_id = evse.get("id") if isinstance(evse, dict) else None
        if evse_id is not None and not _has_connector(charger, evse_id, allow_zero=True):
            return {"status": "Rejected"}
        if message in ("BootNotification", "Heartbeat", "StatusNotification", "MeterValues"):
            charger.schedule(Followup("trigger", str(message), evse_id))
            return {"status": "Accepted"}
        return {"status": "NotImplemented"}

    def _variable_value(self, charger: ChargerControl, key: tuple[str, str]) -> str:
        values = {
            ("OCPPCommCtrlr", "HeartbeatInterval"): str(charger.heartbeat_interval),
            ("SampledDataCtrlr", "TxUpdatedInterval"): str(charger.meter_interval),
            ("SampledDataCtrlr", "TxUpdatedMeasurands"): _MEASURANDS,
            ("EVSE", "Power"): f"{charger.identity.max_power_w:.0f}",
        }
        return values[key]

    def _lookup(self, item: object) -> tuple[tuple[str, str] | None, str | None]:
        """The known (component, variable) of a request item, or the attributeStatus refusing it."""
        if not isinstance(item, dict):
            return (None, "UnknownComponent")
        component = item.get("component")
        variable = item.get("variable")
        component_name = component.get("name") if isinstance(component, dict) else None
        variable_name = variable.get("name") if isinstance(variable, dict) else None
        if not any(known[0] == component_name for known in _VARIABLES_201):
            return (None, "UnknownComponent")
        key = (str(component_name), str(variable_name))
        if key not in _VARIABLES_201:
            return (None, "UnknownVariable")
        if item.get("attributeType", "Actual") != "Actual":
            return (None, "NotSupportedAttributeType")
        return (key, None)

    def _get_variables(self, charger: ChargerControl, payload: JsonObject) -> Reply:
        items = payload.get("getVariableData")
        if not isinstance(items, list) or not items:
            return CallErrorReply("FormatViolation", "getVariableData must be a non-empty array")
        results: list[JsonObject] = []
        for item in items:
            key, refusal = self._lookup(item)
            result: JsonObject = {
                "attributeStatus": refusal or "Accepted",
                **_echo_component_variable(item),
            }
            if key is not None:
                result["attributeValue"] = self._variable_value(charger, key)
            results.append(result)
        return {"getVariableResult": results}

    def _set_variables(self, charger: ChargerControl, payload: JsonObject) -> Reply:
        items = payload.get("setVariableData")
        if not isinstance(items, list) or not items:
            return CallErrorReply("FormatViolation", "setVariableData must be a non-empty array")
        results: list[JsonObject] = []
        for item in items:
            key, refusal = self._lookup(item)
            status = refusal or "Accepted"
            if key is not None:
                seconds = _parse_interval(item.get("attributeValue"))
                if not _VARIABLES_201[key] or seconds is None:
                    status = "Rejected"
                elif key[1] == "HeartbeatInterval":
                    charger.heartbeat_interval = seconds
                else:
                    charger.meter_interval = seconds
            results.append({"attributeStatus": status, **_echo_component_variable(item)})
        return {"setVariableResult": results}


def _echo_component_variable(item: object) -> JsonObject:
    """The request's component and variable, trimmed to what the response schema allows."""
    component = item.get("component") if isinstance(item, dict) else None
    variable = item.get("variable") if isinstance(item, dict) else None
    component_name = component.get("name") if isinstance(component, dict) else None
    variable_name = variable.get("name") if isinstance(variable, dict) else None
    return {
        "component": {"name": str(component_name or "unknown")[:50]},
        "variable": {"name": str(variable_name or "unknown")[:50]},
    }


def _sv201(value: float, measurand: str, unit: str, context: str) -> JsonObject:
    return {
        "value": value,
        "context": context,
        "measurand": measurand,
        "location": "Outlet",
        "unitOfMeasure": {"unit": unit},
    }


def dialect_for(protocol: str) -> Dialect:
    """The dialect for "1.6" or "2.0.1"."""
    if protocol == "1.6":
        return Ocpp16()
    if protocol == "2.0.1":
        return Ocpp201()
    raise ValueError(f"unknown OCPP version {protocol!r}: use 1.6 or 2.0.1")

"""OCPP 2.0.1 as the simulated charger speaks it: its frames and its device-model variables.

Each simulated EVSE has one connector. TransactionEvent Started/Updated/Ended carries a
transaction id the charger chooses; a fault is a NotifyEvent on the connector's ``Problem``
variable. Answers GetVariables and SetVariables here, and TriggerMessage, Reset and
RequestStart/StopTransaction through ``simulator.dialects.answers``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from simulator.dialects import answers
from simulator.dialects.base import (
    CallErrorReply,
    ChargerControl,
    Dialect,
    Handler,
    Reply,
    parse_interval,
)
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

# 2.0.1 (component, variable) pairs and whether SetVariables may change them.
_VARIABLES_201: dict[tuple[str, str], bool] = {
    ("OCPPCommCtrlr", "HeartbeatInterval"): True,
    ("SampledDataCtrlr", "TxUpdatedInterval"): True,
    ("SampledDataCtrlr", "TxUpdatedMeasurands"): False,
    ("EVSE", "Power"): False,
}
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


def _names(item: object) -> tuple[object, object]:
    """The component's and the variable's name in a GetVariables/SetVariables item, if any."""
    component = item.get("component") if isinstance(item, dict) else None
    variable = item.get("variable") if isinstance(item, dict) else None
    component_name = component.get("name") if isinstance(component, dict) else None
    variable_name = variable.get("name") if isinstance(variable, dict) else None
    return (component_name, variable_name)


def _echo_component_variable(item: object) -> JsonObject:
    """The request's component and variable, trimmed to what the response schema allows."""
    component_name, variable_name = _names(item)
    return {
        "component": {"name": str(component_name or "unknown")[:50]},
        "variable": {"name": str(variable_name or "unknown")[:50]},
    }


def _lookup(item: object) -> tuple[tuple[str, str] | None, str | None]:
    """The known (component, variable) of a request item, or the attributeStatus refusing it."""
    if not isinstance(item, dict):
        return (None, "UnknownComponent")
    component_name, variable_name = _names(item)
    if not any(known[0] == component_name for known in _VARIABLES_201):
        return (None, "UnknownComponent")
    key = (str(component_name), str(variable_name))
    if key not in _VARIABLES_201:
        return (None, "UnknownVariable")
    if item.get("attributeType", "Actual") != "Actual":
        return (None, "NotSupportedAttributeType")
    return (key, None)


def _variable_value(charger: ChargerControl, key: tuple[str, str]) -> str:
    values = {
        ("OCPPCommCtrlr", "HeartbeatInterval"): str(charger.heartbeat_interval),
        ("SampledDataCtrlr", "TxUpdatedInterval"): str(charger.meter_interval),
        ("SampledDataCtrlr", "TxUpdatedMeasurands"): answers.MEASURANDS,
        ("EVSE", "Power"): f"{charger.identity.max_power_w:.0f}",
    }
    return values[key]


# Answers one item of a GetVariables or SetVariables request, given what ``_lookup`` found.
_VariableAnswer = Callable[[ChargerControl, Any, tuple[str, str] | None, str | None], JsonObject]


def _per_variable(request: str, reply: str, answer: _VariableAnswer) -> Handler:
    """GetVariables and SetVariables alike: one result per item of a non-empty array."""

    def handle(charger: ChargerControl, payload: JsonObject) -> Reply:
        items = payload.get(request)
        if not isinstance(items, list) or not items:
            return CallErrorReply("FormatViolation", f"{request} must be a non-empty array")
        return {reply: [answer(charger, item, *_lookup(item)) for item in items]}

    return handle


def _get_variable(
    charger: ChargerControl, item: Any, key: tuple[str, str] | None, refusal: str | None
) -> JsonObject:
    """One GetVariableResult: a known variable's value, or the refusal."""
    result: JsonObject = {
        "attributeStatus": refusal or "Accepted",
        **_echo_component_variable(item),
    }
    if key is not None:
        result["attributeValue"] = _variable_value(charger, key)
    return result


def _set_variable(
    charger: ChargerControl, item: Any, key: tuple[str, str] | None, refusal: str | None
) -> JsonObject:
    """One SetVariableResult: a writable interval is applied, anything else is refused."""
    status = refusal or "Accepted"
    if key is not None:
        seconds = parse_interval(item.get("attributeValue"))
        if not _VARIABLES_201[key] or seconds is None:
            status = "Rejected"
        elif key[1] == "HeartbeatInterval":
            charger.heartbeat_interval = seconds
        else:
            charger.meter_interval = seconds
    return {"attributeStatus": status, **_echo_component_variable(item)}


def _trigger(charger: ChargerControl, payload: JsonObject) -> Reply:
    evse = payload.get("evse")
    evse_id = evse.get("id") if isinstance(evse, dict) else None
    return answers.trigger(charger, payload.get("requestedMessage"), evse_id)


def _request_start(charger: ChargerControl, payload: JsonObject) -> Reply:
    token = payload.get("idToken")
    id_tag = token.get("idToken") if isinstance(token, dict) else None
    return answers.remote_start(charger, payload.get("evseId"), id_tag)


_HANDLERS_201: dict[str, Handler] = {
    "TriggerMessage": _trigger,
    "Reset": answers.reset,
    "GetVariables": _per_variable("getVariableData", "getVariableResult", _get_variable),
    "SetVariables": _per_variable("setVariableData", "setVariableResult", _set_variable),
    "RequestStartTransaction": _request_start,
    "RequestStopTransaction": answers.remote_stop,
}


def _sv201(value: float, measurand: str, unit: str, context: str) -> JsonObject:
    """One 2.0.1 SampledValue: the value a number, the unit inside ``unitOfMeasure``."""
    return {
        "value": value,
        "context": context,
        "measurand": measurand,
        "location": "Outlet",
        "unitOfMeasure": {"unit": unit},
    }


class Ocpp201(Dialect):
    """OCPP 2.0.1. Each simulated EVSE has one connector (connectorId 1)."""

    version = "2.0.1"
    subprotocol = "ocpp2.0.1"
    handlers = _HANDLERS_201

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

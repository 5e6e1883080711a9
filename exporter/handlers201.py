"""OCPP 2.0.1 central system: one ``on_<action>`` per charger-initiated action. The actions
both versions answer alike are handled by the base class, exporter.handlers.Handlers.

In 2.0.1 ``connector_id`` of the metrics is the EVSE id. Connector errors arrive by NotifyEvent
(a component's "Problem" variable, or any Alerting monitor) and clear with ``cleared: true``
or a "false" actual value; the charging state of a running transaction arrives by
TransactionEvent.
"""

from __future__ import annotations

from typing import Any, ClassVar

from exporter import lenient
from exporter.handlers import Handlers, Payload
from exporter.lenient import Unintelligible
from exporter.records import Reading

_CONNECTOR_STATUSES = lenient.canonical_names(
    "Available", "Occupied", "Reserved", "Unavailable", "Faulted"
)
_CHARGING_STATES = lenient.canonical_names(
    "Charging", "EVConnected", "SuspendedEV", "SuspendedEVSE", "Idle"
)
_EVENT_TYPES = lenient.canonical_names("Started", "Updated", "Ended")


def readings(sampled_values: Any) -> list[Reading]:
    """A 2.0.1 meterValue's sampledValue list in base units (unitOfMeasure with multiplier)."""
    result: list[Reading] = []
    for sampled in lenient.items(sampled_values, "sampledValue"):
        if type(sampled) is not dict:
            continue
        value = lenient.reading_value(sampled.get("value"))
        if value is None:
            continue
        unit = None
        unit_of_measure = sampled.get("unitOfMeasure")
        if type(unit_of_measure) is dict:
            unit = unit_of_measure.get("unit")
            multiplier = unit_of_measure.get("multiplier")
            if type(multiplier) is int and -9 <= multiplier <= 9:
                value *= 10.0**multiplier
        measurand, phase, convert, base_unit = lenient.sample_kind(
            sampled.get("measurand"), unit, sampled.get("phase")
        )
        result.append((measurand, phase, convert(value), base_unit))
    return result


class CentralSystem201(Handlers):
    ocpp_version = "2.0.1"
    lenient_actions = frozenset(
        {
            "Authorize",
            "BootNotification",
            "DataTransfer",
            "Heartbeat",
            "MeterValues",
            "NotifyEvent",
            "StatusNotification",
            "TransactionEvent",
        }
    )
    # Documented quirks (tests/exporter/test_session_noncompliant.py): a missing timestamp is
    # read as the time of receipt, as a garbage one is; NotifyEvent's bookkeeping fields
    # (sequence, ids, trigger) are not needed to read a Problem or an alert.
    tolerated_missing: ClassVar[dict[str, frozenset[str]]] = {
        "StatusNotification": frozenset({"timestamp"}),
        "MeterValues": frozenset({"meterValue[].timestamp"}),
        "TransactionEvent": frozenset({"timestamp"}),
        "NotifyEvent": frozenset(
            {
                "generatedAt",
                "seqNo",
                "eventData[].eventId",
                "eventData[].timestamp",
                "eventData[].trigger",
                "eventData[].eventNotificationType",
            }
        ),
    }

    def on_boot_notification(self, payload: Payload) -> Payload:
        station = payload.get("chargingStation")
        station = station if type(station) is dict else {}
        self.state.booted(
            self.charger,
            lenient.text(station.get("vendorName")),
            lenient.text(station.get("model")),
            lenient.text(station.get("firmwareVersion")),
        )
        return {
            "currentTime": lenient.iso_utc(self.now()),
            "interval": self.state.heartbeat_interval,
            "status": "Accepted",
        }

    def on_status_notification(self, payload: Payload) -> Payload:
        evse = lenient.connector_number(lenient.require(payload, "evseId"), "evseId")
        status = lenient.required_text(payload, "connectorStatus")
        self.state.connector_status(
            self.charger,
            evse,
            lenient.enum(status, _CONNECTOR_STATUSES),
            lenient.timestamp(payload.get("timestamp")),
        )
        return {}

    def on_transaction_event(self, payload: Payload) -> Payload:
        event_type = lenient.enum(lenient.required_text(payload, "eventType"), _EVENT_TYPES)
        if event_type not in _EVENT_TYPES.values():
            raise Unintelligible(lenient.PROPERTY, "eventType", f"{event_type!r} is unknown")
        info = lenient.mapping(lenient.require(payload, "transactionInfo"), "transactionInfo")
        transaction_id = lenient.required_text(info, "transactionId")
        when = lenient.timestamp(payload.get("timestamp"))
        state, charger = self.state, self.charger
        evse_field = payload.get("evse")
        if type(evse_field) is dict and evse_field.get("id") is not None:
            evse: int | None = lenient.connector_number(evse_field["id"], "evse.id")
        else:
            # The EVSE is only required in the first event of a transaction.
            evse = state.transaction_connector(charger, transaction_id)
        if evse is not None:
            if event_type != "Ended":
                state.start_transaction(charger, evse, transaction_id)
            charging_state = lenient.text(info.get("chargingState"))
            if charging_state:
                state.charging_state(
                    charger, evse, lenient.enum(charging_state, _CHARGING_STATES), when
                )
            meter_values = payload.get("meterValue")
            if meter_values is not None:
                self._record(evse, lenient.items(meter_values, "meterValue"), readings)
        if event_type == "Ended":
            state.stop_transaction(charger, transaction_id)
        id_token = payload.get("idToken")
        if id_token is None:
            return {}
        # Invalid on a Started event makes the charger end the transaction (StopTxOnInvalidId).
        return {"idTokenInfo": self._id_token_info(id_token)}

    def on_notify_event(self, payload: Payload) -> Payload:
        for event in lenient.items(lenient.require(payload, "eventData"), "eventData"):
            self._event(lenient.mapping(event, "eventData"))
        return {}

    def on_meter_values(self, payload: Payload) -> Payload:
        evse = lenient.connector_number(lenient.require(payload, "evseId"), "evseId")
        meter_values = lenient.items(lenient.require(payload, "meterValue"), "meterValue")
        self._record(evse, meter_values, readings)
        return {}

    def on_authorize(self, payload: Payload) -> Payload:
        id_token = lenient.mapping(lenient.require(payload, "idToken"), "idToken")
        return {"idTokenInfo": self._id_token_info(id_token)}

    def on_notify_report(self, payload: Payload) -> Payload:
        return {}

    def on_notify_monitoring_report(self, payload: Payload) -> Payload:
        return {}

    def on_reservation_status_update(self, payload: Payload) -> Payload:
        return {}

    def on_cleared_charging_limit(self, payload: Payload) -> Payload:
        return {}

    def on_notify_charging_limit(self, payload: Payload) -> Payload:
        return {}

    def on_notify_ev_charging_needs(self, payload: Payload) -> Payload:
        # No smart charging here: no schedule will follow ("Rejected": service not available).
        return {"status": "Rejected"}

    def on_notify_ev_charging_schedule(self, payload: Payload) -> Payload:
        return {"status": "Accepted"}

    def on_report_charging_profiles(self, payload: Payload) -> Payload:
        return {}

    def on_notify_customer_information(self, payload: Payload) -> Payload:
        return {}

    def on_notify_display_messages(self, payload: Payload) -> Payload:
        return {}

    def on_get15118_ev_certificate(self, payload: Payload) -> Payload:
        # No ISO 15118 certificate service is connected to this central system.
        return {"status": "Failed", "exiResponse": ""}

    def on_get_certificate_status(self, payload: Payload) -> Payload:
        return {"status": "Failed"}

    def on_publish_firmware_status_notification(self, payload: Payload) -> Payload:
        return {}

    def _id_token_info(self, id_token: Any) -> Payload:
        # Only the idToken value is compared, not its type: a tag is listed once whether the
        # reader reports it as ISO14443 or Local. A NoAuthorization token ("") is accepted
        # only with unknown: accept. An unreadable idToken is an unknown tag, not a CALLERROR:
        # TransactionEvent has updated the state by the time it is read.
        value = id_token.get("idToken") if type(id_token) is dict else None
        return self.id_tag_info(lenient.text(value))

    def _event(self, event: Payload) -> None:
        component = lenient.mapping(lenient.require(event, "component"), "component")
        variable = lenient.mapping(lenient.require(event, "variable"), "variable")
        component_name = lenient.required_text(component, "name")
        variable_name = lenient.required_text(variable, "name")
        cleared = event.get("cleared") is True
        actual = lenient.text(event.get("actualValue")).lower()
        if variable_name == "Problem":
            active = actual == "true" and not cleared
        elif lenient.text(event.get("trigger")) == "Alerting":
            active = not cleared
        elif cleared:
            active = False
        else:
            return  # a report of an ordinary value, not of an error
        evse = component.get("evse")
        evse_id = 0
        if type(evse) is dict and evse.get("id") is not None:
            evse_id = lenient.connector_number(evse["id"], "component.evse.id")
        origin = (
            component_name,
            lenient.text(component.get("instance")),
            variable_name,
            lenient.text(variable.get("instance")),
        )
        error_code = f"{component_name}.{variable_name}"
        tech_code = lenient.text(event.get("techCode"))
        self.state.event_error(
            self.charger,
            evse_id,
            origin,
            (error_code, "", tech_code) if active else None,
            lenient.text(event.get("techInfo"), lenient.MAX_FREE_TEXT),
            lenient.timestamp(event.get("timestamp")),
        )

"""What the per-version handler classes share: routing by method name, the charger's record,
and the handlers that both versions answer alike.

As in the ``ocpp`` library's idiom, a central system is a thin class per protocol version with
one ``on_<action>`` method per charger-initiated action (``on_boot_notification`` handles
"BootNotification"). A handler reads the payload through exporter.lenient, updates the fleet
state and returns the reply payload.

A class routes only the actions its version defines (``known_actions``), so a handler written
here serves a version only if that version has the action: the ones here are charger-initiated
in 1.6 and in 2.0.1 alike, with the same request fields they read and the same reply.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, ClassVar

from exporter import lenient
from exporter.idtags import id_tag_info
from exporter.records import ChargerState, Reading
from exporter.schemas import known_actions
from exporter.state import FleetState

Payload = dict[str, Any]
Handler = Callable[[Any, Payload], Payload]
ReadSampledValues = Callable[[Any], list[Reading]]

_WORD_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def method_name(action: str) -> str:
    """``on_`` + the action in snake case: NotifyEVChargingNeeds -> on_notify_ev_charging_needs."""
    return "on_" + _WORD_BOUNDARY.sub("_", action).lower()


class Handlers:
    """Base of the handler classes; a subclass sets ``ocpp_version`` and ``lenient_actions``."""

    ocpp_version: ClassVar[str]
    # Actions whose handler reads the payload leniently: a schema violation there is recorded
    # (and counted as non-compliant) as long as the handler understands the frame. Any other
    # action gets a CALLERROR for a schema violation.
    lenient_actions: ClassVar[frozenset[str]] = frozenset()
    # Required fields (paths as exporter.schemas.missing_required names them) that real
    # chargers leave out and whose absence the handler reads as the spec's default or as
    # "unknown". Any other required field missing is a CALLERROR even in a lenient action:
    # OCPP-J names OccurrenceConstraintViolation for it, and answering an empty
    # BootNotification with Accepted would register a charger nobody can identify.
    tolerated_missing: ClassVar[dict[str, frozenset[str]]] = {}
    routes: ClassVar[dict[str, Handler]]

    def __init_subclass__(cls) -> None:
        super().__init_subclass__()
        cls.routes = {}
        for action in known_actions(cls.ocpp_version):
            method = getattr(cls, method_name(action), None)
            if method is not None:
                cls.routes[action] = method

    def __init__(self, state: FleetState, charger: ChargerState) -> None:
        self.state = state
        self.charger = charger

    def now(self) -> float:
        return self.state.clock()

    def id_tag_info(self, id_tag: str) -> Payload:
        """1.6 idTagInfo / 2.0.1 idTokenInfo: Accepted or Invalid as the fleet file says."""
        return id_tag_info(self.state.fleet, self.charger.ref.charge_point_id, id_tag)

    def on_heartbeat(self, payload: Payload) -> Payload:
        return {"currentTime": lenient.iso_utc(self.now())}

    def on_data_transfer(self, payload: Payload) -> Payload:
        # No vendor extension is implemented: the spec answer is UnknownVendorId.
        lenient.required_text(payload, "vendorId")
        return {"status": "UnknownVendorId"}

    def on_firmware_status_notification(self, payload: Payload) -> Payload:
        return {}

    def on_log_status_notification(self, payload: Payload) -> Payload:
        return {}

    def on_security_event_notification(self, payload: Payload) -> Payload:
        return {}

    def on_sign_certificate(self, payload: Payload) -> Payload:
        # This central system is no certificate authority: it cannot sign the CSR.
        return {"status": "Rejected"}

    def _record(self, connector: int, meter_values: list[Any], read: ReadSampledValues) -> None:
        """Each meterValue object's readings, ``read`` from its sampledValue list in the
        version's way, at its timestamp; an item that is no object is skipped."""
        for meter_value in meter_values:
            if type(meter_value) is not dict:
                continue
            self.state.meter_values(
                self.charger,
                connector,
                lenient.timestamp(meter_value.get("timestamp")),
                read(meter_value.get("sampledValue") or []),
            )

"""What the per-version handler classes share: routing by method name, and the charger's record.

As in the ``ocpp`` library's idiom, a central system is a thin class per protocol version with
one ``on_<action>`` method per charger-initiated action (``on_boot_notification`` handles
"BootNotification"). A handler reads the payload through exporter.lenient, updates the fleet
state and returns the reply payload.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, ClassVar

from exporter.schemas import known_actions
from exporter.state import ChargerState, FleetState

Payload = dict[str, Any]
Handler = Callable[[Any, Payload], Payload]

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

"""What every OCPP dialect is: the ``Dialect`` interface and the vocabulary of its replies.

A dialect turns the version-neutral charger state (``simulator.model``) into CALL payloads, and
answers the central system's CALLs. Payloads are plain dicts built only when a frame is sent, so
an idle charger holds no rendered frames; every payload is checked against the ``ocpp`` package's
JSON schemas in the tests.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import ClassVar, Protocol

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


# Answers one CALL from the central system: (charger, request payload) -> reply.
Handler = Callable[[ChargerControl, JsonObject], Reply]


def parse_interval(value: object) -> int | None:
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
    # The central system's CALLs this version answers, by action; any other is NotImplemented.
    handlers: ClassVar[Mapping[str, Handler]]

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

    def answer(self, charger: ChargerControl, action: str, payload: JsonObject) -> Reply:
        """The reply to the central system's CALL; what it asks for is scheduled, not done."""
        handler = self.handlers.get(action)
        if handler is None:
            return CallErrorReply(
                "NotImplemented", f"{action} is not implemented by this simulator"
            )
        return handler(charger, payload)

    def reports(self, old: ConnectorStatus, new: ConnectorStatus) -> bool:
        """Whether a status change is sent as a StatusNotification in this version."""
        return True

    def heartbeat(self) -> Call:
        return ("Heartbeat", {})

    def accepted_interval(self, result: JsonObject | None) -> tuple[bool, int | None]:
        """(accepted, interval) from a BootNotification result; same fields in both versions."""
        if result is None:
            return (False, None)
        return (result.get("status") == "Accepted", parse_interval(result.get("interval")))

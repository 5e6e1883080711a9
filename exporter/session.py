"""One charger's OCPP conversation: raw frame in, reply frames out. Knows nothing about sockets.

Each CALL is validated against the version's JSON schema and handed to the version's handler.
The actions chargers send most first try a validated fast path (exporter.fastpath), which
answers a compliant payload exactly as validation + handler would, and leaves anything else to
them.
A frame that breaks the schema but that the handler still understands is answered normally,
recorded and counted as non-compliant; one that cannot be understood gets the CALLERROR the
OCPP-J spec names. Nothing a charger sends escapes :meth:`Session.handle` as an exception.
"""

from __future__ import annotations

import logging
from typing import Any

from exporter import fastpath, frames, lenient, schemas
from exporter.frames import FrameError, MessageId
from exporter.handlers import Handler, Handlers, Payload
from exporter.handlers16 import CentralSystem16
from exporter.handlers201 import CentralSystem201
from exporter.lenient import Unintelligible
from exporter.selfmetrics import ExporterMetrics
from exporter.state import FleetState

log = logging.getLogger(__name__)

HANDLER_CLASSES: dict[str, type[Handlers]] = {"1.6": CentralSystem16, "2.0.1": CentralSystem201}
UNKNOWN_ACTION = "unknown"

# Which CALLERROR a strict schema violation maps to, by the JSON-schema keyword that failed.
_SCHEMA_RULE_KINDS = {
    "type": lenient.TYPE,
    "required": lenient.OCCURRENCE,
    "minItems": lenient.OCCURRENCE,
    "maxItems": lenient.OCCURRENCE,
}


class Session:
    """One charger's OCPP conversation; knows nothing about websockets."""

    def __init__(
        self,
        charge_point_id: str,
        ocpp_version: str,
        state: FleetState,
        metrics: ExporterMetrics,
        fast_paths: dict[str, fastpath.FastPath] | None = None,
    ) -> None:
        """``fast_paths`` defaults to exporter.fastpath's for the version; tests compare a
        session without them (``{}``) to one with them."""
        self.charge_point_id = charge_point_id
        self.ocpp_version = ocpp_version
        self._state = state
        self._metrics = metrics
        self._charger = state.charger(charge_point_id)
        handler_class = HANDLER_CLASSES[ocpp_version]
        self._handlers = handler_class(state, self._charger)
        self._routes = handler_class.routes
        self._lenient_actions = handler_class.lenient_actions
        self._tolerated_missing = handler_class.tolerated_missing
        self._known_actions = schemas.known_actions(ocpp_version)
        if fast_paths is None:
            fast_paths = fastpath.FAST_PATHS[ocpp_version]
        self._fast_paths = fast_paths
        self._message_counters: dict[str, Any] = {}
        self._noncompliance_logged: set[str] | None = None  # most chargers never need it

    @property
    def state(self) -> FleetState:
        """The fleet state this session updates (the proxy's observer reads it)."""
        return self._state

    def handle(self, frame: str | bytes) -> list[str]:
        """Frames to send back: the CALLRESULT or CALLERROR for a CALL, nothing for a reply."""
        try:
            message = frames.decode(frame)
        except FrameError as error:
            self._state.frame_received(self._charger)
            return [self._error(error)]
        return self.handle_decoded(message, frame)

    def handle_decoded(self, message: list[Any], frame: str | bytes) -> list[str]:
        """:meth:`handle` for a frame already decoded: the proxy's observer decodes each
        relayed frame once, for the session and for pairing the CSMS's answers."""
        self._state.frame_received(self._charger)
        try:
            message_type = message[0]
            if message_type == frames.CALL:
                msg_id = frames.message_id(message)
                action, payload = frames.call_parts(message, msg_id)
                return [self._call(msg_id, action, payload)]
            if message_type == frames.CALLRESULT or message_type == frames.CALLERROR:
                # This central system sends no CALLs, so there is nothing to match a reply to.
                return []
            msg_id = frames.message_id(message)
            raise FrameError(frames.MESSAGE_TYPE, msg_id, "message type must be 2, 3 or 4")
        except FrameError as error:
            return [self._error(error)]
        except Exception:  # a bug must cost one CALLERROR, never the connection
            log.exception("charger %s: frame handling failed", self.charge_point_id)
            msg_id = _readable_id(frame)
            return [self._error(FrameError(frames.INTERNAL, msg_id, "internal error"))]

    def _call(self, msg_id: MessageId, action: str, payload: Payload) -> str:
        self._count_message(action)
        fast_path = self._fast_paths.get(action)
        if fast_path is not None:
            # The same reply as below when it recognises the payload, None (and no change
            # made) when it does not: see exporter.fastpath.
            try:
                reply = fast_path(self._handlers, payload)
            except Unintelligible as problem:
                raise FrameError(problem.kind, msg_id, str(problem)) from None
            if reply is not None:
                return frames.encode_result(msg_id, reply)
        handler = self._routes.get(action)
        if handler is None:
            if action in self._known_actions:
                unsupported = f"{action} is sent by a central system, not by a charge point"
                raise FrameError(frames.NOT_SUPPORTED, msg_id, unsupported)
            unknown = f"{lenient.text(action)!r} is not an OCPP {self.ocpp_version} action"
            raise FrameError(frames.NOT_IMPLEMENTED, msg_id, unknown)
        try:
            schemas.request_validator(self.ocpp_version, action)(payload)
        except schemas.SchemaError as violation:
            return self._noncompliant_call(msg_id, action, payload, handler, violation)
        try:
            reply = handler(self._handlers, payload)
        except Unintelligible as problem:
            raise FrameError(problem.kind, msg_id, str(problem)) from None
        return frames.encode_result(msg_id, reply)

    def _noncompliant_call(
        self,
        msg_id: MessageId,
        action: str,
        payload: Payload,
        handler: Handler,
        violation: schemas.SchemaError,
    ) -> str:
        """A CALL that broke its schema: answered if its handler reads it leniently."""
        problem = _describe(violation)
        if action not in self._lenient_actions:
            kind = _SCHEMA_RULE_KINDS.get(violation.rule or "", lenient.PROPERTY)
            raise FrameError(kind, msg_id, problem)
        tolerated = self._tolerated_missing.get(action, frozenset())
        missing = [
            field
            for field in schemas.missing_required(self.ocpp_version, action, payload)
            if field not in tolerated
        ]
        if missing:
            shown = lenient.text(missing[0])
            raise FrameError(lenient.OCCURRENCE, msg_id, f"{shown}: required field is missing")
        try:
            reply = handler(self._handlers, payload)
        except Unintelligible as unintelligible:
            raise FrameError(unintelligible.kind, msg_id, str(unintelligible)) from None
        self._metrics.noncompliant_frames.labels(self.ocpp_version, action).inc()
        # Log once per action and connection: a misbehaving firmware repeats itself.
        logged = self._noncompliance_logged
        if logged is None:
            logged = self._noncompliance_logged = set()
        level = logging.DEBUG if action in logged else logging.INFO
        logged.add(action)
        log.log(
            level,
            "charger %s: non-compliant %s recorded: %r",
            self.charge_point_id,
            action,
            problem[:200],
        )
        return frames.encode_result(msg_id, reply)

    def _count_message(self, action: str) -> None:
        counter = self._message_counters.get(action)
        if counter is None:
            label = action if action in self._known_actions else UNKNOWN_ACTION
            counter = self._metrics.messages.labels(
                self.ocpp_version, self._metrics.action_label(label)
            )
            if len(self._message_counters) < len(self._known_actions) + 1:
                self._message_counters[action] = counter
        counter.inc()

    def _error(self, error: FrameError) -> str:
        code = frames.error_code(self.ocpp_version, error.kind)
        self._metrics.protocol_errors.labels(self.ocpp_version, code).inc()
        return frames.encode_error(self.ocpp_version, error)


def _describe(violation: schemas.SchemaError) -> str:
    """A schema violation in words, naming the field as the charger sent it (no enum dumps)."""
    name = violation.name or "data"
    field = name.removeprefix("data").removeprefix(".") or "payload"
    if violation.rule == "format" and str(violation.rule_definition).startswith(
        schemas.ENUM_FORMAT_PREFIX
    ):
        return f"{field} is not one of the values the schema allows"
    return str(violation.message).replace(name, field, 1)


def _readable_id(frame: str | bytes) -> MessageId:
    """The message id of a frame whose handling failed, "-1" when it cannot be read."""
    try:
        return frames.message_id(frames.decode(frame))
    except FrameError:
        return frames.UNREADABLE_ID

"""OCPP-J frames: decoding ``[2,id,action,payload]`` and encoding CALLRESULT/CALLERROR replies.

The RPC framework's error codes are spelled differently per version: OCPP-J 1.6 kept the typos
"FormationViolation" and "OccurenceConstraintViolation" (1.6 errata, "known issues that will not
be fixed"), OCPP-J 2.0.1 renamed them "FormatViolation" and "OccurrenceConstraintViolation" and
added "MessageTypeNotSupported" and "RpcFrameworkError". Errors are therefore raised by kind and
spelled by :func:`error_code` when encoded.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring_ascii
from typing import Any, NoReturn

from exporter import lenient

CALL = 2
CALLRESULT = 3
CALLERROR = 4

# Error kinds beyond the payload kinds of exporter.lenient (occurrence, type, property).
FORMAT = "format"  # not JSON, or a frame element of the wrong JSON type
RPC_FRAMEWORK = "rpc_framework"  # not an RPC frame at all: no readable message id
MESSAGE_TYPE = "message_type"  # a message type number this implementation does not know
PROTOCOL = "protocol"  # a frame with elements missing
NOT_IMPLEMENTED = "not_implemented"  # an action the receiver does not know
NOT_SUPPORTED = "not_supported"  # an action the receiver knows but does not support
INTERNAL = "internal"

_CODES_201 = {
    FORMAT: "FormatViolation",
    RPC_FRAMEWORK: "RpcFrameworkError",
    MESSAGE_TYPE: "MessageTypeNotSupported",
    PROTOCOL: "ProtocolError",
    NOT_IMPLEMENTED: "NotImplemented",
    NOT_SUPPORTED: "NotSupported",
    INTERNAL: "InternalError",
    lenient.OCCURRENCE: "OccurrenceConstraintViolation",
    lenient.TYPE: "TypeConstraintViolation",
    lenient.PROPERTY: "PropertyConstraintViolation",
}
_CODES_16 = {
    **_CODES_201,
    FORMAT: "FormationViolation",
    # 1.6 has neither RpcFrameworkError nor MessageTypeNotSupported: a frame that is not an
    # RPC frame or has an unknown type does "not conform the PDU structure" (FormationViolation).
    RPC_FRAMEWORK: "FormationViolation",
    MESSAGE_TYPE: "FormationViolation",
    lenient.OCCURRENCE: "OccurenceConstraintViolation",
}
_CODES = {"1.6": _CODES_16, "2.0.1": _CODES_201}

# OCPP-J 2.x (Part 4, CALLERROR): "When also the MessageId cannot be read, the CALLERROR SHALL
# contain "-1" as MessageId". 1.6 says nothing; the same id is used for both versions.
UNREADABLE_ID = "-1"
# OCPP-J 2.x limits errorDescription to 255 characters.
MAX_DESCRIPTION = 255

MessageId = str | int


class FrameError(Exception):
    """A CALL (or something meant as one) that gets a CALLERROR instead of a CALLRESULT."""

    def __init__(self, kind: str, message_id: MessageId, description: str) -> None:
        super().__init__(description)
        self.kind = kind
        self.message_id = message_id
        self.description = description


def error_code(ocpp_version: str, kind: str) -> str:
    return _CODES[ocpp_version][kind]


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")


# One decoder for the process: json.loads with arguments would build a decoder per call.
# NaN/Infinity are Python extensions to JSON, not JSON: a frame using them is malformed.
_DECODER = json.JSONDecoder(parse_constant=_reject_constant)
_ENCODER = json.JSONEncoder(separators=(",", ":"))


def decode(frame: str | bytes) -> list[Any]:
    """The frame as a JSON array with a readable message type (FrameError otherwise)."""
    try:
        text = frame if isinstance(frame, str) else frame.decode("utf-8")
        message = _DECODER.decode(text)
    except (ValueError, RecursionError):
        raise FrameError(FORMAT, UNREADABLE_ID, "frame is not valid JSON") from None
    if type(message) is not list or not message:
        raise FrameError(RPC_FRAMEWORK, UNREADABLE_ID, "frame is not a non-empty JSON array")
    return message


def message_id(message: list[Any]) -> MessageId:
    """The message id of a decoded frame; integers are accepted (some firmwares send them)."""
    if len(message) < 2:
        raise FrameError(RPC_FRAMEWORK, UNREADABLE_ID, "frame has no message id")
    value = message[1]
    kind = type(value)
    if kind is str or kind is int:
        return value  # type: ignore[no-any-return]
    raise FrameError(RPC_FRAMEWORK, UNREADABLE_ID, "message id is not a string")


def call_parts(message: list[Any], msg_id: MessageId) -> tuple[str, dict[str, Any]]:
    """Action and payload of a CALL frame ``[2, id, action, payload]``."""
    if len(message) < 4:
        raise FrameError(PROTOCOL, msg_id, "CALL must have 4 elements: [2, id, action, payload]")
    if len(message) > 4:
        raise FrameError(FORMAT, msg_id, "CALL must have 4 elements: [2, id, action, payload]")
    action, payload = message[2], message[3]
    if type(action) is not str:
        raise FrameError(FORMAT, msg_id, "CALL action must be a string")
    if type(payload) is not dict:
        raise FrameError(FORMAT, msg_id, f"{lenient.text(action)} payload must be a JSON object")
    return action, payload


def encode_result(msg_id: MessageId, payload: dict[str, Any]) -> str:
    if not payload:
        # Most replies (MeterValues, StatusNotification) are empty: the same text, built
        # without a pass through the encoder.
        return f"[3,{_encode_id(msg_id)},{{}}]"
    return _ENCODER.encode([CALLRESULT, msg_id, payload])


def _encode_id(msg_id: MessageId) -> str:
    # What _ENCODER writes for the id: ensure_ascii string escaping, or the integer's digits.
    return encode_basestring_ascii(msg_id) if type(msg_id) is str else str(msg_id)


def encode_error(ocpp_version: str, error: FrameError) -> str:
    description = error.description[:MAX_DESCRIPTION]
    code = error_code(ocpp_version, error.kind)
    return _ENCODER.encode([CALLERROR, error.message_id, code, description, {}])

"""Check frames against the JSON schemas shipped in the ``ocpp`` package, with its own validator."""

from __future__ import annotations

import json
from typing import Any

from ocpp.messages import get_validator

CALL, CALLRESULT, CALLERROR = 2, 3, 4


def charger_frames_invalid(frames: list[tuple[str, str]], version: str) -> list[str]:
    """Problems with the frames a charger sent, as seen by the central system ("in" frames).

    Checks every CALL against its request schema and every CALLRESULT against the response
    schema of the central system's CALL it answers. Returns one line per problem.
    """
    problems: list[str] = []
    asked: dict[str, str] = {}  # central system's CALL id -> action
    for direction, text in frames:
        message: list[Any] = json.loads(text)
        kind = message[0]
        if direction == "out":
            if kind == CALL:
                asked[message[1]] = message[2]
            continue
        if kind == CALL:
            action, payload = message[2], message[3]
        elif kind == CALLRESULT and message[1] in asked:
            action, payload = asked[message[1]], message[2]
        elif kind == CALLERROR:
            continue
        else:
            problems.append(f"unexpected frame {text[:200]}")
            continue
        validator = get_validator(kind, action, version)
        for error in validator.iter_errors(payload):
            problems.append(
                f"{action} ({'CALL' if kind == CALL else 'CALLRESULT'}): {error.message}"
            )
    return problems


def errors_from_central(frames: list[tuple[str, str]]) -> list[str]:
    """CALLERRORs the central system sent: a reference central system rejecting our frames."""
    return [text for direction, text in frames if direction == "out" and json.loads(text)[0] == 4]

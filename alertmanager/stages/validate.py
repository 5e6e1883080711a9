"""Stage 'validate', first in the webhook request: is the body an Alertmanager webhook?

What fails here is answered 400 (a retry cannot fix it) with what is wrong, and never stored.
The model itself (``alertmanager.payload``) is lenient, as Alertmanager adds fields over time.

The JSON is parsed by pydantic-core's parser, which stops at a fixed nesting depth
(``MAX_JSON_DEPTH``) with a ValueError: the standard library's ``json`` recurses until Python's
own limit and raises RecursionError, which ended a deep body as a 500.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from pydantic_core import from_json

from alertmanager.payload import WebhookPayload

# Alertmanager's max_alerts is unbounded; this bounds one body (a 2,000-alert storm is ~3 MB).
MAX_BODY_BYTES = 32 * 1024 * 1024
# pydantic-core's parser limit (not configurable); a real webhook nests 4 levels deep.
MAX_JSON_DEPTH = 200


class InvalidWebhook(ValueError):
    """The body is not a version 4 webhook; ``detail`` says why (a string or a list of them)."""

    def __init__(self, detail: str | list[str]) -> None:
        super().__init__(str(detail))
        self.detail = detail


def validate(body: bytes) -> tuple[WebhookPayload, dict[str, Any]]:
    """The webhook in ``body``, as a model and as the raw JSON that the store keeps."""
    try:
        if len(body) > MAX_BODY_BYTES:
            raise ValueError(f"body of {len(body)} bytes exceeds {MAX_BODY_BYTES}")
        raw = from_json(body)
        if not isinstance(raw, dict):
            raise InvalidWebhook(f"body: a JSON object expected, not {type(raw).__name__}")
        return WebhookPayload.model_validate(raw), raw
    except ValidationError as exc:
        raise InvalidWebhook(_validation_detail(exc)) from None
    except InvalidWebhook:
        raise
    except ValueError as exc:  # bad JSON, bad UTF-8, or nested deeper than MAX_JSON_DEPTH
        reason = str(exc)
        if "recursion limit" in reason:
            reason = f"nested deeper than {MAX_JSON_DEPTH} levels ({reason})"
        raise InvalidWebhook(f"not JSON: {reason}") from None


def _validation_detail(exc: ValidationError) -> list[str]:
    return [
        f"{'.'.join(str(part) for part in error['loc']) or 'body'}: {error['msg']}"
        for error in exc.errors()[:20]
    ]

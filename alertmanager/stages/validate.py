"""Stage 'validate', first in the webhook request: is the body an Alertmanager webhook?

What fails here is answered 400 (a retry cannot fix it) with what is wrong, and never stored.
The model itself (``alertmanager.payload``) is lenient, as Alertmanager adds fields over time.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from alertmanager.payload import WebhookPayload

# Alertmanager's max_alerts is unbounded; this bounds one body (a 2,000-alert storm is ~3 MB).
MAX_BODY_BYTES = 32 * 1024 * 1024


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
        raw = json.loads(body)
        return WebhookPayload.model_validate(raw), raw
    except ValidationError as exc:
        raise InvalidWebhook(_validation_detail(exc)) from None
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise InvalidWebhook(f"not JSON: {exc}") from None


def _validation_detail(exc: ValidationError) -> list[str]:
    return [
        f"{'.'.join(str(part) for part in error['loc']) or 'body'}: {error['msg']}"
        for error in exc.errors()[:20]
    ]

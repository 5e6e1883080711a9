"""SMS through the ``twilio`` library, pointed at any host that speaks Twilio's Messages API.

Production talks to Twilio; tests and the demo set ``base_url`` to the local endpoint
(``alertmanager.localsms``). Twilio's Python client builds every URL from its API domain's
``base_url``, so replacing that attribute is the supported-by-construction way to redirect it
(region and edge stay unset, otherwise the client rewrites the host name).
"""

from __future__ import annotations

from dataclasses import dataclass

from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from alertmanager.notify.errors import PermanentDeliveryError, RetryableDeliveryError
from alertmanager.notify.message import OutgoingMessage

TWILIO_API = "https://api.twilio.com"

# Twilio error codes after which the same message to the same number will never succeed.
PERMANENT_CODES = {
    21211: "invalid_address",  # invalid 'To' phone number
    21214: "invalid_address",  # 'To' number cannot be reached
    21217: "invalid_address",  # phone number does not appear to be valid
    21408: "rejected",  # permission to send to this region not enabled
    21601: "invalid_address",  # phone number is not a valid SMS-capable number
    21606: "rejected",  # the 'From' number is not a valid SMS-capable Twilio number
    21610: "rejected",  # the recipient replied STOP
    21612: "invalid_address",  # cannot route to this number
    21614: "invalid_address",  # 'To' is not a valid mobile number (a landline)
    30003: "invalid_address",  # unreachable destination handset
    30005: "invalid_address",  # unknown destination handset
    30006: "invalid_address",  # landline or unreachable carrier
}
RATE_LIMITED_CODES = {20429, 14107}  # too many requests; message rate limit exceeded
AUTH_CODES = {20003, 20005}  # authentication failed; account not active


@dataclass(frozen=True)
class TwilioSettings:
    account_sid: str
    auth_token: str
    from_number: str | None = None
    messaging_service_sid: str | None = None
    base_url: str = TWILIO_API
    status_callback: str | None = None
    timeout: float = 10.0
    # Segments per second of this sender (see ``settings.TwilioConfig.rate_per_second``).
    rate_per_second: float = 1.0

    @property
    def sender(self) -> str:
        return self.messaging_service_sid or self.from_number or "?"


class TwilioNotifier:
    """Sends one SMS per call; raises Retryable/PermanentDeliveryError."""

    channel = "sms"

    def __init__(self, settings: TwilioSettings) -> None:
        if not (settings.from_number or settings.messaging_service_sid):
            raise ValueError("Twilio needs a from number or a messaging service sid")
        self.settings = settings
        self._client = Client(
            settings.account_sid,
            settings.auth_token,
            http_client=TwilioHttpClient(timeout=settings.timeout),
        )
        self._client.api.base_url = settings.base_url.rstrip("/")

    def send(self, message: OutgoingMessage) -> str:
        """Hand the SMS to the provider; return its message sid."""
        s = self.settings
        options: dict[str, str] = {"to": message.address, "body": message.body_text}
        if s.messaging_service_sid:
            options["messaging_service_sid"] = s.messaging_service_sid
        else:
            options["from_"] = s.from_number or ""
        if s.status_callback:
            options["status_callback"] = s.status_callback
        try:
            created = self._client.messages.create(**options)
        except TwilioRestException as exc:
            raise classify(exc) from exc
        except OSError as exc:  # requests' ConnectionError and Timeout are OSErrors
            timed_out = "timed out" in str(exc).lower()
            raise RetryableDeliveryError(
                "timeout" if timed_out else "connection", str(exc) or type(exc).__name__
            ) from exc
        return str(created.sid)


def classify(exc: TwilioRestException) -> RetryableDeliveryError | PermanentDeliveryError:
    """Twilio's answer as a retryable or permanent failure."""
    code = exc.code or 0
    detail = f"HTTP {exc.status} code {code}: {exc.msg}"
    if code in PERMANENT_CODES:
        reason = PERMANENT_CODES[code]
        return PermanentDeliveryError(
            "invalid_address" if reason == "invalid_address" else "rejected", detail
        )
    if code in RATE_LIMITED_CODES or exc.status == 429:
        return RetryableDeliveryError("rate_limited", detail)
    if code in AUTH_CODES or exc.status in (401, 403):
        return RetryableDeliveryError("auth", detail)
    if exc.status >= 500:
        return RetryableDeliveryError("provider", detail)
    # Another 4xx: the request itself is wrong and will stay wrong.
    return PermanentDeliveryError("rejected", detail)

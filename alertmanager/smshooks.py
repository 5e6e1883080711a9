"""What Twilio posts back: delivery status callbacks and technicians' replies (acks).

Both are accepted only with a valid ``X-Twilio-Signature`` (HMAC-SHA1 of the URL and the form
parameters with the account's auth token, checked by the twilio library's RequestValidator).
A reply acknowledges the alerts of the last SMS sent to that number, and only a number the
receiver has texted counts: an unknown sender is refused.

A signature does not expire, so a captured reply stays valid for ever: replayed later, it would
acknowledge whatever was texted last. Each reply is therefore processed once per ``MessageSid``
(Twilio's id of the inbound message, covered by the signature); the id is kept in the note of
the acknowledgements it made, in the store, so it holds across restarts and replicas.

Bodies are bounded before they are read (FastAPI's ``max_body_size``), since the signature can
only be checked once the whole form is in memory.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from fastapi import APIRouter, Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from twilio.request_validator import RequestValidator

from alertmanager.metrics import ReceiverMetrics
from alertmanager.notify.sms import PERMANENT_CODES
from alertmanager.outbox import Outbox
from chargekeeper.clock import utc_now
from chargekeeper.store import Acknowledgement, Alert, Delivery, DeliveryState

log = logging.getLogger(__name__)

STATUS_PATH = "/api/v1/sms/status"
INBOUND_PATH = "/api/v1/sms/inbound"
# Replies that acknowledge, in the languages the receiver writes (compared case-insensitively).
ACK_WORDS = frozenset({"ack", "ok", "yes", "oui", "pris", "1"})
_FAILED = frozenset({"failed", "undelivered"})
# Twilio's callbacks are a few hundred bytes of form (an SMS body is at most 1,600 characters).
MAX_CALLBACK_BYTES = 64 * 1024
# Twilio message ids: two letters and 32 hex digits; anything alphanumeric of a sane length
# is accepted so that a format change at Twilio does not stop acks.
_MESSAGE_SID = re.compile(r"[A-Za-z0-9]{2,64}")


class SmsHooks:
    """The two endpoints, sharing the signature check."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        outbox: Outbox,
        metrics: ReceiverMetrics,
        auth_token: str,
        public_base_url: str | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._sessions = sessions
        self._outbox = outbox
        self._metrics = metrics
        self._validator = RequestValidator(auth_token)
        self._public_base_url = public_base_url.rstrip("/") if public_base_url else None
        self._clock = clock

    def router(self) -> APIRouter:
        router = APIRouter()
        for path, endpoint in ((STATUS_PATH, self.status), (INBOUND_PATH, self.inbound)):
            router.add_api_route(path, endpoint, methods=["POST"], max_body_size=MAX_CALLBACK_BYTES)
        return router

    async def _verified_form(self, request: Request, path: str) -> dict[str, str] | None:
        body = (await request.body()).decode("utf-8", errors="replace")
        form = dict(parse_qsl(body, keep_blank_values=True))
        # Twilio signs the URL it called: behind a proxy that is the public one.
        url = f"{self._public_base_url}{path}" if self._public_base_url else str(request.url)
        signature = request.headers.get("x-twilio-signature", "")
        if not self._validator.validate(url, form, signature):
            log.warning("Twilio callback to %s refused: bad signature", path)
            return None
        return form

    async def status(self, request: Request) -> Response:
        """Record a message's later status; a failed or undelivered SMS fails over."""
        form = await self._verified_form(request, STATUS_PATH)
        if form is None:
            return Response(status_code=403)
        sid, status = form.get("MessageSid", ""), form.get("MessageStatus", "")
        code = form.get("ErrorCode", "")
        with self._sessions.begin() as session:
            row = session.scalar(select(Delivery).where(Delivery.provider_id == sid))
            if row is None:
                return Response(status_code=204)  # not ours, or from before a store reset
            row.provider_status = status[:32]
            if status in _FAILED and row.state == DeliveryState.SENT:
                reason = (
                    PERMANENT_CODES.get(int(code), "provider") if code.isdigit() else "provider"
                )
                row.state = DeliveryState.FAILED
                row.failure_reason = reason
                row.failure_detail = f"Twilio status {status}, error {code or '?'}"
                self._metrics.failed.labels("sms", reason).inc()
                self._outbox.fail_over(session, row)
        return Response(status_code=204)

    async def inbound(self, request: Request) -> Response:
        """A technician's reply: acknowledge the alerts of the last SMS sent to them."""
        form = await self._verified_form(request, INBOUND_PATH)
        if form is None:
            return Response(status_code=403)
        sender, text = form.get("From", ""), form.get("Body", "").strip().lower()
        sid = form.get("MessageSid", "")
        if not _MESSAGE_SID.fullmatch(sid):
            log.warning("SMS reply without a valid MessageSid refused")
            return Response("MessageSid missing or malformed\n", status_code=400)
        marker = _reply_marker(sid)
        with self._sessions.begin() as session:
            if session.scalar(
                select(Acknowledgement.id)
                .where(Acknowledgement.via == "sms")
                .where(Acknowledgement.note.endswith(marker, autoescape=True))
                .limit(1)
            ):
                # Twilio's own retry, or a replay: either way it was acted on already.
                log.warning("SMS reply %s already processed: ignored", sid)
                return _twiml(None)
            last = session.scalar(
                select(Delivery)
                .where(Delivery.channel == "sms", Delivery.address == sender)
                .order_by(Delivery.id.desc())
                .limit(1)
            )
            if last is None:
                log.warning("SMS reply from a number never texted refused")
                return _twiml(None)
            if text not in ACK_WORDS:
                return _twiml(
                    "Reply ACK to acknowledge."
                    if last.language != "fr"
                    else "Répondez OK pour prendre en charge."
                )
            now = self._clock()
            names = []
            for link in last.alerts:
                alert = session.get_one(Alert, link.alert_id)
                names.append(alert.charge_point_id or alert.alertname)
                session.add(
                    Acknowledgement(
                        alert_id=alert.id,
                        by=last.recipient_id,
                        at=now,
                        via="sms",
                        note=form.get("Body", "")[:160] + marker,
                    )
                )
        listed = ", ".join(names)[:120]
        return _twiml(
            f"Acknowledged: {listed}" if last.language != "fr" else f"Pris en charge : {listed}"
        )


def _reply_marker(sid: str) -> str:
    """The end of an SMS acknowledgement's note: the reply that made it (see the module doc)."""
    return f" [{sid}]"


def _twiml(reply: str | None) -> Response:
    """Twilio's reply format: an empty <Response/> sends nothing back."""
    inner = f"<Message>{escape(reply)}</Message>" if reply else ""
    xml = f'<?xml version="1.0" encoding="UTF-8"?><Response>{inner}</Response>'
    return Response(xml, media_type="application/xml")

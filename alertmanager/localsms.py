"""A local stand-in for Twilio's Messages API, for tests and the demo.

It speaks the same wire format the ``twilio`` library uses: ``POST
/2010-04-01/Accounts/{AccountSid}/Messages.json`` with form fields ``To``, ``From`` or
``MessagingServiceSid``, ``Body`` and ``StatusCallback``, HTTP Basic auth with the account sid
and auth token, JSON answers shaped like Twilio's, and Twilio's error codes for what it
refuses: 20003 (authentication), 21211 (invalid 'To' number), 21614 (not a mobile number),
21602 (empty body), 21603/21606 (no or bad sender), 20429 (too many requests). Every accepted
message is appended to ``<state dir>/sms/messages.jsonl``.

Built on the standard library's threading HTTP server: it needs no event loop, runs in a
background thread of a test or of ``chargekeeper up``, and a few hundred lines of Twilio's API
is all there is to serve.
"""

from __future__ import annotations

import base64
import hmac
import json
import re
import secrets
import threading
import time
from collections import deque
from collections.abc import Collection
from datetime import UTC, datetime
from email.utils import format_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from alertmanager import gsm

_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<sid>AC[0-9a-fA-F]{32})/Messages\.json$")
_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
MAX_BODY_CHARS = 1600  # Twilio's limit for one message body


class LocalSmsServer:
    """The fake provider: start it, point ``TwilioSettings.base_url`` at ``url``."""

    def __init__(
        self,
        state_dir: Path,
        account_sid: str,
        auth_token: str,
        host: str = "127.0.0.1",
        port: int = 0,
        landlines: Collection[str] = (),
        max_per_second: float | None = None,
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.landlines = frozenset(landlines)
        self.max_per_second = max_per_second
        self.path = state_dir / "sms" / "messages.jsonl"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._recent: dict[str, deque[float]] = {}
        self._server = ThreadingHTTPServer((host, port), _handler_for(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> LocalSmsServer:
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="localsms", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(5)

    def messages(self) -> list[dict[str, Any]]:
        """Every message accepted so far (also after a restart: they are on disk)."""
        if not self.path.exists():
            return []
        with self._lock:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line]

    # -- request handling (called from the handler threads) ----------------------------------

    def authorised(self, header: str | None) -> bool:
        scheme, _, encoded = (header or "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(encoded).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        expected = f"{self.account_sid}:{self.auth_token}".encode()
        return hmac.compare_digest(f"{user}:{password}".encode(), expected)

    def create(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        """Validate like Twilio and keep the message; return (HTTP status, JSON body)."""
        to, body = form.get("To", ""), form.get("Body", "")
        sender, service = form.get("From", ""), form.get("MessagingServiceSid", "")
        if not to or not _E164.match(to):
            return _error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        if to in self.landlines:
            return _error(400, 21614, f"'To' number {to} is not a valid mobile number")
        if not body:
            return _error(400, 21602, "Message body is required.")
        if len(body) > MAX_BODY_CHARS:
            return _error(
                400, 21617, "The concatenated message body exceeds the 1600 character limit."
            )
        if not sender and not service:
            return _error(400, 21603, "A 'From' phone number is required.")
        if sender and not _E164.match(sender):
            return _error(400, 21606, f"The 'From' phone number {sender} is not valid.")
        if self._over_rate(sender or service):
            return _error(429, 20429, "Too Many Requests")
        now = datetime.now(UTC)
        sid = "SM" + secrets.token_hex(16)
        message: dict[str, Any] = {
            "sid": sid,
            "account_sid": self.account_sid,
            "to": to,
            "from": sender or None,
            "messaging_service_sid": service or None,
            "body": body,
            "status": "queued",
            "num_segments": str(gsm.segments(body)),
            "num_media": "0",
            "direction": "outbound-api",
            "api_version": "2010-04-01",
            "price": None,
            "price_unit": "USD",
            "error_code": None,
            "error_message": None,
            "date_created": format_datetime(now),
            "date_updated": format_datetime(now),
            "date_sent": None,
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json",
            "subresource_uris": {},
            "status_callback": form.get("StatusCallback") or None,
        }
        with self._lock, self.path.open("a", encoding="utf-8") as file:
            file.write(json.dumps(message, ensure_ascii=False) + "\n")
        return 201, message

    def _over_rate(self, sender: str) -> bool:
        if self.max_per_second is None:
            return False
        now = time.monotonic()
        with self._lock:
            recent = self._recent.setdefault(sender, deque())
            while recent and now - recent[0] >= 1.0:
                recent.popleft()
            if len(recent) >= self.max_per_second:
                return True
            recent.append(now)
            return False


def _error(status: int, code: int, message: str) -> tuple[int, dict[str, Any]]:
    return status, {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


def _handler_for(server: LocalSmsServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            match = _PATH.match(self.path.split("?")[0])
            if match is None:
                self._answer(
                    *_error(404, 20404, f"The requested resource {self.path} was not found")
                )
                return
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode("utf-8", errors="replace")
            if not server.authorised(self.headers.get("Authorization")) or (
                match.group("sid") != server.account_sid
            ):
                self._answer(*_error(401, 20003, "Authenticate"))
                return
            form = {key: values[-1] for key, values in parse_qs(raw).items()}
            self._answer(*server.create(form))

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(HTTPStatus(status))
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the store and the receiver log what matters; keep test output clean

    return Handler

"""A local SMTP server (aiosmtpd) that keeps every mail it accepts in the state directory.

For tests and the demo: ``<state dir>/mail/<n>-<Message-ID>.eml``, one file per mail in
arrival order, written atomically so a reader never sees half a message.
"""

from __future__ import annotations

import email
import email.policy
import itertools
import logging
import os
import re
import threading
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
# aiosmtpd logs every connection at INFO; the demo's log is for Chargekeeper's own lines.
logging.getLogger("mail.log").setLevel(logging.WARNING)


class _KeepMail:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = threading.Lock()
        existing = len(list(folder.glob("*.eml")))
        self._numbers = itertools.count(existing + 1)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = envelope.original_content or envelope.content
        data = content if isinstance(content, bytes) else str(content).encode()
        message_id = email.message_from_bytes(data).get("Message-ID", "no-id")
        with self._lock:
            number = next(self._numbers)
        name = f"{number:06d}-{_UNSAFE.sub('_', str(message_id))[:80]}.eml"
        staged = self.folder / f".{name}.tmp"
        staged.write_bytes(data)
        os.replace(staged, self.folder / name)
        return "250 Message accepted for delivery"


class LocalSmtpServer:
    """aiosmtpd in its own thread, on ``host:port`` (port 0 is not supported by aiosmtpd's
    Controller readiness check, so pick one with ``free_port``)."""

    def __init__(self, state_dir: Path, host: str = "127.0.0.1", port: int = 2525) -> None:
        self.folder = state_dir / "mail"
        self.folder.mkdir(parents=True, exist_ok=True)
        self.host, self.port = host, port
        self._controller: Controller | None = None

    def start(self) -> LocalSmtpServer:
        self._controller = Controller(_KeepMail(self.folder), hostname=self.host, port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def messages(self) -> list[EmailMessage]:
        """Every mail kept so far, in arrival order."""
        mails = []
        for path in sorted(self.folder.glob("*.eml")):
            parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            assert isinstance(parsed, EmailMessage)
            mails.append(parsed)
        return mails

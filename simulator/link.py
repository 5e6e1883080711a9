"""One websocket connection's OCPP-J exchange, from the charger's side.

CALLs go out with their own message ids and wait for the matching CALLRESULT or CALLERROR;
CALLs coming in are answered by a callback. Only the charger's own task reads the socket
(``pump``); a CALL made from another task waits for that task to route the reply to it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from simulator.dialects import CallErrorReply, Reply
from simulator.model import JsonObject
from simulator.shared import ChargerOptions

log = logging.getLogger(__name__)

Answer = Callable[[str, JsonObject], Reply]


class LinkSilent(Exception):
    """The link was lost silently: nothing may be read or sent on it any more."""


def _encode(frame: list[Any]) -> str:
    return json.dumps(frame, separators=(",", ":"))


class OcppLink:
    """OCPP-J over one open websocket."""

    __slots__ = (
        "_answer",
        "_charge_point_id",
        "_next_id",
        "_options",
        "_pending",
        "failure",
        "silent",
        "ws",
    )

    def __init__(
        self, ws: ClientConnection, charge_point_id: str, options: ChargerOptions, answer: Answer
    ) -> None:
        self.ws = ws
        self._charge_point_id = charge_point_id
        self._options = options
        self._answer = answer
        self._pending: dict[str, asyncio.Future[JsonObject | None]] = {}
        self._next_id = 0
        self.silent = False
        self.failure = ""  # why the last call() returned None

    def go_silent(self) -> None:
        """Stop reading from the socket (so no pongs either) and refuse to send; keep it open."""
        self.silent = True
        self.ws.transport.pause_reading()

    def abort(self) -> None:
        """Drop the TCP connection without a closing handshake."""
        self.ws.transport.abort()
        for future in self._pending.values():
            if not future.done():
                future.set_result(None)
        self._pending.clear()

    async def send(self, frame: str) -> None:
        if self.silent:
            raise LinkSilent
        observer = self._options.frame_observer
        if observer is not None:
            observer(self._charge_point_id, "sent", frame)
        await self.ws.send(frame)

    async def call(self, action: str, payload: JsonObject, reading: bool) -> JsonObject | None:
        """Send a CALL; its CALLRESULT payload, or None after a CALLERROR or a timeout.

        ``reading``: the caller is the charger task, which reads frames while it waits.
        Raises LinkSilent or ConnectionClosed only to a reading caller.
        """
        loop = asyncio.get_running_loop()
        self._next_id += 1
        message_id = str(self._next_id)
        future: asyncio.Future[JsonObject | None] = loop.create_future()
        self._pending[message_id] = future
        deadline = loop.time() + self._options.call_timeout
        try:
            try:
                await self.send(_encode([2, message_id, action, payload]))
            except (LinkSilent, ConnectionClosed):
                if reading:
                    raise
                self.failure = "not sent: link down"
                return None
            if reading:
                await self.pump(deadline, until=future)
            else:
                async with asyncio.timeout_at(deadline):
                    await asyncio.shield(future)
        except TimeoutError:
            pass
        finally:
            self._pending.pop(message_id, None)
        if not future.done():
            future.cancel()
            self._options.stats.call_timeouts += 1
            self.failure = "unanswered"
            return None
        return future.result()

    async def pump(
        self,
        deadline: float,
        until: asyncio.Future[JsonObject | None] | None = None,
        interrupt: Callable[[], bool] | None = None,
    ) -> None:
        """Read and answer frames until ``deadline``, ``until`` resolves or ``interrupt()``."""
        loop = asyncio.get_running_loop()
        while True:
            if until is not None and until.done():
                return
            if interrupt is not None and interrupt():
                return
            remaining = deadline - loop.time()
            if remaining <= 0:
                return
            if self.silent:
                await asyncio.sleep(remaining)
                return
            try:
                async with asyncio.timeout_at(deadline):
                    raw = await self.ws.recv()
            except TimeoutError:
                return
            await self._dispatch(raw)

    async def _dispatch(self, raw: str | bytes) -> None:
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
        observer = self._options.frame_observer
        if observer is not None:
            observer(self._charge_point_id, "received", text)
        try:
            message = json.loads(text)
        except ValueError:
            log.debug("%s: ignoring a frame that is not JSON", self._charge_point_id)
            return
        if not isinstance(message, list) or len(message) < 3 or not isinstance(message[1], str):
            log.debug("%s: ignoring a frame that is not OCPP-J", self._charge_point_id)
            return
        kind, message_id = message[0], message[1]
        if kind == 2:
            await self._reply(message_id, message)
            return
        future = self._pending.get(message_id)
        if kind not in (3, 4) or future is None or future.done():
            return  # a late reply, or one to a CALL we never made
        if kind == 3 and isinstance(message[2], dict):
            future.set_result(message[2])
            return
        self._options.stats.call_errors += 1
        # The error code comes from the central system: keep it short for the summary.
        code = str(message[2])[:40] if kind == 4 else "a malformed CALLRESULT"
        self.failure = f"answered with CALLERROR {code}" if kind == 4 else f"answered with {code}"
        future.set_result(None)

    async def _reply(self, message_id: str, message: list[Any]) -> None:
        if len(message) != 4 or not isinstance(message[2], str) or not isinstance(message[3], dict):
            # 1.6 spells it "FormationViolation", 2.0.1 "FormatViolation".
            version = self._options.dialect.version
            code = "FormationViolation" if version == "1.6" else "FormatViolation"
            reply: Reply = CallErrorReply(code, "a CALL is [2, id, action, {payload}]")
        else:
            reply = self._answer(message[2], message[3])
        if isinstance(reply, CallErrorReply):
            await self.send(_encode([4, message_id, reply.code, reply.description, {}]))
        else:
            await self.send(_encode([3, message_id, reply]))

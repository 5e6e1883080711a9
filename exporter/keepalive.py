"""Giving up on a dead link as soon as its keepalive ping times out, on every websocket the
collector holds: a charger's, and in proxy mode the CSMS's."""

from __future__ import annotations

from websockets.asyncio.connection import Connection

# The reason websockets gives when a keepalive pong did not arrive within ping_timeout.
KEEPALIVE_TIMEOUT_REASON = "keepalive ping timeout"


class FailFastOnDeadLink(Connection):
    """Mixed in before websockets' ServerConnection or ClientConnection.

    websockets answers a missed pong by sending a close frame and then waits up to
    ``close_timeout`` for the peer to close TCP, which a dead link never does: detection would
    take ping interval + ping timeout + close timeout. The close timeout is only worth waiting
    for when the peer is alive, so it is zero once the keepalive has failed. (websockets reads
    ``close_timeout`` when it sets the closing deadline, right after failing the connection.)
    """

    @property
    def close_timeout(self) -> float | None:
        close_sent = self.protocol.close_sent
        if close_sent is not None and close_sent.reason == KEEPALIVE_TIMEOUT_REASON:
            return 0.0
        return self._close_timeout

    @close_timeout.setter
    def close_timeout(self, value: float | None) -> None:
        self._close_timeout = value

"""Network primitives every component shares."""

from __future__ import annotations

import socket


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on ``host`` that the OS reported free a moment ago.

    Picked at run time so that servers started side by side (tests, benchmarks, a local SMTP
    relay) never collide on a fixed number; another process may still take it before the caller
    binds it, so bind it at once.
    """
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])

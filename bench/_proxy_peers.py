"""The proxy benchmark's peers, each run as its own process.

``python -m bench._proxy_peers csms --port P``: a minimal fast CSMS (OCPP 1.6) that answers
every CALL at once with a valid CALLRESULT, so that what the benchmark measures is the hop in
front of it. SIGTERM closes every connection with 1001, as a CSMS being restarted does.

``python -m bench._proxy_peers relay --port P --upstream ws://HOST:PORT``: a bare websocket
relay, the floor any proxy pays: for each charger it opens ``upstream + path`` and copies
messages both ways, nothing else (no observation, no close-code mirroring).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
from datetime import UTC, datetime
from typing import Any

from websockets.asyncio.client import connect
from websockets.asyncio.connection import Connection
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

OCPP16 = [Subprotocol("ocpp1.6")]
ACCEPTED = {"status": "Accepted"}


def _answer(action: str) -> dict[str, Any]:
    """A CALLRESULT payload that the simulator's OCPP 1.6 charger accepts."""
    now = datetime.now(UTC).isoformat()
    if action == "BootNotification":
        return {"currentTime": now, "interval": 300, **ACCEPTED}
    if action == "Heartbeat":
        return {"currentTime": now}
    if action in ("Authorize", "StopTransaction"):
        return {"idTagInfo": ACCEPTED}
    if action == "StartTransaction":
        return {"transactionId": 1, "idTagInfo": ACCEPTED}
    return {}


async def _csms_handler(connection: ServerConnection) -> None:
    with contextlib.suppress(ConnectionClosed):
        async for message in connection:
            frame = json.loads(message)
            if frame[0] == 2:  # the simulator's CALLRESULTs to us need no answer
                await connection.send(json.dumps([3, frame[1], _answer(frame[2])]))


async def _pump(source: Connection, sink: Connection) -> None:
    with contextlib.suppress(ConnectionClosed):
        async for message in source:
            await sink.send(message)


def _relay_handler(upstream: str) -> Any:
    async def handler(charger: ServerConnection) -> None:
        assert charger.request is not None
        async with connect(
            upstream.rstrip("/") + charger.request.path, subprotocols=OCPP16, compression=None
        ) as csms:
            pumps = [
                asyncio.create_task(_pump(charger, csms)),
                asyncio.create_task(_pump(csms, charger)),
            ]
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
            for pump in pumps:
                pump.cancel()
        await charger.close()

    return handler


async def _serve(kind: str, port: int, upstream: str | None) -> None:
    stopping = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stopping.set)
    handler = _csms_handler if kind == "csms" else _relay_handler(str(upstream))
    async with serve(handler, "127.0.0.1", port, subprotocols=OCPP16, compression=None):
        await stopping.wait()
    # Leaving the block closes every connection with 1001 (going away) and waits for them.


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("kind", choices=["csms", "relay"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--upstream", help="the relay's CSMS, e.g. ws://127.0.0.1:9000")
    args = parser.parse_args()
    if args.kind == "relay" and not args.upstream:
        parser.error("relay needs --upstream ws://HOST:PORT")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args.kind, args.port, args.upstream))


if __name__ == "__main__":
    main()

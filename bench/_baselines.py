"""Baseline central systems that the collector's benchmarks are measured against.

``python -m bench._baselines ocpp-library --port P``: the ``ocpp`` library's own ChargePoint with
its default (jsonschema) validation, answering BootNotification and MeterValues.
``python -m bench._baselines echo --port P``: a raw websockets server that parses each JSON frame
and answers an empty CALLRESULT: the floor that any OCPP server pays for websockets and JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
from datetime import UTC, datetime
from typing import Any

from ocpp.routing import on
from ocpp.v16 import ChargePoint, call_result
from ocpp.v16.enums import Action, RegistrationStatus
from websockets.asyncio.server import ServerConnection, serve
from websockets.typing import Subprotocol


class LibraryChargePoint(ChargePoint):  # type: ignore[misc]
    @on(Action.boot_notification)  # type: ignore[untyped-decorator]
    def on_boot_notification(self, **_: Any) -> call_result.BootNotification:
        return call_result.BootNotification(
            current_time=datetime.now(UTC).isoformat(),
            interval=300,
            status=RegistrationStatus.accepted,
        )

    @on(Action.meter_values)  # type: ignore[untyped-decorator]
    def on_meter_values(self, **_: Any) -> call_result.MeterValues:
        return call_result.MeterValues()


async def _library_handler(connection: ServerConnection) -> None:
    charge_point_id = connection.request.path.rsplit("/", 1)[-1] if connection.request else "?"
    await LibraryChargePoint(charge_point_id, connection).start()


async def _echo_handler(connection: ServerConnection) -> None:
    async for message in connection:
        frame = json.loads(message)
        await connection.send(json.dumps([3, frame[1], {}]))


async def _serve(kind: str, port: int) -> None:
    handler = _library_handler if kind == "ocpp-library" else _echo_handler
    async with serve(
        handler,
        "127.0.0.1",
        port,
        subprotocols=[Subprotocol("ocpp1.6")],
        compression=None,
    ) as server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("kind", choices=["ocpp-library", "echo"])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args.kind, args.port))


if __name__ == "__main__":
    main()

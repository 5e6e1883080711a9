"""A Node.js CSMS nobody here wrote: ocpp-rpc's RPCServer in strict mode
(``tests/conformance/node/csms.js``), run as a child process on 127.0.0.1.

The script logs every websocket message it receives and sends as a JSON line, as ocpp-rpc
hands it over (text; ocpp-rpc decodes a binary frame as UTF-8, so the tests send it text), and
takes CSMS-initiated calls and closes as JSON lines on its standard input.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import shutil
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

NODE_DIR = Path(__file__).parents[2] / "conformance" / "node"
SCRIPT = NODE_DIR / "csms.js"
NODE = shutil.which("node")

needs_node = pytest.mark.skipif(
    NODE is None, reason="node (v18+) is not on PATH: the ocpp-rpc CSMS needs it"
)

Event = dict[str, Any]


@dataclass
class NodeCsms:
    process: asyncio.subprocess.Process
    port: int = 0
    events: list[Event] = field(default_factory=list)
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    _refs: itertools.count[int] = field(default_factory=itertools.count)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ocpp"

    async def wait_for(self, predicate: Callable[[Event], bool], within: float = 5.0) -> Event:
        """The first event so far or to come that ``predicate`` accepts."""

        def found() -> Event | None:
            return next((event for event in self.events if predicate(event)), None)

        async with self.changed:
            await asyncio.wait_for(self.changed.wait_for(lambda: found() is not None), within)
        event = found()
        assert event is not None
        return event

    def frames(self, identity: str, direction: str) -> list[str]:
        """Messages on ``identity``'s connection, ``in`` (from the charger) or ``out``."""
        return [
            event["message"]
            for event in self.events
            if event["event"] == "frame"
            and event["identity"] == identity
            and event["direction"] == direction
        ]

    async def command(self, **command: Any) -> Event:
        ref = next(self._refs)
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"ref": ref, **command}).encode() + b"\n")
        await self.process.stdin.drain()
        return await self.wait_for(lambda e: e["event"] == "result" and e["ref"] == ref, 10)

    async def call(self, identity: str, method: str, params: dict[str, Any]) -> Event:
        """A CSMS-initiated call; the result event says how the charger answered."""
        return await self.command(identity=identity, call=method, params=params)

    async def close(self, identity: str, code: int, reason: str) -> Event:
        return await self.command(identity=identity, close=[code, reason])

    async def _read(self) -> None:
        assert self.process.stdout is not None
        async for line in self.process.stdout:
            async with self.changed:
                self.events.append(json.loads(line))
                self.changed.notify_all()


@asynccontextmanager
async def node_csms() -> AsyncIterator[NodeCsms]:
    if not (NODE_DIR / "node_modules" / "ocpp-rpc").is_dir():
        pytest.fail(
            f"ocpp-rpc is not installed in {NODE_DIR}: run ./dev setup "
            f"(or npm ci --prefix {NODE_DIR})"
        )
    assert NODE is not None
    process = await asyncio.create_subprocess_exec(
        NODE,
        str(SCRIPT),
        "0",
        cwd=NODE_DIR,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    csms = NodeCsms(process)
    reading = asyncio.create_task(csms._read())
    try:
        listening = await csms.wait_for(lambda e: e["event"] == "listening", 15)
        csms.port = listening["port"]
        yield csms
    finally:
        assert process.stdin is not None
        process.stdin.close()  # the script closes its server and exits
        try:
            await asyncio.wait_for(process.wait(), 5)
        except TimeoutError:
            process.kill()
            await process.wait()
        reading.cancel()
        with suppress(asyncio.CancelledError):
            await reading
        assert process.stderr is not None
        errors = (await process.stderr.read()).decode()
    # Reached only when the test passed: a failing test's own error is the one to read.
    assert process.returncode == 0, f"csms.js failed: {errors}"

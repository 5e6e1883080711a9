"""The metrics endpoint: ``/metrics`` and ``/healthz`` on their own listen address.

This is a deliberately small HTTP/1.1 server on ``asyncio.start_server`` rather than uvicorn:
it runs on the OCPP event loop (the fleet state is read there, without locks), it serves two
fixed GET endpoints to Prometheus, and it must hand the loop back between chunks of a large
exposition, which an ASGI stack adds nothing to. uvicorn would also want to own the process's
signal handling and loop. What it needs from HTTP is small and written out below: one request
per connection (``Connection: close``), GET and HEAD, a chunked body, gzip when asked.

A scrape of 10,000 chargers is rendered by :func:`exporter.metrics.iter_exposition` in chunks;
after each chunk is written (and compressed, when Prometheus sent ``Accept-Encoding: gzip``,
which it always does) the handler yields to the loop, so OCPP traffic waits at most one chunk.

A scrape slot bounds the work of rendering, not the wait for the client: a response whose
reader is behind (its socket buffers full) gives its slot back until the reader catches up, and
is closed if the reader takes nothing for ``send_timeout``. Clients that request ``/metrics``
and never read therefore cannot keep Prometheus out.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import zlib
from collections.abc import Callable, Iterable, Iterator

from prometheus_client import CollectorRegistry, generate_latest

from exporter.metrics import iter_exposition
from exporter.state import FleetState

log = logging.getLogger(__name__)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
MAX_REQUEST_HEAD_BYTES = 16 * 1024
REQUEST_HEAD_TIMEOUT = 10.0
# A scraper that stops reading must not hold a render open for ever; Prometheus's own scrape
# timeout is at most the scrape interval, far below this.
RESPONSE_TIMEOUT = 120.0
# A reader that takes no bytes for this long is gone or hostile: Prometheus reads as fast as the
# network allows, and 10 s is its default scrape timeout.
SEND_TIMEOUT = 10.0
# Prometheus HA pairs and an occasional curl; more concurrent renders only multiply the work.
MAX_CONCURRENT_SCRAPES = 4
# Responses open at once, those waiting for a slow reader included: each holds a chunk, socket
# buffers and a snapshot of the charger list, so their number is bounded too.
MAX_OPEN_SCRAPES = 64
# Level 1 compresses exposition text about 8x at a fraction of level 6's CPU time.
GZIP_LEVEL = 1

Exposition = Callable[[], Iterable[bytes]]


def fleet_exposition(state: FleetState, registry: CollectorRegistry) -> Exposition:
    """The ``/metrics`` body: the fleet state's metrics, then the registry's (own counters)."""

    def chunks() -> Iterator[bytes]:
        yield from iter_exposition(state)
        yield generate_latest(registry)

    return chunks


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an Accept-Encoding header value allows gzip (a q of 0 refuses it)."""
    for item in accept_encoding.split(","):
        coding, _, params = item.strip().partition(";")
        if coding.strip().lower() not in ("gzip", "*"):
            continue
        quality = params.strip().lower()
        if quality.startswith("q="):
            try:
                return float(quality[2:]) > 0
            except ValueError:
                return False
        return True
    return False


class MetricsServer:
    """Serves ``/metrics`` (from ``exposition``) and ``/healthz`` over HTTP/1.1."""

    def __init__(
        self, host: str, port: int, exposition: Exposition, *, send_timeout: float = SEND_TIMEOUT
    ) -> None:
        self.host = host
        self.requested_port = port
        self.exposition = exposition
        self.send_timeout = send_timeout
        self._server: asyncio.Server | None = None
        self._scrapes = asyncio.Semaphore(MAX_CONCURRENT_SCRAPES)
        self._rendering = 0
        self._open_scrapes = 0

    @property
    def scraping(self) -> bool:
        """Whether a /metrics response is being rendered right now (not waiting for a reader)."""
        return self._rendering > 0

    @property
    def port(self) -> int:
        assert self._server is not None, "start() first"
        return int(self._server.sockets[0].getsockname()[1])

    async def start(self) -> None:
        """Listen; raises OSError when the address cannot be bound."""
        self._server = await asyncio.start_server(
            self._serve, self.host, self.requested_port, limit=MAX_REQUEST_HEAD_BYTES
        )

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(REQUEST_HEAD_TIMEOUT):
                head = await reader.readuntil(b"\r\n\r\n")
            async with asyncio.timeout(RESPONSE_TIMEOUT):
                await self._respond(head, writer)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass  # a client that sent no complete request: just close
        except TimeoutError:
            # A reader that stopped reading: close() would wait for it to take the unsent
            # buffer first, that is for ever.
            writer.transport.abort()
        except ConnectionError:
            pass
        except Exception:
            log.exception("metrics request failed")
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, TimeoutError):
                await writer.wait_closed()

    async def _respond(self, head: bytes, writer: asyncio.StreamWriter) -> None:
        request_line, *header_lines = head.decode("latin-1").split("\r\n")
        parts = request_line.split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            await _send_simple(writer, 400, "Bad Request", "malformed HTTP request line\n")
            return
        method, target, version = parts
        headers = {}
        for line in header_lines:
            name, sep, value = line.partition(":")
            if sep:
                headers[name.strip().lower()] = value.strip()
        path = target.partition("?")[0]
        if method not in ("GET", "HEAD"):
            await _send_simple(
                writer, 405, "Method Not Allowed", "use GET\n", extra=(("Allow", "GET, HEAD"),)
            )
            return
        head_only = method == "HEAD"
        if path == "/healthz":
            await _send_simple(writer, 200, "OK", "ok\n", head_only=head_only)
        elif path == "/metrics":
            gzip = accepts_gzip(headers.get("accept-encoding", ""))
            # HTTP/1.0 has no chunked encoding: its body simply ends when the connection does.
            await self._send_metrics(writer, gzip, head_only, chunked=version != "HTTP/1.0")
        elif path == "/":
            await _send_simple(
                writer,
                200,
                "OK",
                "Chargekeeper OCPP collector: see /metrics\n",
                head_only=head_only,
            )
        else:
            await _send_simple(writer, 404, "Not Found", "try /metrics or /healthz\n")

    async def _send_metrics(
        self, writer: asyncio.StreamWriter, gzip: bool, head_only: bool, *, chunked: bool
    ) -> None:
        if self._scrapes.locked() or self._open_scrapes >= MAX_OPEN_SCRAPES:
            await _send_simple(
                writer,
                503,
                "Service Unavailable",
                "too many concurrent scrapes\n",
                extra=(("Retry-After", "1"),),
            )
            return
        self._open_scrapes += 1
        slot = _Slot(self)
        await slot.take()
        try:
            await self._send_exposition(writer, gzip, head_only, slot, chunked=chunked)
        finally:
            slot.give_back()
            self._open_scrapes -= 1

    async def _drain(self, writer: asyncio.StreamWriter, slot: _Slot) -> None:
        """Wait until the reader has taken what was written, without a slot if it is behind."""
        transport = writer.transport
        # drain() blocks exactly when the last write took the buffer over its high-water mark.
        if transport.get_write_buffer_size() <= transport.get_write_buffer_limits()[1]:
            await writer.drain()  # raises if the connection was lost
            await asyncio.sleep(0)  # drain() does not yield unless the socket is full
            return
        slot.give_back()
        async with asyncio.timeout(self.send_timeout):
            await writer.drain()
        await slot.take()

    async def _send_exposition(
        self,
        writer: asyncio.StreamWriter,
        gzip: bool,
        head_only: bool,
        slot: _Slot,
        *,
        chunked: bool,
    ) -> None:
        chunks = iter(self.exposition())
        try:
            first = next(chunks, b"")
        except Exception:
            log.exception("rendering /metrics failed")
            await _send_simple(writer, 500, "Internal Server Error", "see the exporter log\n")
            return
        lines = ["HTTP/1.1 200 OK", f"Content-Type: {CONTENT_TYPE}", "Connection: close"]
        if chunked:
            lines.append("Transfer-Encoding: chunked")
        if gzip:
            lines += ["Content-Encoding: gzip", "Vary: Accept-Encoding"]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        if head_only:
            await writer.drain()
            return
        compressor = zlib.compressobj(GZIP_LEVEL, wbits=31) if gzip else None
        # A failure after the headers went out ends the connection without the final
        # zero-length chunk, so the scraper sees a truncated body, never a short success.
        for chunk in itertools.chain((first,), chunks):
            data = compressor.compress(chunk) if compressor else chunk
            _write_body(writer, data, chunked)
            await self._drain(writer, slot)
        if compressor is not None:
            _write_body(writer, compressor.flush(), chunked)
        if chunked:
            writer.write(b"0\r\n\r\n")
        await self._drain(writer, slot)


class _Slot:
    """One response's hold on a scrape slot, given back while its reader is behind."""

    __slots__ = ("_held", "_server")

    def __init__(self, server: MetricsServer) -> None:
        self._server = server
        self._held = False

    async def take(self) -> None:
        await self._server._scrapes.acquire()
        self._server._rendering += 1
        self._held = True

    def give_back(self) -> None:
        if self._held:
            self._held = False
            self._server._rendering -= 1
            self._server._scrapes.release()


def _write_body(writer: asyncio.StreamWriter, data: bytes, chunked: bool) -> None:
    if not data:
        return  # an empty chunk would end a chunked body
    writer.write(b"%x\r\n%b\r\n" % (len(data), data) if chunked else data)


async def _send_simple(
    writer: asyncio.StreamWriter,
    status: int,
    phrase: str,
    body: str,
    *,
    extra: tuple[tuple[str, str], ...] = (),
    head_only: bool = False,
) -> None:
    payload = body.encode()
    lines = [
        f"HTTP/1.1 {status} {phrase}",
        "Content-Type: text/plain; charset=utf-8",
        f"Content-Length: {len(payload)}",
        "Connection: close",
        *(f"{name}: {value}" for name, value in extra),
    ]
    writer.write(
        ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (b"" if head_only else payload)
    )
    await writer.drain()

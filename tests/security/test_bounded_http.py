"""Issue 15, findings 3 and 2 replayed: memory without credentials, and a replayed SMS reply.

- 150 MB posted to the SMS callbacks and the webhook (declared and chunked) is refused with 413
  before it is read: the receiver, a process of its own, barely grows (psutil);
- JSON nested beyond the parser's depth and ``truncatedAlerts`` of 2^63 are a 400 that says
  what is wrong, not a 500;
- clients that request ``/metrics`` and never read do not keep a real scrape out, and are
  closed after the send timeout;
- a captured SMS reply, replayed after a later alert, acknowledges nothing more.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from alertmanager.localsms import LocalSmsServer
from alertmanager.smshooks import INBOUND_PATH, STATUS_PATH
from chargekeeper.routing import WEBHOOK_PATH
from chargekeeper.store import Acknowledgement, Alert
from exporter.http import MAX_CONCURRENT_SCRAPES, MetricsServer
from tests.alertmanager.receiver_support import (
    TOKEN,
    ThreadedReceiver,
    alert,
    running_receiver,
    wait_until,
    webhook,
    write_config,
)
from tests.alertmanager.test_receiver_crash import start_receiver
from tests.support.procs import free_port

pytestmark = pytest.mark.slow

ATTACK_BYTES = 150 * 1024 * 1024
BLOCK = b"A" * (1024 * 1024)
# The finding: 129 MB grew to about 1 GB. A refusal before reading costs a few socket buffers;
# the chunked webhook with a valid token is read up to its 32 MB limit before the 413.
RSS_GROWTH_BOUND = 100 * 1024 * 1024
SID = "AC" + "5" * 32
TWILIO_TOKEN = "bounded-http-twilio-token"  # the test's own local SMS endpoint


@contextlib.contextmanager
def sms_config(tmp_path: Path) -> Iterator[Path]:
    """A config whose Twilio account is a local SMS endpoint with a token this test knows."""
    token_file = tmp_path / "twilio-token"
    token_file.write_text(TWILIO_TOKEN + "\n")
    sms = LocalSmsServer(tmp_path / "providers", SID, TWILIO_TOKEN).start()
    extra = (
        f"twilio: {{account_sid: {SID}, auth_token_file: {token_file},"
        f" base_url: '{sms.url}', rate_per_second: 1000}}\n"
    )
    config = write_config(tmp_path / "config", free_port(), local_providers=False, extra=extra)
    receiver_yaml = config / "receiver.yaml"
    receiver_yaml.write_text(
        receiver_yaml.read_text().replace("twilio: {rate_per_second: 50}\n", "")
    )
    try:
        yield config
    finally:
        sms.stop()


def post_raw(port: int, path: str, headers: dict[str, str], *, chunked: bool) -> str:
    """POST 150 MB to ``path`` as an attacker would, pushing on whatever the server answers;
    the status code the server sent ('' if it sent none)."""
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    head += "Transfer-Encoding: chunked\r\n" if chunked else f"Content-Length: {ATTACK_BYTES}\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in headers.items()) + "\r\n"
    frame = b"%x\r\n%b\r\n" % (len(BLOCK), BLOCK) if chunked else BLOCK
    answer = b""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head.encode())
        with contextlib.suppress(OSError):  # the server may close (or reset) once it answered
            for _ in range(ATTACK_BYTES // len(BLOCK)):
                sock.sendall(frame)
            if chunked:
                sock.sendall(b"0\r\n\r\n")
        with contextlib.suppress(OSError):
            while b"\r\n" not in answer:
                data = sock.recv(65536)
                if not data:
                    break
                answer += data
    status_line = answer.partition(b"\r\n")[0].decode("latin-1")
    return status_line.split(" ")[1] if " " in status_line else status_line


def test_150_mb_posts_are_refused_before_they_are_read(tmp_path: Path) -> None:
    with sms_config(tmp_path) as config:
        port = free_port()
        proc = start_receiver(config, tmp_path / "state", port, tmp_path, "receiver")
        try:
            receiver = psutil.Process(proc.popen.pid)
            httpx.get(f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=10)  # warm up
            before = receiver.memory_info().rss
            statuses = {
                (path, chunked, token): post_raw(
                    port,
                    path,
                    {"Authorization": f"Bearer {TOKEN}"} if token else {},
                    chunked=chunked,
                )
                for path in (INBOUND_PATH, STATUS_PATH, WEBHOOK_PATH)
                for chunked in (False, True)
                for token in (False, True)
                # Without a token the webhook refuses at once and reads nothing (a 401).
                if not (path == WEBHOOK_PATH and chunked and not token)
            }
            grown = receiver.memory_info().rss - before
            alive = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
        finally:
            proc.stop()
    assert grown < RSS_GROWTH_BOUND, f"the receiver grew by {grown / 2**20:.0f} MB"
    assert set(statuses.values()) == {"413"}, statuses
    assert alive.status_code == 200


def test_150_mb_console_forms_are_refused_before_they_are_read(tmp_path: Path) -> None:
    # The login form takes anyone's post and Starlette reads a urlencoded form whole: the app's
    # default limit (receiver.py's max_body_size) bounds every route without one of its own.
    with sms_config(tmp_path) as config:
        port = free_port()
        proc = start_receiver(config, tmp_path / "state", port, tmp_path, "receiver")
        try:
            receiver = psutil.Process(proc.popen.pid)
            httpx.get(f"http://127.0.0.1:{port}/login", timeout=10)  # warm up
            before = receiver.memory_info().rss
            form = {"Content-Type": "application/x-www-form-urlencoded"}
            statuses = [
                post_raw(port, "/login", form, chunked=chunked) for chunked in (False, True)
            ]
            grown = receiver.memory_info().rss - before
        finally:
            proc.stop()
    assert grown < RSS_GROWTH_BOUND, f"the receiver grew by {grown / 2**20:.0f} MB"
    assert statuses == ["413", "413"]


def test_deep_json_and_a_huge_truncated_count_are_a_400_saying_why(tmp_path: Path) -> None:
    with (
        sms_config(tmp_path) as config,
        running_receiver(config, tmp_path / "state") as receiver,
    ):
        deep = httpx.post(
            receiver.url + WEBHOOK_PATH,
            content=b'{"alerts": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
            headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
            timeout=10,
        )
        huge = receiver.post(webhook([alert("CP-2")], truncatedAlerts=2**63))
    assert deep.status_code == 400
    assert "nested deeper than 200 levels" in deep.json()["detail"]
    assert huge.status_code == 400
    assert huge.json()["detail"] == [
        "truncatedAlerts: Input should be less than or equal to 2147483647"
    ]


async def test_readers_that_never_read_do_not_keep_a_scrape_out() -> None:
    # 32 MB a response: far beyond what the socket buffers of a stalled reader absorb.
    chunk = b"# padding " + b"x" * (256 * 1024) + b"\n"
    server = MetricsServer("127.0.0.1", 0, lambda: (chunk for _ in range(128)), send_timeout=1.5)
    await server.start()
    stalled: list[socket.socket] = []
    try:
        for _ in range(MAX_CONCURRENT_SCRAPES + 2):
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.setblocking(False)
            await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", server.port))
            await asyncio.get_running_loop().sock_sendall(
                sock, b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"
            )
            stalled.append(sock)
            # Until its buffers are full a response is rendering and holds its slot.
            await asyncio.sleep(0.3)
        started = time.monotonic()
        async with httpx.AsyncClient(timeout=10) as client:
            scrape = await client.get(f"http://127.0.0.1:{server.port}/metrics")
        assert scrape.status_code == 200, scrape.text
        assert len(scrape.content) == 128 * len(chunk)
        assert time.monotonic() - started < 1.5  # not after the stalled ones were dropped

        # The stalled responses are closed: what they got ends without the final chunk.
        await asyncio.sleep(2.5)
        for sock in stalled:
            received = await read_to_end(sock)
            assert received.startswith(b"HTTP/1.1 200 OK")
            assert not received.endswith(b"0\r\n\r\n")
            assert len(received) < 128 * len(chunk)
    finally:
        for sock in stalled:
            sock.close()
        await server.stop()


async def read_to_end(sock: socket.socket) -> bytes:
    loop, data = asyncio.get_running_loop(), b""
    async with asyncio.timeout(10):
        while True:
            try:
                block = await loop.sock_recv(sock, 1 << 20)
            except ConnectionResetError:
                return data
            if not block:
                return data
            data += block


def test_a_replayed_sms_reply_acknowledges_once(tmp_path: Path) -> None:
    with (
        sms_config(tmp_path) as config,
        running_receiver(config, tmp_path / "state") as receiver,
    ):
        receiver.post(webhook([alert("CP-1", fingerprint="fp-one")]))
        sms_sent_to_alice(receiver, 1)
        reply = {"From": "+33612345001", "To": "+15005550006", "Body": "OK", "MessageSid": "SM1"}
        first = signed_reply(receiver, reply)
        assert "Pris en charge : CP-1" in first.text

        # A later alert is texted to alice; the captured reply, replayed, must not take it.
        receiver.post(webhook([alert("CP-2", fingerprint="fp-two")]))
        sms_sent_to_alice(receiver, 2)
        replayed = signed_reply(receiver, reply)
        assert replayed.status_code == 200 and "<Message>" not in replayed.text
        assert acked(receiver) == ["CP-1"]

        # A new reply (a new MessageSid) still acknowledges.
        signed_reply(receiver, dict(reply, MessageSid="SM2"))
        assert acked(receiver) == ["CP-1", "CP-2"]

        unsigned_sid = signed_reply(receiver, dict(reply, MessageSid=""))
        assert unsigned_sid.status_code == 400


def signed_reply(receiver: ThreadedReceiver, form: dict[str, str]) -> httpx.Response:
    url = receiver.url + INBOUND_PATH
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(url, form)
    return httpx.post(url, data=form, headers={"X-Twilio-Signature": signature}, timeout=5)


def sms_sent_to_alice(receiver: ThreadedReceiver, count: int) -> None:
    def done() -> bool:
        rows: list[dict[str, str]] = receiver.get("/api/v1/notifications", state="sent", limit=100)
        return sum(r["channel"] == "sms" and r["address"] == "+33612345001" for r in rows) == count

    wait_until(done, 15, f"{count} SMS sent to alice")


def acked(receiver: ThreadedReceiver) -> list[str]:
    with receiver.built.service.pipeline.sessions() as session:
        rows = session.execute(
            select(Alert.charge_point_id).join(
                Acknowledgement, Acknowledgement.alert_id == Alert.id
            )
        )
        return sorted(row[0] for row in rows)

"""Issue 15 findings 3, 4 and 6 against the console, replayed on the served app over 127.0.0.1.

- padded or respelled user names got past the lock on the plain name;
- ``X-Forwarded-For`` was believed from loopback, so every guess could claim a new address;
- the login limiter kept every name ever tried (30,000 tries grew the receiver by 27 MB);
- a cookie still opened the console after its logout;
- the session cookie lacked ``Secure`` although the console's public URL is https.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psutil
from sqlalchemy import select

from chargekeeper.receiver import Receiver
from chargekeeper.store import User
from console.auth import LoginLimiter
from console.auth.ratelimit import MAX_ADDRESS_FAILURES, MAX_KEYS
from tests.alertmanager.receiver_support import ThreadedReceiver, wait_until
from tests.console.support import ADMIN, VIEWER, build, csrf_of, log_in

# receiver.yaml of the test config names the console https://console.example, while these
# clients speak plain http to 127.0.0.1: the opt-out keeps their cookies coming back.
PLAIN_HTTP = "secure_cookies: false\n"
BEHIND_PROXY = PLAIN_HTTP + "trusted_proxies: [127.0.0.0/8]\n"


@contextmanager
def served(built: Receiver) -> Iterator[httpx.Client]:
    """The app served as ``chargekeeper receiver`` serves it: uvicorn believes X-Forwarded-For
    only from console.yaml's ``trusted_proxies``. Yields a client of it that keeps cookies and
    follows no redirects."""
    console = built.console.context
    config = console.config  # as this test's console.yaml says, whatever the harness assumes
    receiver = ThreadedReceiver(built)
    console.config = config
    receiver.server.config.forwarded_allow_ips = config.forwarded_allow_ips()
    receiver.thread.start()
    try:
        wait_until(lambda: receiver.server.started, 10, "uvicorn did not start")
        with httpx.Client(base_url=receiver.url, timeout=10) as client:
            yield client
    finally:
        receiver.server.should_exit = True
        receiver.thread.join(10)
        built.close()


def attempt(
    client: httpx.Client, username: str, password: str, forwarded_for: str | None = None
) -> int:
    """One login through the form, as a fresh browser would post it; its status code."""
    client.cookies.clear()
    token = csrf_of(client.get("/login").text)
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf": token},
        headers=headers,
    )
    return response.status_code


def test_padded_and_respelled_names_hit_the_lock_of_the_plain_name(tmp_path: Path) -> None:
    # Behind a proxy: five failures for the plain name from one client lock that name there.
    with served(build(tmp_path, BEHIND_PROXY)) as client:
        for _ in range(5):
            assert attempt(client, VIEWER[0], "wrong-guess", "203.0.113.9") == 401
        full_width = "".join(chr(ord(ch) + 0xFEE0) for ch in VIEWER[0])
        for spelling in (f"{VIEWER[0]} ", f"\t{VIEWER[0]}", VIEWER[0].upper(), full_width):
            assert attempt(client, spelling, VIEWER[1], "203.0.113.9") == 429, repr(spelling)
        assert attempt(client, *ADMIN, "203.0.113.9") == 303  # the address itself is not locked


def test_guesses_from_elsewhere_never_lock_the_user_out(tmp_path: Path) -> None:
    # Five wrong passwords under the viewer's name from each of 30 addresses: the viewer,
    # logging in from their own address, is still let in (no lock on a name alone).
    with served(build(tmp_path, BEHIND_PROXY)) as client:
        for n in range(30):
            for _ in range(5):
                assert attempt(client, VIEWER[0], "wrong-guess", f"198.51.100.{n}") == 401
            assert attempt(client, VIEWER[0], "wrong-guess", f"198.51.100.{n}") == 429
        assert attempt(client, *VIEWER, "203.0.113.20") == 303


def test_forwarded_for_from_an_untrusted_peer_is_ignored(tmp_path: Path) -> None:
    # No trusted proxy: 127.0.0.1 is the client whatever the header says, so past the
    # address's budget (20) its failures are refused although each guess names a new user and
    # a new address.
    with served(build(tmp_path, PLAIN_HTTP)) as client:
        codes = [
            attempt(client, f"guess{n}", "wrong-guess", f"10.1.{n // 250}.{n % 250}")
            for n in range(105)
        ]
    assert codes[:MAX_ADDRESS_FAILURES] == [401] * MAX_ADDRESS_FAILURES
    assert set(codes[MAX_ADDRESS_FAILURES:]) == {429}


def test_forwarded_for_is_honoured_from_a_configured_proxy(tmp_path: Path) -> None:
    with served(build(tmp_path, BEHIND_PROXY)) as client:
        for n in range(MAX_ADDRESS_FAILURES):
            assert attempt(client, f"guess{n}", "wrong-guess", "203.0.113.7") == 401
        assert attempt(client, *ADMIN, "203.0.113.7") == 429  # that client is locked
        # A client cannot hide behind an address it writes in front: the proxy appends the
        # real one, and the rightmost address no trusted proxy owns is the client.
        assert attempt(client, *ADMIN, "192.0.2.1, 203.0.113.7") == 429
        assert attempt(client, *ADMIN, "203.0.113.8") == 303  # another client is not


def test_a_flood_of_new_names_stores_nothing_in_the_served_limiter(tmp_path: Path) -> None:
    # The original leak: asking whether a name is blocked stored it, so each refused try with
    # a new name kept one more entry for good. Refused tries now store nothing.
    built = build(tmp_path, PLAIN_HTTP)
    limiter = built.console.context.limiter
    with served(built) as client:
        token = csrf_of(client.get("/login").text)
        headers = {"Cookie": f"ck_login_csrf={token}"}
        form = {"password": "wrong-guess", "csrf": token}
        statuses = set()
        for n in range(2_000):
            form["username"] = f"{n:08d}" + "x" * 56  # the longest name the form takes
            client.cookies.clear()
            statuses.add(client.post("/login", data=form, headers=headers).status_code)
    assert statuses == {401, 429}
    # The address's budget of names failed (one key each), and the address itself.
    assert len(limiter) <= MAX_ADDRESS_FAILURES + 1, len(limiter)


def test_the_limiter_memory_is_bounded_whatever_fails(tmp_path: Path) -> None:
    # Failures from ever new addresses (a botnet, or a proxy's clients) do store keys: the
    # limiter holds at most MAX_KEYS of them. Unbounded, these 200,000 failures kept 400,000
    # keys, about 350 MB.
    limiter = LoginLimiter()
    process = psutil.Process()
    before = process.memory_info().rss
    started = time.monotonic()
    for n in range(200_000):
        limiter.failed(f"{n:08d}" + "x" * 56, f"10.{n >> 16}.{(n >> 8) & 255}.{n & 255}")
    elapsed = time.monotonic() - started
    grown = process.memory_info().rss - before
    assert len(limiter) == MAX_KEYS
    assert grown < 40 * 2**20, f"the limiter grew the process by {grown / 2**20:.1f} MB"
    assert elapsed < 60, f"200,000 failures took {elapsed:.0f} s"


def test_the_cookie_of_a_closed_session_is_refused(tmp_path: Path) -> None:
    with served(build(tmp_path, PLAIN_HTTP)) as client:
        csrf = log_in(client, ADMIN)
        old = client.cookies["ck_session"]
        assert client.post("/logout", data={"csrf": csrf}).status_code == 303
        client.cookies.clear()
        client.cookies.set("ck_session", old)  # kept by whoever copied it before the logout
        refused = client.get("/alerts")
        assert refused.status_code == 303 and refused.headers["location"].startswith("/login")
        assert client.post("/logout", data={"csrf": csrf}).status_code == 303  # to /login
        client.cookies.clear()
        log_in(client, ADMIN)  # a new login works, and is a new session
        assert client.cookies["ck_session"] != old
        assert client.get("/alerts").status_code == 200


def test_a_removed_users_open_sessions_end_with_them(tmp_path: Path) -> None:
    # Held before too (the user's row was gone); now the removal also closes their logins.
    built = build(tmp_path, PLAIN_HTTP)
    with built.service.pipeline.sessions() as session:
        viewer_id = session.scalars(select(User.id).where(User.username == VIEWER[0])).one()
    with served(built) as client:
        log_in(client, VIEWER)
        viewer_cookie = client.cookies["ck_session"]
        client.cookies.clear()
        csrf = log_in(client, ADMIN)
        assert client.post(f"/users/{viewer_id}/delete", data={"csrf": csrf}).status_code == 303
        client.cookies.clear()
        client.cookies.set("ck_session", viewer_cookie)
        assert client.get("/alerts").status_code == 303


def test_cookies_are_secure_when_the_console_url_is_https(tmp_path: Path) -> None:
    # The test config's console URL is https://console.example and console.yaml says nothing.
    with served(build(tmp_path)) as client:
        page = client.get("/login")
        assert "Secure" in page.headers["set-cookie"]
        response = client.post(
            "/login",
            data={"username": ADMIN[0], "password": ADMIN[1], "csrf": csrf_of(page.text)},
            headers={"Cookie": f"ck_login_csrf={csrf_of(page.text)}"},
        )
        assert response.status_code == 303, response.text
        session = next(c for c in response.headers.get_list("set-cookie") if "ck_session=" in c)
        assert "Secure" in session and "HttpOnly" in session

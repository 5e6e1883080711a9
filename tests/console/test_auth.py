"""Console authentication: hashing, the first admin, cookies, CSRF, throttling, roles."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from chargekeeper.receiver import Receiver
from chargekeeper.store import User, create_schema, make_engine, make_sessionmaker, sqlite_url
from console.auth import (
    ADMIN_ENV,
    LoginLimiter,
    Role,
    SessionSigner,
    authenticate,
    bootstrap_admin,
    create_user,
    load_or_create_secret,
)
from console.auth.users import UserError
from tests.alertmanager.receiver_support import alert, webhook
from tests.console.support import (
    ADMIN,
    TECH,
    VIEWER,
    alert_ids,
    build,
    csrf_of,
    log_in,
    post_webhook,
)

# The test config's console URL is https while these tests speak plain http to 127.0.0.1:
# say so, or the cookies are Secure and never come back (tests/security checks they are).
PLAIN_HTTP = "refresh_seconds: 1\nsecure_cookies: false\n"


@pytest.fixture
def built(tmp_path: Path) -> Receiver:
    return build(tmp_path, PLAIN_HTTP)


@pytest.fixture
def sessions(tmp_path: Path) -> sessionmaker[Session]:
    engine = make_engine(sqlite_url(tmp_path / "s.sqlite3"))
    create_schema(engine)
    return make_sessionmaker(engine)


def test_passwords_are_stored_as_argon2_hashes_and_verified(
    sessions: sessionmaker[Session],
) -> None:
    create_user(sessions, "bob", "bob-password-1", Role.TECHNICIAN)
    with sessions() as session:
        stored = session.scalars(select(User)).one()
    assert stored.password_hash.startswith("$argon2id$")
    assert "bob-password-1" not in stored.password_hash
    assert authenticate(sessions, "bob", "bob-password-1") is not None
    assert authenticate(sessions, "bob", "wrong-password") is None
    assert authenticate(sessions, "nobody", "bob-password-1") is None
    with pytest.raises(UserError, match="at least 10"):
        create_user(sessions, "carol", "short", Role.VIEWER)
    with pytest.raises(UserError, match="already exists"):
        create_user(sessions, "bob", "another-password", Role.VIEWER)


def test_first_admin_comes_from_the_environment_or_the_state_file_once(
    sessions: sessionmaker[Session],
    tmp_path: Path,
) -> None:
    assert bootstrap_admin(sessions, tmp_path, environ={}) is None  # nothing configured
    with pytest.raises(UserError, match=r"\$CHARGEKEEPER_CONSOLE_ADMIN: expected"):
        bootstrap_admin(sessions, tmp_path, environ={ADMIN_ENV: "no-colon"})
    (tmp_path / "console-admin").write_text("root:root-password-1\n")
    admin = bootstrap_admin(sessions, tmp_path, environ={})
    assert admin is not None and admin.username == "root" and admin.role == "admin"
    # Once a user exists, neither source is read again.
    assert bootstrap_admin(sessions, tmp_path, environ={ADMIN_ENV: "eve:eve-password-1"}) is None
    assert authenticate(sessions, "eve", "eve-password-1") is None


def test_session_cookie_refuses_tampering_and_age(tmp_path: Path) -> None:
    secret = load_or_create_secret(tmp_path)
    assert (tmp_path / "console-session-secret").stat().st_mode & 0o777 == 0o600
    assert load_or_create_secret(tmp_path) == secret  # kept across restarts
    signer = SessionSigner(secret, max_age_seconds=3600)
    data = SessionSigner.new(7)
    cookie = signer.dumps(data)
    assert signer.loads(cookie) == data
    assert signer.loads(cookie[:-2] + "xx") is None
    assert SessionSigner("another-secret-of-enough-length-123456", 3600).loads(cookie) is None
    assert SessionSigner(secret, max_age_seconds=-1).loads(cookie) is None


def test_limiter_counts_per_user_and_address_and_per_address_in_a_window() -> None:
    now = [0.0]
    limiter = LoginLimiter(max_failures=3, window_seconds=60, clock=lambda: now[0])
    for _ in range(3):
        limiter.failed("alice", "10.0.0.8")
    assert limiter.blocked("alice", "10.0.0.8")  # the user, from that address
    assert not limiter.blocked("alice", "10.0.0.9")  # not from elsewhere: no lock on a name
    assert not limiter.blocked("bob", "10.0.0.8")
    for user in ("u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8", "u9"):
        limiter.failed(user, "10.0.0.50")
    assert not limiter.blocked("someone-else", "10.0.0.50")  # 9 of the address's 12
    for user in ("u10", "u11", "u12"):
        limiter.failed(user, "10.0.0.50")
    assert limiter.blocked("someone-else", "10.0.0.50")  # the address, for any user
    now[0] = 61
    assert not limiter.blocked("alice", "10.0.0.8")
    assert not limiter.blocked("someone-else", "10.0.0.50")


def test_limiter_keys_names_canonically_and_stays_bounded() -> None:
    now = [0.0]
    limiter = LoginLimiter(max_failures=2, window_seconds=60, max_keys=4, clock=lambda: now[0])
    assert not limiter.blocked("nobody", "10.0.0.1") and len(limiter) == 0  # asking stores nothing
    limiter.failed("Alice ", "10.0.0.1")
    limiter.failed("\talice", "10.0.0.1")
    assert limiter.blocked("ALICE", "10.0.0.1")  # one user, however typed
    now[0] = 1
    limiter.failed("bob", "10.0.0.3")
    limiter.failed("carol", "10.0.0.4")  # six keys failed: the two whose last failure is oldest go
    assert len(limiter) == 4 and not limiter.blocked("alice", "10.0.0.1")
    now[0] = 120
    limiter.failed("dave", "10.0.0.5")
    assert len(limiter) == 2
    limiter.succeeded("Dave", "10.0.0.5")
    assert len(limiter) == 1  # the address stays counted


def test_a_cookie_without_a_login_id_is_refused(tmp_path: Path) -> None:
    # Cookies signed before logins were stored name no login: their users log in again.
    secret = load_or_create_secret(tmp_path)
    old = URLSafeTimedSerializer(secret, salt="chargekeeper-console-session")
    assert SessionSigner(secret, 3600).loads(old.dumps({"uid": 1, "csrf": "x"})) is None


def test_user_names_are_stored_and_found_in_canonical_form(
    sessions: sessionmaker[Session],
) -> None:
    assert create_user(sessions, " Bob\t", "bob-password-1", Role.VIEWER).username == "bob"
    assert authenticate(sessions, "BOB ", "bob-password-1") is not None
    with pytest.raises(UserError, match="already exists"):
        create_user(sessions, "bob", "another-password", Role.VIEWER)


def test_pages_need_a_login_and_return_there_after_it(client: httpx.Client) -> None:
    response = client.get("/alerts?severity=critical")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Falerts%3Fseverity%3Dcritical"
    page = client.get(response.headers["location"])
    assert 'name="next" value="/alerts?severity=critical"' in page.text
    response = client.post(
        "/login",
        data={
            "username": ADMIN[0],
            "password": ADMIN[1],
            "csrf": csrf_of(page.text),
            "next": "/alerts?severity=critical",
        },
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/alerts?severity=critical"
    cookie = response.headers["set-cookie"]
    assert "ck_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert client.get("/alerts").status_code == 200


def test_login_refuses_wrong_password_missing_csrf_and_foreign_next(client: httpx.Client) -> None:
    page = client.get("/login?next=https://evil.example/")
    token = csrf_of(page.text)
    assert 'value="/alerts"' in page.text  # the foreign target was dropped
    bad = client.post("/login", data={"username": ADMIN[0], "password": "nope", "csrf": token})
    assert bad.status_code == 401 and "Wrong username or password" in bad.text
    no_csrf = client.post(
        "/login", data={"username": ADMIN[0], "password": ADMIN[1], "csrf": "forged"}
    )
    assert no_csrf.status_code == 403
    ok = client.post(
        "/login",
        data={
            "username": ADMIN[0],
            "password": ADMIN[1],
            "csrf": csrf_of(client.get("/login").text),
            "next": "//evil.example/",
        },
    )
    assert ok.status_code == 303 and ok.headers["location"] == "/alerts"


def test_login_is_throttled_after_five_failures_even_with_the_right_password(
    client: httpx.Client,
) -> None:
    for _ in range(5):
        token = csrf_of(client.get("/login").text)
        response = client.post("/login", data={"username": TECH[0], "password": "x", "csrf": token})
        assert response.status_code == 401
    token = csrf_of(client.get("/login").text)
    response = client.post("/login", data={"username": TECH[0], "password": TECH[1], "csrf": token})
    assert response.status_code == 429 and "Too many failed attempts" in response.text


def test_forms_need_the_session_csrf_token_and_viewers_cannot_ack(client: httpx.Client) -> None:
    post_webhook(client, webhook([alert("CP-2")]))
    (alert_id,) = alert_ids(client)
    csrf = log_in(client, VIEWER)
    response = client.post(f"/alerts/{alert_id}/ack", data={"csrf": csrf})
    assert response.status_code == 403 and "cannot acknowledge" in response.text
    assert 'action="/alerts/' not in client.get("/alerts").text  # no ack button for a viewer
    client.cookies.clear()
    csrf = log_in(client, TECH)
    assert client.post(f"/alerts/{alert_id}/ack", data={"csrf": "wrong"}).status_code == 403
    assert client.post(f"/alerts/{alert_id}/ack", data={}).status_code == 422
    assert client.post(f"/alerts/{alert_id}/ack", data={"csrf": csrf}).status_code == 303


def test_a_forged_session_cookie_is_a_login_redirect(client: httpx.Client) -> None:
    log_in(client, ADMIN)
    client.cookies.set("ck_session", client.cookies["ck_session"][:-3] + "abc")
    assert client.get("/alerts").status_code == 303


def test_an_admin_adds_and_removes_users_others_cannot(
    client: httpx.Client, built: Receiver
) -> None:
    log_in(client, TECH)
    assert client.get("/users").status_code == 403
    assert 'href="/users"' not in client.get("/alerts").text
    client.cookies.clear()
    csrf = log_in(client, ADMIN)
    bob = {"csrf": csrf, "username": "bob", "password": "bob-password-1", "role": "viewer"}
    assert client.post("/users", data=bob).status_code == 303
    assert 'data-username="bob"' in client.get("/users").text
    refused = client.post("/users", data=bob | {"username": "eve", "password": "short"})
    assert refused.status_code == 422 and "at least 10 characters" in refused.text
    assert client.post("/users", data=bob | {"csrf": "forged"}).status_code == 403
    with built.service.pipeline.sessions() as session:
        bob_id = session.scalars(select(User.id).where(User.username == "bob")).one()
        admin_id = session.scalars(select(User.id).where(User.username == ADMIN[0])).one()
    assert client.post(f"/users/{admin_id}/delete", data={"csrf": csrf}).status_code == 409
    assert client.post(f"/users/{bob_id}/delete", data={"csrf": csrf}).status_code == 303
    assert 'data-username="bob"' not in client.get("/users").text
    client.cookies.clear()
    token = csrf_of(client.get("/login").text)
    gone = client.post(
        "/login", data={"username": "bob", "password": "bob-password-1", "csrf": token}
    )
    assert gone.status_code == 401


def test_a_removed_users_cookie_never_opens_a_later_users_session(
    client: httpx.Client, built: Receiver
) -> None:
    sessions = built.service.pipeline.sessions
    create_user(sessions, "temp", "temp-password-1", Role.ADMIN)
    log_in(client, ("temp", "temp-password-1"))
    with sessions.begin() as session:
        session.delete(session.scalars(select(User).where(User.username == "temp")).one())
    create_user(sessions, "newcomer", "newcomer-password-1", Role.ADMIN)
    assert client.get("/alerts").status_code == 303  # to the login page, not newcomer's

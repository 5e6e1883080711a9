"""A real PostgreSQL server for the store's tests, started once per test session.

``initdb`` makes a throw-away cluster in a temporary directory and ``postgres`` serves it on
127.0.0.1 (a port chosen at run time) and on a Unix socket in that directory. Each test gets the
test database emptied (its schema dropped), so tests never see each other's rows.

PostgreSQL refuses to run as root. When the tests run as root (containers, some CI runners)
the server runs as the unprivileged ``postgres`` account Debian's package creates (or
``nobody``), through ``runuser``; its directory lives outside pytest's root-only tmp dir so that
account can reach it.

``tests/conftest.py`` registers this module as a plugin: any test may ask for
:func:`store_url` or :func:`store_engine` (each test runs once on SQLite, once on PostgreSQL)
or for :func:`postgres_server` itself.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine

from chargekeeper.net import free_port
from chargekeeper.store import make_engine, sqlite_url
from tests.support.procs import INSTALL_HINT, ServerProcess

SUPERUSER = "chargekeeper"
TEST_DATABASE = "store_test"
# Accounts that may own the cluster when the tests run as root, in order of preference.
UNPRIVILEGED_ACCOUNTS = ("postgres", "nobody")


def postgres_bin_dir() -> Path:
    """The directory of Debian's newest ``initdb``/``postgres``, or of the ones on PATH."""
    debian = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/postgres"),
        key=lambda path: int(path.parent.parent.name) if path.parent.parent.name.isdigit() else 0,
    )
    if debian:
        return debian[-1].parent
    on_path = shutil.which("postgres")
    if on_path is None:
        pytest.fail(f"PostgreSQL (initdb, postgres) is not installed: {INSTALL_HINT}")
    return Path(on_path).parent


def _unprivileged_account() -> pwd.struct_passwd | None:
    """The account to run PostgreSQL as: None means the current one (not root)."""
    if os.geteuid() != 0:
        return None
    for name in UNPRIVILEGED_ACCOUNTS:
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    pytest.fail(f"running as root and none of the accounts {UNPRIVILEGED_ACCOUNTS} exists")


class PostgresServer:
    """One running cluster; :meth:`empty_database` hands out an empty database."""

    def __init__(self, bin_dir: Path, base: Path, log_dir: Path) -> None:
        self.base = base
        self.port = free_port()
        self._created = False
        account = _unprivileged_account()
        self._as_user: list[str] = []
        if account is not None:
            self._as_user = ["runuser", "-u", account.pw_name, "--"]
            os.chown(base, account.pw_uid, account.pw_gid)
        data = base / "data"
        self._run(
            str(bin_dir / "initdb"),
            "--pgdata",
            str(data),
            "--username",
            SUPERUSER,
            "--auth",
            "trust",
            "--encoding",
            "UTF8",
            "--locale",
            "C",
            "--no-sync",  # a throw-away cluster: durability costs time for nothing
        )
        # fsync and friends off for speed; the tests exercise SQL behaviour, not crash safety.
        self.process = ServerProcess(
            "postgres",
            [
                *self._as_user,
                str(bin_dir / "postgres"),
                "-D",
                str(data),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-k",
                str(base),
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
                "-c",
                "max_connections=200",
                # Not UTC, as many production servers: time-zone slips in the store show.
                "-c",
                "timezone=Europe/Paris",
            ],
            log_dir,
        )
        self._wait_ready()

    def _run(self, *argv: str) -> None:
        result = subprocess.run(
            [*self._as_user, *argv], capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            pytest.fail(f"{argv[0]} failed ({result.returncode}):\n{result.stdout}{result.stderr}")

    def url(self, database: str = "postgres") -> str:
        """The SQLAlchemy URL of ``database`` (psycopg 3 over TCP)."""
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def _connect(self, database: str = "postgres") -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(
            host="127.0.0.1",
            port=self.port,
            user=SUPERUSER,
            dbname=database,
            autocommit=True,
            connect_timeout=2,
        )

    def _wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while self.process.popen.poll() is None:
            try:
                with self._connect():
                    return
            except psycopg.OperationalError as exc:
                if time.monotonic() > deadline:
                    log = self.process.log_tail()
                    self.stop()
                    pytest.fail(f"postgres not ready after {timeout}s ({exc}):\n{log}")
                time.sleep(0.05)
        log = self.process.log_tail()
        self.stop()
        pytest.fail(f"postgres exited at start:\n{log}")

    def empty_database(self) -> str:
        """The name of a database with nothing in it, emptied for the caller.

        One database emptied per test rather than one created per test: CREATE DATABASE
        copies a template (about 0.4 s on a busy machine), dropping the schema takes 20 ms.
        """
        with self._connect() as connection:
            if not self._created:
                connection.execute(f'CREATE DATABASE "{TEST_DATABASE}"')
                self._created = True
            # Sessions a previous test left open would hold locks on what is dropped next.
            connection.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid()",
                (TEST_DATABASE,),
            )
        with self._connect(TEST_DATABASE) as connection:
            connection.execute("DROP SCHEMA public CASCADE")
            connection.execute("CREATE SCHEMA public")
        return TEST_DATABASE

    def stop(self) -> None:
        """Fast shutdown (clients disconnected), then the cluster's files go."""
        self.process.stop(signal.SIGINT)
        shutil.rmtree(self.base, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    """The session's PostgreSQL server, started on first use and stopped at the end."""
    # Not pytest's tmp dir for the cluster: that one is private to root, who cannot lend it.
    base = Path(tempfile.mkdtemp(prefix="ck-postgres-"))
    server = PostgresServer(postgres_bin_dir(), base, tmp_path_factory.mktemp("postgres"))
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty store database: a SQLite file, then a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return sqlite_url(tmp_path / "store.sqlite3")
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.url(server.empty_database())


@pytest.fixture
def store_engine(store_url: str) -> Iterator[Engine]:
    """An engine on :func:`store_url`, disposed afterwards (its connections closed)."""
    engine = make_engine(store_url)
    yield engine
    engine.dispose()

"""Fixtures of the receiver's tests: replicas sharing one PostgreSQL store."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from chargekeeper.store import create_schema, make_engine, make_sessionmaker
from tests.support.postgres import PostgresServer

# A replica waiting on the other's lock fails after 5 s instead of hanging the test.
LOCK_TIMEOUT = "?options=-c%20lock_timeout%3D5s"


@pytest.fixture
def replicas(postgres_server: PostgresServer) -> Iterator[list[sessionmaker[Session]]]:
    """Two replicas' sessions: one engine each on the same migrated PostgreSQL database."""
    url = postgres_server.url(postgres_server.empty_database()) + LOCK_TIMEOUT
    engines: list[Engine] = [make_engine(url), make_engine(url)]
    create_schema(engines[0])
    yield [make_sessionmaker(engine) for engine in engines]
    for engine in engines:
        engine.dispose()

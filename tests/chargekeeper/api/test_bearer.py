"""The API's one bearer check: which token each endpoint set lets in, on a real store.

The HTTP contracts are tested where the endpoints are (tests/alertmanager/test_receiver.py,
tests/console/test_api.py); these pin the decision table itself.
"""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from chargekeeper.api import Accept, BearerAuth
from chargekeeper.store import create_schema, make_sessionmaker
from console.auth import Role, create_user, issue_api_token

WEBHOOK_TOKEN = "alertmanager-secret-token"


@pytest.fixture
def sessions(store_engine: Engine) -> sessionmaker[Session]:
    """A migrated store: SQLite, then a real PostgreSQL server."""
    create_schema(store_engine)
    return make_sessionmaker(store_engine)


@pytest.fixture
def api_token(sessions: sessionmaker[Session]) -> str:
    create_user(sessions, "vera", "vera-password-1", Role.VIEWER)
    return issue_api_token(sessions, "vera", "script")


def who(auth: BearerAuth, token: str | None, accept: Accept) -> str | None:
    caller = auth.identify(token, accept)
    if caller is None:
        return None
    return caller.user.username if caller.user else "alertmanager"


def test_each_set_lets_in_its_own_tokens(sessions: sessionmaker[Session], api_token: str) -> None:
    auth = BearerAuth(sessions, WEBHOOK_TOKEN)
    table = {
        accept: (who(auth, WEBHOOK_TOKEN, accept), who(auth, api_token, accept))
        for accept in Accept
    }
    assert table == {
        Accept.WEBHOOK: ("alertmanager", None),
        Accept.READ: ("alertmanager", "vera"),
        Accept.USER: (None, "vera"),
    }


@pytest.mark.parametrize("accept", list(Accept))
@pytest.mark.parametrize(
    "token", [None, "", "   ", "nope", WEBHOOK_TOKEN + "x", "ck_" + "x" * 43], ids=repr
)
def test_anything_else_is_refused(
    sessions: sessionmaker[Session], api_token: str, accept: Accept, token: str | None
) -> None:
    assert who(BearerAuth(sessions, WEBHOOK_TOKEN), token, accept) is None


def test_surrounding_whitespace_is_not_part_of_the_token(
    sessions: sessionmaker[Session], api_token: str
) -> None:
    auth = BearerAuth(sessions, WEBHOOK_TOKEN)
    assert who(auth, f" {WEBHOOK_TOKEN} ", Accept.WEBHOOK) == "alertmanager"
    assert who(auth, f"{api_token} ", Accept.USER) == "vera"


def test_without_a_webhook_token_the_webhook_is_open_and_reads_need_an_api_token(
    sessions: sessionmaker[Session], api_token: str
) -> None:
    # Tests and the demo only: the receiver warns at start when no token_file is set.
    auth = BearerAuth(sessions, None)
    assert who(auth, None, Accept.WEBHOOK) == "alertmanager"
    assert who(auth, "anything", Accept.WEBHOOK) == "alertmanager"
    assert who(auth, None, Accept.READ) is None
    assert who(auth, "", Accept.READ) is None
    assert who(auth, api_token, Accept.READ) == "vera"

"""The one bearer check of the JSON API under ``/api/v1``.

Two kinds of token exist. Alertmanager's webhook token (receiver.yaml ``token_file``) is
compared in constant time. Console API tokens (``ck_...``, issued per user in the console) are
stored as digests and looked up by digest (``chargekeeper.store.accounts``). Each endpoint
accepts one set of them, and its OpenAPI security scheme names that set:

- :attr:`Accept.WEBHOOK` (scheme ``WebhookToken``): the webhook token; with none configured,
  anyone (tests and the demo only: the receiver warns at start);
- :attr:`Accept.READ` (``ReadToken``): an API token of any role, or the webhook token; the
  alert list and the delivery log, which show addresses and message bodies;
- :attr:`Accept.USER` (``HTTPBearer``): an API token; the handler checks the user's role.
"""

# No ``from __future__ import annotations``: FastAPI reads the dependencies' annotations at run
# time, and they close over the scheme of each set.

import enum
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker

from chargekeeper.store import User
from chargekeeper.store.tokens import user_for_token


class Accept(enum.Enum):
    """Which tokens an endpoint accepts."""

    WEBHOOK = "webhook"
    READ = "read"
    USER = "user"


# Each parses the header only (auto_error=False): the check below decides, and the webhook
# answers a refusal itself, in its own Problem shape.
_SCHEMES = {
    Accept.WEBHOOK: HTTPBearer(
        auto_error=False,
        scheme_name="WebhookToken",
        description="The bearer token Alertmanager sends (receiver.yaml token_file).",
    ),
    Accept.READ: HTTPBearer(
        auto_error=False,
        scheme_name="ReadToken",
        description="A console API token (ck_..., any role) or the webhook's bearer token.",
    ),
    Accept.USER: HTTPBearer(auto_error=False, description="A console API token (ck_...)"),
}
REFUSED = {
    Accept.WEBHOOK: "missing or wrong bearer token",
    Accept.READ: "missing or unknown token: send 'Authorization: Bearer ck_...' "
    "(a console API token)",
    Accept.USER: "missing or unknown API token: send 'Authorization: Bearer ck_...'",
}


@dataclass(frozen=True)
class Caller:
    """Who a request comes from: a console user by their API token, or (``user`` None)
    Alertmanager by the webhook token."""

    user: User | None = None


class BearerAuth:
    """Checks ``Authorization: Bearer`` against the webhook token and the console API tokens."""

    def __init__(self, sessions: sessionmaker[Session], webhook_token: str | None) -> None:
        self._sessions = sessions
        self._webhook_token = webhook_token

    def identify(self, token: str | None, accept: Accept) -> Caller | None:
        """The caller ``token`` makes, if ``accept`` lets it in; None otherwise."""
        token = (token or "").strip()
        if accept is Accept.WEBHOOK and self._webhook_token is None:
            return Caller()  # no webhook token configured: the receiver warned at start
        if accept is not Accept.USER and self._is_webhook_token(token):
            return Caller()
        if accept is Accept.WEBHOOK or not token:
            return None
        user = user_for_token(self._sessions, token)
        return Caller(user) if user is not None else None

    def _is_webhook_token(self, token: str) -> bool:
        expected = self._webhook_token
        if expected is None:
            return False
        return hmac.compare_digest(token.encode(), expected.encode())

    def optional(self, accept: Accept) -> Callable[..., Caller | None]:
        """A dependency: the caller, or None for the endpoint to refuse in its own words."""
        scheme = _SCHEMES[accept]

        def caller(
            credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(scheme)],
        ) -> Caller | None:
            return self.identify(credentials.credentials if credentials else None, accept)

        return caller

    def required(self, accept: Accept) -> Callable[..., Caller]:
        """A dependency: the caller, or a 401 with ``WWW-Authenticate: Bearer``."""
        optional = self.optional(accept)

        def caller(found: Annotated[Caller | None, Depends(optional)]) -> Caller:
            if found is None:
                raise _refused(accept)
            return found

        return caller

    def user(self) -> Callable[..., User]:
        """A dependency: the console user owning the request's API token, or a 401."""
        optional = self.optional(Accept.USER)

        def api_user(found: Annotated[Caller | None, Depends(optional)]) -> User:
            if found is None or found.user is None:
                raise _refused(Accept.USER)
            return found.user

        return api_user


def _refused(accept: Accept) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, REFUSED[accept], headers={"WWW-Authenticate": "Bearer"}
    )

"""Console authentication: users and roles, session cookies, CSRF, login throttling, API tokens."""

from console.auth.cookies import SessionData, SessionSigner, load_or_create_secret
from console.auth.logins import close_login, close_logins_of, login_user, open_login
from console.auth.names import username_key
from console.auth.ratelimit import LoginLimiter
from console.auth.tokens import issue_api_token, revoke_api_token, tokens_of
from console.auth.users import (
    ADMIN_ENV,
    ADMIN_FILE,
    Role,
    authenticate,
    bootstrap_admin,
    create_user,
)

__all__ = [
    "ADMIN_ENV",
    "ADMIN_FILE",
    "LoginLimiter",
    "Role",
    "SessionData",
    "SessionSigner",
    "authenticate",
    "bootstrap_admin",
    "close_login",
    "close_logins_of",
    "create_user",
    "issue_api_token",
    "load_or_create_secret",
    "login_user",
    "open_login",
    "revoke_api_token",
    "tokens_of",
    "username_key",
]

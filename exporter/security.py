"""OCPP security profiles: who may open a websocket, decided before the upgrade.

The profiles follow the OCPP 1.6 security whitepaper and OCPP 2.0.1 part 2, section A:

- profile 0: no authentication (trusted networks only; refused at start when the fleet file
  sets passwords, see :func:`check_profile_against_fleet`);
- profile 1: HTTP Basic auth, username = charge point id, over plain ws;
- profile 2: TLS 1.2+ (server certificate) with HTTP Basic auth;
- profile 3: mutual TLS; the client certificate is verified against the configured CA and its
  subject CN must equal the charge point id.

Passwords are verified against the fleet file's argon2 ``password_hash`` with argon2-cffi,
whose verification is constant-time by construction. Argon2 is deliberately slow, so it runs in
a small thread pool (the OCPP event loop never waits on it) behind a bound on queued
verifications. A successful verification is remembered as a keyed hash (see
:class:`~exporter.passwords.VerifiedPasswordCache`) so that a fleet reconnecting after a network
outage does not pay argon2 again for every charger. Failed logins are rate limited per
(charger id, remote address) pair and per remote address
(:class:`~exporter.passwords.FailedLoginLimiter`), never per charger id alone: that would let
anyone who knows an id lock the real charger out with a few wrong guesses. The remote address
is the TCP peer's; no forwarded-for header is read. How passwords are hashed, read from the
request, remembered and rate limited is exporter.passwords'.
"""

from __future__ import annotations

import asyncio
import ipaddress
import ssl
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import IntEnum
from http import HTTPStatus
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from chargekeeper.config.fleet import Fleet, UnknownChargers
from exporter.passwords import (
    FailedLoginLimiter,
    VerifiedPasswordCache,
    basic_credentials,
    dummy_hash,
)

BASIC_REALM = 'Basic realm="OCPP", charset="UTF-8"'


class SecurityProfile(IntEnum):
    NONE = 0
    BASIC = 1
    TLS_BASIC = 2
    MUTUAL_TLS = 3

    @property
    def uses_basic_auth(self) -> bool:
        return self in (SecurityProfile.BASIC, SecurityProfile.TLS_BASIC)

    @property
    def uses_tls(self) -> bool:
        return self in (SecurityProfile.TLS_BASIC, SecurityProfile.MUTUAL_TLS)


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a connection attempt is refused, as an HTTP answer sent instead of the upgrade."""

    status: HTTPStatus
    message: str  # response body: what is wrong and how to fix it (the charger may log it)
    reason: str  # bounded label value for connections_refused_total
    headers: tuple[tuple[str, str], ...] = ()


class SecurityConfigError(Exception):
    """The security settings cannot work with this fleet file or these certificate files."""


def check_profile_against_fleet(profile: SecurityProfile, fleet: Fleet | None) -> None:
    """Refuse combinations where a configured secret would be ignored or none could be checked."""
    with_password = [c.id for c in fleet.chargers if c.password_hash] if fleet else []
    if profile is SecurityProfile.NONE and with_password:
        raise SecurityConfigError(
            f"the fleet file sets password_hash for {len(with_password)} charger(s) "
            f"(first: {with_password[0]!r}) but security profile 0 would accept them without a "
            "password: use --security-profile 1 (or 2 with TLS)"
        )
    if profile.uses_basic_auth:
        if fleet is None:
            raise SecurityConfigError(
                f"security profile {int(profile)} checks each charger's password_hash from the "
                "fleet file: give --fleet FILE"
            )
        if fleet.unknown_chargers is UnknownChargers.ACCEPT:
            raise SecurityConfigError(
                f"security profile {int(profile)} cannot authenticate chargers absent from the "
                "fleet file, but it says unknown_chargers: accept; set it to refuse"
            )
        if not with_password:
            raise SecurityConfigError(
                f"security profile {int(profile)} needs password_hash on the chargers in the "
                "fleet file (make one with `chargekeeper exporter hash-password`)"
            )


def server_ssl_context(
    profile: SecurityProfile, cert: Path, key: Path, ca: Path | None
) -> ssl.SSLContext:
    """A TLS 1.2+ server context; with profile 3 it requires a client certificate from ``ca``."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(cert, key)
    except FileNotFoundError as exc:
        raise SecurityConfigError(f"--tls-cert/--tls-key: file not found: {exc.filename}") from None
    except (ssl.SSLError, OSError) as exc:
        raise SecurityConfigError(
            f"--tls-cert {cert} / --tls-key {key}: cannot load the certificate chain and key "
            f"({exc}); give a PEM certificate (with its chain) and its matching PEM private key"
        ) from None
    if profile is SecurityProfile.MUTUAL_TLS:
        assert ca is not None  # settings validation guarantees it
        try:
            context.load_verify_locations(cafile=ca)
        except FileNotFoundError:
            raise SecurityConfigError(f"--tls-ca: file not found: {ca}") from None
        except (ssl.SSLError, OSError) as exc:
            raise SecurityConfigError(
                f"--tls-ca {ca}: cannot load CA certificates ({exc}); give a PEM file with the "
                "CA that signs the chargers' certificates"
            ) from None
        context.verify_mode = ssl.CERT_REQUIRED
    return context


@dataclass(frozen=True, slots=True)
class AuthRequest:
    """What the authenticator needs from a websocket opening handshake."""

    charge_point_id: str
    remote_address: str
    authorization: str | None  # the Authorization header, if any
    peer_certificate_cn: str | None  # subject CN of a verified client certificate (profile 3)


def certificate_common_name(peercert: Mapping[str, object] | None) -> str | None:
    """The subject CN of a certificate as returned by ``SSLSocket.getpeercert()``."""
    if not peercert:
        return None
    subject = peercert.get("subject", ())
    if not isinstance(subject, tuple):
        return None
    for rdn in subject:
        for attribute in rdn:
            if len(attribute) == 2 and attribute[0] == "commonName":
                return str(attribute[1])
    return None


class Authenticator:
    """Decides, for one opening handshake, whether the charger proved its identity."""

    def __init__(
        self,
        profile: SecurityProfile,
        fleet: Fleet | None,
        *,
        by_pair: FailedLoginLimiter | None = None,
        by_address: FailedLoginLimiter | None = None,
        verify_threads: int = 2,
        max_queue_wait: float = 5.0,
    ) -> None:
        self.profile = profile
        chargers = fleet.chargers if fleet is not None else []
        self._hashes = {c.id: c.password_hash for c in chargers if c.password_hash}
        # Five wrong passwords a minute per charger id and address is more than a
        # misconfigured charger needs to show its problem in the log; each further block
        # doubles (1 min up to 15 min). A guesser elsewhere only blocks its own pairs, so the
        # charger at its own address keeps logging in. A remote address may be a NAT or
        # cellular gateway in front of many chargers, so it gets a larger allowance.
        self.by_pair = by_pair if by_pair is not None else FailedLoginLimiter(limit=5)
        self.by_address = by_address if by_address is not None else FailedLoginLimiter(limit=50)
        self.cache = VerifiedPasswordCache()
        # Verification uses the parameters stored in each hash, not the hasher's defaults.
        self._hasher = PasswordHasher()
        # Argon2 releases the GIL, so these threads run beside the event loop.
        self._executor = ThreadPoolExecutor(verify_threads, thread_name_prefix="argon2")
        self._pending = 0
        # A login whose verification would only start after max_queue_wait seconds is answered
        # 503 + Retry-After at once: queued longer, it could outlive the opening-handshake
        # timeout and cost its argon2 for nothing, and the charger's retry would queue again
        # behind it. The wait is estimated from a moving average of argon2's own time, which
        # the event loop's load does not distort.
        self._threads = verify_threads
        self._max_queue_wait = max_queue_wait
        self._verify_seconds = 0.005
        self.argon2_verifications = 0  # how many passwords reached argon2 (not the cache)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def authenticate(self, request: AuthRequest) -> Refusal | None:
        """None when the charger may connect, else the refusal to answer with."""
        if self.profile is SecurityProfile.NONE:
            return None
        if self.profile is SecurityProfile.MUTUAL_TLS:
            return self._check_certificate(request)
        blocked = self._blocked(request)
        if blocked is not None:
            return blocked
        if request.authorization is None:
            # A charger's first attempt often comes without credentials; not a failed login.
            return _unauthorized(
                "basic_auth_missing",
                "HTTP Basic authentication required: username = the charge point id",
            )
        password = basic_credentials(request.authorization, request.charge_point_id)
        matches = (
            await self._password_matches(request.charge_point_id, password)
            if password is not None
            else False  # not Basic, undecodable, or another charger's username
        )
        if matches is None:
            # Come back when about the current queue has been verified, but within 10 s: a
            # refused attempt costs far less than one argon2 verification, so sending chargers
            # away for longer would only leave the threads idle later.
            seconds = str(min(10, max(1, round(self._expected_wait()))))
            return Refusal(
                HTTPStatus.SERVICE_UNAVAILABLE,
                f"too many logins being verified: retry in {seconds} s\n",
                "overloaded",
                (("Retry-After", seconds),),
            )
        pair, address = _limiter_keys(request)
        if matches:
            self.by_pair.succeeded(pair)
            return None
        self.by_pair.failed(pair)
        self.by_address.failed(address)
        return _unauthorized("basic_auth_failed", "wrong charge point id or password")

    # -- the failed-login limiter, also fed by proxy mode with the CSMS's 401/403 answers ---

    def blocked(self, charge_point_id: str, remote_address: str) -> Refusal | None:
        """The 429 to answer while this (id, address) or address is blocked, else None."""
        return self._blocked(AuthRequest(charge_point_id, remote_address, None, None))

    def login_failed(self, charge_point_id: str, remote_address: str) -> None:
        """Count a refused login (here or by the CSMS) against the pair and the address."""
        pair, address = _limiter_keys(AuthRequest(charge_point_id, remote_address, None, None))
        self.by_pair.failed(pair)
        self.by_address.failed(address)

    def login_succeeded(self, charge_point_id: str, remote_address: str) -> None:
        """Forget the pair's failures, as a successful local login does."""
        pair, _ = _limiter_keys(AuthRequest(charge_point_id, remote_address, None, None))
        self.by_pair.succeeded(pair)

    def _blocked(self, request: AuthRequest) -> Refusal | None:
        pair, address = _limiter_keys(request)
        wait = max(self.by_pair.retry_after(pair), self.by_address.retry_after(address))
        if wait <= 0:
            return None
        seconds = str(int(wait) + 1)
        return Refusal(
            HTTPStatus.TOO_MANY_REQUESTS,
            f"too many failed logins: retry in {seconds} s\n",
            "rate_limited",
            (("Retry-After", seconds),),
        )

    async def _password_matches(self, charge_point_id: str, password: bytes) -> bool | None:
        """Whether the password is right; None when too many verifications are queued."""
        password_hash = self._hashes.get(charge_point_id)
        if password_hash is None:
            # Unknown charger or no hash configured: the same answer as a wrong password, so
            # that the response does not reveal which ids exist; hashed once all the same, so
            # that the timing does not reveal it either.
            verified = await self._verify(dummy_hash(), password)
            return None if verified is None else False
        if self.cache.contains(charge_point_id, password, password_hash):
            return True
        verified = await self._verify(password_hash, password)
        if verified:
            self.cache.add(charge_point_id, password, password_hash)
        return verified

    def _expected_wait(self) -> float:
        return self._pending * self._verify_seconds / self._threads

    async def _verify(self, password_hash: str, password: bytes) -> bool | None:
        """Whether ``password`` matches; None when the queue is too long to wait in."""
        if self._expected_wait() > self._max_queue_wait:
            return None
        self._pending += 1
        self.argon2_verifications += 1
        try:
            loop = asyncio.get_running_loop()
            verified, seconds = await loop.run_in_executor(
                self._executor, self._verify_sync, password_hash, password
            )
        finally:
            self._pending -= 1
        self._verify_seconds = 0.9 * self._verify_seconds + 0.1 * seconds
        return verified

    def _verify_sync(self, password_hash: str, password: bytes) -> tuple[bool, float]:
        started = time.perf_counter()
        verified: bool
        try:
            verified = self._hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            verified = False
        return verified, time.perf_counter() - started

    def _check_certificate(self, request: AuthRequest) -> Refusal | None:
        # The TLS layer already refused handshakes without a certificate signed by the CA.
        if request.peer_certificate_cn is None:
            return Refusal(
                HTTPStatus.FORBIDDEN,
                "a client certificate is required (security profile 3)\n",
                "client_certificate_missing",
            )
        if request.peer_certificate_cn != request.charge_point_id:
            return Refusal(
                HTTPStatus.FORBIDDEN,
                f"the client certificate's CN {request.peer_certificate_cn!r} is not the charge "
                f"point id {request.charge_point_id!r}\n",
                "client_certificate_mismatch",
            )
        return None


def address_key(remote_address: str) -> str:
    """The part of a remote address that identifies one client for rate limiting.

    An IPv6 client usually holds a whole /64 and could otherwise change address on every
    guess; an IPv4-mapped IPv6 address is its IPv4 address.
    """
    try:
        address = ipaddress.ip_address(remote_address)
    except ValueError:
        return remote_address  # "unknown" or a unix socket: one bucket
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def _limiter_keys(request: AuthRequest) -> tuple[str, str]:
    """The (charger id, address) pair's key and the address's key of a login attempt."""
    address = address_key(request.remote_address)
    # NUL cannot occur in a charge point id, so pairs cannot collide.
    return f"{request.charge_point_id}\0{address}", address


def _unauthorized(reason: str, message: str) -> Refusal:
    return Refusal(
        HTTPStatus.UNAUTHORIZED, message + "\n", reason, (("WWW-Authenticate", BASIC_REALM),)
    )

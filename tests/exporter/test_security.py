"""OCPP security profiles 1-3 over real websockets and real TLS, and their building blocks."""

from __future__ import annotations

import asyncio
import base64
import ssl

import pytest
import trustme
from argon2 import PasswordHasher
from websockets.exceptions import InvalidMessage, InvalidStatus

from exporter.passwords import (
    FailedLoginLimiter,
    VerifiedPasswordCache,
    basic_credentials,
    hash_password,
)
from exporter.security import (
    Authenticator,
    AuthRequest,
    SecurityConfigError,
    SecurityProfile,
    check_profile_against_fleet,
)
from tests.exporter.conftest import (
    OTHER_PASSWORD,
    PASSWORD,
    TlsMaterial,
    charger,
    heartbeat_frame,
    make_fleet,
    receive_text,
    running_exporter,
)

BASIC = SecurityProfile.BASIC


def basic(username: str, password: str | bytes) -> dict[str, str]:
    raw = password if isinstance(password, bytes) else password.encode()
    token = base64.b64encode(username.encode() + b":" + raw).decode()
    return {"Authorization": f"Basic {token}"}


async def refused(url: str, **options: object) -> InvalidStatus:
    with pytest.raises(InvalidStatus) as caught:
        async with charger(url, "ocpp1.6", **options):
            pass
    return caught.value


# -- building blocks ------------------------------------------------------------------------


def test_basic_credentials_keep_colons_in_the_id_and_the_password() -> None:
    header = basic("ACME:CP:1", "pass:word")["Authorization"]
    assert basic_credentials(header, "ACME:CP:1") == b"pass:word"
    assert basic_credentials(header, "OTHER") is None
    # RFC 7617 user-ids have no colon: for the id "ACME" the rest is the password.
    assert basic_credentials(header, "ACME") == b"CP:1:pass:word"
    assert basic_credentials("Bearer abc", "CP-1") is None
    assert basic_credentials("Basic !!!not-base64", "CP-1") is None
    assert basic_credentials(None, "CP-1") is None


def test_hash_password_makes_a_verifiable_argon2id_hash_of_ocpp_sized_passwords() -> None:
    password_hash = hash_password(PASSWORD)
    assert password_hash.startswith("$argon2id$")
    assert PasswordHasher().verify(password_hash, PASSWORD)
    with pytest.raises(ValueError, match="16 to 40"):
        hash_password("short")
    with pytest.raises(ValueError, match="16 to 40"):
        hash_password("x" * 41)


def test_verified_password_cache_never_holds_the_password_and_follows_the_hash() -> None:
    cache = VerifiedPasswordCache()
    cache.add("CP-1", PASSWORD.encode(), "$hash-a")
    assert cache.contains("CP-1", PASSWORD.encode(), "$hash-a")
    assert not cache.contains("CP-1", OTHER_PASSWORD.encode(), "$hash-a")
    assert not cache.contains("CP-1", PASSWORD.encode(), "$hash-b")  # hash changed
    assert not cache.contains("CP-2", PASSWORD.encode(), "$hash-a")
    assert PASSWORD.encode() not in repr(vars(cache)).encode()


def test_failed_login_limiter_blocks_backs_off_and_stays_bounded() -> None:
    now = [1000.0]
    limiter = FailedLoginLimiter(limit=3, window=60, block=10, max_keys=100, clock=lambda: now[0])
    for _ in range(2):
        limiter.failed("CP-1")
    assert limiter.retry_after("CP-1") == 0
    limiter.failed("CP-1")
    assert limiter.retry_after("CP-1") == 10
    now[0] += 11
    assert limiter.retry_after("CP-1") == 0
    for _ in range(3):
        limiter.failed("CP-1")
    assert limiter.retry_after("CP-1") == 20  # doubled
    limiter.succeeded("CP-1")
    assert limiter.retry_after("CP-1") == 0
    for i in range(1000):
        limiter.failed(f"attacker-{i}")
    assert len(limiter) == 100


@pytest.mark.parametrize(
    ("profile", "fleet", "message"),
    [
        (SecurityProfile.NONE, make_fleet("CP-1", password=PASSWORD), "profile 0"),
        (SecurityProfile.BASIC, None, "--fleet"),
        (SecurityProfile.TLS_BASIC, make_fleet("CP-1"), "password_hash"),
        (SecurityProfile.BASIC, make_fleet("CP-1", password=PASSWORD, unknown="accept"), "refuse"),
    ],
)
def test_profiles_that_cannot_work_with_the_fleet_are_refused_at_start(
    profile: SecurityProfile, fleet: object, message: str
) -> None:
    with pytest.raises(SecurityConfigError, match=message):
        check_profile_against_fleet(profile, fleet)  # type: ignore[arg-type]


# -- profile 1: Basic auth over ws ----------------------------------------------------------


async def test_profile_1_accepts_the_right_password_and_nothing_else() -> None:
    fleet = make_fleet("CP-1", "CP-2", password=PASSWORD)
    async with running_exporter(fleet, profile=BASIC) as exporter:
        url = exporter.url("CP-1")
        async with charger(url, "ocpp1.6", additional_headers=basic("CP-1", PASSWORD)) as ws:
            await ws.send(heartbeat_frame())
            assert (await receive_text(ws)).startswith("[3,")

        missing = await refused(url)
        assert missing.response.status_code == 401
        assert missing.response.headers["WWW-Authenticate"].startswith("Basic realm=")
        wrong_password = await refused(url, additional_headers=basic("CP-1", OTHER_PASSWORD))
        assert wrong_password.response.status_code == 401
        # Another charger's valid credentials do not open this charger's id.
        wrong_user = await refused(url, additional_headers=basic("CP-2", PASSWORD))
        assert wrong_user.response.status_code == 401
        # An id absent from the fleet gets the same answer as a wrong password.
        stranger = await refused(
            exporter.url("STRANGER"), additional_headers=basic("STRANGER", PASSWORD)
        )
        assert stranger.response.status_code == 401
        assert stranger.response.body == wrong_password.response.body

        refusals = "chargekeeper_exporter_connections_refused_total"
        assert exporter.counter(refusals, reason="basic_auth_missing") == 1
        assert exporter.counter(refusals, reason="basic_auth_failed") == 3
        assert exporter.state.chargers["CP-1"].connects == 1
        assert await exporter.value("ocpp_charge_point_connected", charge_point_id="CP-1") == 0


async def test_failed_logins_are_rate_limited_even_for_the_right_password_afterwards() -> None:
    fleet = make_fleet("CP-1", password=PASSWORD)
    async with running_exporter(fleet, profile=BASIC) as exporter:
        url = exporter.url("CP-1")
        for _ in range(5):
            assert (
                await refused(url, additional_headers=basic("CP-1", OTHER_PASSWORD))
            ).response.status_code == 401
        blocked = await refused(url, additional_headers=basic("CP-1", PASSWORD))
        assert blocked.response.status_code == 429
        assert int(blocked.response.headers["Retry-After"]) > 0
        assert (
            exporter.counter(
                "chargekeeper_exporter_connections_refused_total", reason="rate_limited"
            )
            == 1
        )


async def test_failed_logins_are_rate_limited_per_remote_address_across_ids() -> None:
    ids = [f"CP-{i}" for i in range(5)]
    fleet = make_fleet(*ids, password=PASSWORD)
    authenticator = Authenticator(BASIC, fleet, by_address=FailedLoginLimiter(limit=3))
    async with running_exporter(fleet, authenticator=authenticator) as exporter:
        for cp in ids[:3]:
            wrong = await refused(exporter.url(cp), additional_headers=basic(cp, OTHER_PASSWORD))
            assert wrong.response.status_code == 401
        # A fourth id from the same address is blocked before its password is even checked.
        blocked = await refused(exporter.url(ids[3]), additional_headers=basic(ids[3], PASSWORD))
        assert blocked.response.status_code == 429
        assert "Retry-After" in blocked.response.headers


async def test_logins_beyond_what_can_be_verified_in_time_get_503_with_retry_after() -> None:
    ids = [f"CP-{i}" for i in range(20)]
    fleet = make_fleet(*ids, password=PASSWORD)
    authenticator = Authenticator(BASIC, fleet, verify_threads=1, max_queue_wait=0.001)
    try:
        answers = await asyncio.gather(
            *(
                authenticator.authenticate(
                    AuthRequest(cp, "10.0.0.1", basic(cp, PASSWORD)["Authorization"], None)
                )
                for cp in ids
            )
        )
    finally:
        authenticator.close()
    accepted = [a for a in answers if a is None]
    overloaded = [a for a in answers if a is not None]
    assert accepted, "the first logins are verified"
    assert overloaded, "the rest are told to come back"
    for refusal in overloaded:
        assert refusal.status == 503 and refusal.reason == "overloaded"
        assert dict(refusal.headers)["Retry-After"].isdigit()
    # Nothing was counted as a failed login.
    assert len(authenticator.by_pair) == 0 and len(authenticator.by_address) == 0


async def test_a_duplicate_id_must_authenticate_to_replace_a_connection() -> None:
    fleet = make_fleet("CP-1", password=PASSWORD)
    async with running_exporter(fleet, profile=BASIC) as exporter:
        url = exporter.url("CP-1")
        async with charger(url, "ocpp1.6", additional_headers=basic("CP-1", PASSWORD)) as ws:
            impostor = await refused(url, additional_headers=basic("CP-1", OTHER_PASSWORD))
            assert impostor.response.status_code == 401
            await ws.send(heartbeat_frame())
            assert (await receive_text(ws)).startswith("[3,")
            assert await exporter.value("ocpp_charge_point_connected", charge_point_id="CP-1") == 1


async def test_reconnect_storm_with_basic_auth_is_served_from_the_cache() -> None:
    """Every charger authenticates once with argon2; reconnecting costs no argon2 at all."""
    ids = [f"CP-{i}" for i in range(200)]
    fleet = make_fleet(*ids, password=PASSWORD)
    authenticator = Authenticator(BASIC, fleet)
    async with running_exporter(fleet, authenticator=authenticator) as exporter:

        async def connect_all() -> None:
            async def one(cp: str) -> None:
                async with charger(
                    exporter.url(cp), "ocpp1.6", additional_headers=basic(cp, PASSWORD)
                ):
                    pass

            await asyncio.gather(*(one(cp) for cp in ids))

        await connect_all()
        assert authenticator.argon2_verifications == 200
        await connect_all()
        assert authenticator.argon2_verifications == 200
        assert (
            exporter.counter("chargekeeper_exporter_connections_total", ocpp_version="1.6") == 400
        )
        # A wrong password is never answered from the cache.
        wrong = await refused(
            exporter.url("CP-1"), additional_headers=basic("CP-1", OTHER_PASSWORD)
        )
        assert wrong.response.status_code == 401
        assert authenticator.argon2_verifications == 201


# -- profile 2: TLS + Basic auth ------------------------------------------------------------


async def test_profile_2_needs_tls_and_the_password(tls: TlsMaterial) -> None:
    fleet = make_fleet("CP-1", password=PASSWORD)
    profile = SecurityProfile.TLS_BASIC
    async with running_exporter(
        fleet, profile=profile, ssl_context=tls.server_context(profile)
    ) as exporter:
        url = exporter.url("CP-1")
        client = tls.client_context()
        headers = basic("CP-1", PASSWORD)
        async with charger(url, "ocpp2.0.1", ssl=client, additional_headers=headers) as ws:
            assert ws.subprotocol == "ocpp2.0.1"
            assert await exporter.value("ocpp_charge_point_connected", charge_point_id="CP-1") == 1
        wrong = await refused(url, ssl=client, additional_headers=basic("CP-1", OTHER_PASSWORD))
        assert wrong.response.status_code == 401
        # Plain ws to the TLS port never gets an HTTP answer.
        plain = url.replace("wss://", "ws://")
        with pytest.raises(InvalidMessage):
            async with charger(plain, "ocpp1.6", additional_headers=headers, open_timeout=3):
                pass


def test_server_context_refuses_tls_below_1_2(tls: TlsMaterial) -> None:
    for profile in (SecurityProfile.TLS_BASIC, SecurityProfile.MUTUAL_TLS):
        context = tls.server_context(profile)
        assert context.minimum_version == ssl.TLSVersion.TLSv1_2
        expected = ssl.CERT_REQUIRED if profile is SecurityProfile.MUTUAL_TLS else ssl.CERT_NONE
        assert context.verify_mode == expected


# -- profile 3: mutual TLS -----------------------------------------------------------------


async def test_profile_3_checks_the_client_certificate_identity(tls: TlsMaterial) -> None:
    fleet = make_fleet("CP-1", "CP-2")
    profile = SecurityProfile.MUTUAL_TLS
    async with running_exporter(
        fleet, profile=profile, ssl_context=tls.server_context(profile)
    ) as exporter:
        url = exporter.url("CP-1")
        async with charger(url, "ocpp1.6", ssl=tls.client_context("CP-1")) as ws:
            await ws.send(heartbeat_frame())
            assert (await receive_text(ws)).startswith("[3,")

        # A valid certificate of another charger does not open this charger's id.
        mismatch = await refused(url, ssl=tls.client_context("CP-2"))
        assert mismatch.response.status_code == 403
        assert "'CP-2'" in mismatch.response.body.decode()
        assert (
            exporter.counter(
                "chargekeeper_exporter_connections_refused_total",
                reason="client_certificate_mismatch",
            )
            == 1
        )

        # No certificate, or one from another CA: the TLS handshake itself fails.
        for context in (tls.client_context(), tls.client_context("CP-1", issuer=trustme.CA())):
            # With TLS 1.3 the client learns of the refusal after its side of the handshake.
            with pytest.raises((ssl.SSLError, InvalidMessage)):
                async with charger(url, "ocpp1.6", ssl=context, open_timeout=3) as ws:
                    await ws.recv()
        assert await exporter.value("ocpp_charge_point_connected", charge_point_id="CP-1") == 0

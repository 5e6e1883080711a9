"""Attacks on the collector's handshake replayed against a real server (issue 15, findings 4,
6 and 7): charger lockout by someone else's guesses, charger ids that are not names, and the
OCPP-J handshake and CALLERROR rules a strict client relies on."""

from __future__ import annotations

import asyncio
import json
import zlib

import pytest
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.extensions.permessage_deflate import (
    ClientPerMessageDeflateFactory,
    PerMessageDeflate,
)
from websockets.frames import CloseCode

from exporter.passwords import FailedLoginLimiter
from exporter.security import Authenticator, AuthRequest, SecurityProfile, address_key
from exporter.server import charge_point_id_from_path
from tests.exporter.conftest import (
    OTHER_PASSWORD,
    PASSWORD,
    boot_frame,
    charger,
    eventually,
    make_fleet,
    receive_text,
    running_exporter,
)
from tests.exporter.test_security import basic

BASIC = SecurityProfile.BASIC
# Two source addresses on one machine: Linux routes all of 127.0.0.0/8 to loopback.
CHARGER_ADDRESS = "127.0.0.1"
ATTACKER_ADDRESS = "127.0.0.2"
REFUSED = "chargekeeper_exporter_connections_refused_total"


async def status_of(url: str, password: str, source: str, **headers: str) -> int:
    """The HTTP status of an opening handshake from ``source`` (101 when it was accepted)."""
    try:
        async with charger(
            url,
            "ocpp1.6",
            additional_headers={**basic("CP-1", password), **headers},
            local_addr=(source, 0),
        ):
            return 101
    except InvalidStatus as refused:
        return refused.response.status_code


# -- finding 4: nobody can lock a charger out -------------------------------------------------


async def test_guesses_from_elsewhere_never_lock_out_the_charger_at_its_own_address() -> None:
    async with running_exporter(make_fleet("CP-1", password=PASSWORD), profile=BASIC) as exporter:
        url = exporter.url("CP-1")
        # The attacker claims to be the charger's address: the collector reads no such header.
        spoof = {"X-Forwarded-For": CHARGER_ADDRESS, "Forwarded": f"for={CHARGER_ADDRESS}"}
        guesses = [
            await status_of(url, OTHER_PASSWORD, ATTACKER_ADDRESS, **spoof) for _ in range(8)
        ]
        assert guesses[:5] == [401] * 5
        assert guesses[5:] == [429] * 3, "the guesser itself is throttled"
        assert await status_of(url, PASSWORD, ATTACKER_ADDRESS) == 429
        # The real charger, from its own address, with its password: never 429.
        assert await status_of(url, PASSWORD, CHARGER_ADDRESS) == 101
        assert exporter.counter(REFUSED, reason="rate_limited") == 4


async def test_throttle_backs_off_exponentially_per_charger_and_address() -> None:
    now = [1000.0]
    fleet = make_fleet("CP-1", password=PASSWORD)
    authenticator = Authenticator(
        BASIC, fleet, by_pair=FailedLoginLimiter(limit=5, block=60, clock=lambda: now[0])
    )
    wrong = AuthRequest(
        "CP-1", ATTACKER_ADDRESS, basic("CP-1", OTHER_PASSWORD)["Authorization"], None
    )
    right_elsewhere = AuthRequest(
        "CP-1", CHARGER_ADDRESS, basic("CP-1", PASSWORD)["Authorization"], None
    )
    try:
        blocks = []
        for _ in range(3):
            for _ in range(5):
                refusal = await authenticator.authenticate(wrong)
                assert refusal is not None and refusal.status == 401
            blocked = await authenticator.authenticate(wrong)
            assert blocked is not None and blocked.status == 429
            blocks.append(int(dict(blocked.headers)["Retry-After"]))
            assert await authenticator.authenticate(right_elsewhere) is None
            now[0] += blocks[-1]
        assert blocks == [61, 121, 241]  # 60 s, doubling (+1 s of rounding up)
    finally:
        authenticator.close()


async def test_throttle_table_stays_bounded_under_a_spray_of_addresses() -> None:
    fleet = make_fleet("CP-1", password=PASSWORD)
    authenticator = Authenticator(
        BASIC,
        fleet,
        by_pair=FailedLoginLimiter(limit=5, max_keys=64),
        by_address=FailedLoginLimiter(limit=50, max_keys=64),
    )
    password = basic("CP-1", OTHER_PASSWORD)["Authorization"]
    try:
        for i in range(400):
            address = f"10.{i // 256}.{i % 256}.1"
            await authenticator.authenticate(AuthRequest("CP-1", address, password, None))
            await authenticator.authenticate(AuthRequest(f"X{i}", address, password, None))
    finally:
        authenticator.close()
    assert len(authenticator.by_pair) == 64
    assert len(authenticator.by_address) == 64


def test_an_ipv6_guesser_cannot_escape_the_throttle_by_changing_address_in_its_64() -> None:
    assert address_key("2001:db8:1:2::1") == address_key("2001:db8:1:2:ffff::9")
    assert address_key("2001:db8:1:2::1") != address_key("2001:db8:1:3::1")
    assert address_key("::ffff:192.0.2.7") == "192.0.2.7"
    assert address_key("192.0.2.7") == "192.0.2.7"


# -- finding 6: the charge point id is a name, not a path ----------------------------------


@pytest.mark.parametrize(
    "segment", ["CP-1%0A", "CP-1%0D%0A", ".", "..", "%2E", "%2e%2E", "CP-1%00"]
)
async def test_ids_with_a_trailing_newline_or_dot_segments_are_refused(segment: str) -> None:
    async with running_exporter() as exporter:
        url = f"ws://127.0.0.1:{exporter.ocpp.port}/ocpp/{segment}"
        with pytest.raises(InvalidStatus) as refused:
            async with charger(url, "ocpp1.6"):
                pass
        assert refused.value.response.status_code == 400
        assert exporter.counter(REFUSED, reason="invalid_charge_point_id") == 1
        assert exporter.state.chargers == {}


def test_the_id_check_matches_the_whole_segment() -> None:
    assert charge_point_id_from_path("/ocpp/CP-1%0A") is None
    assert charge_point_id_from_path("/ocpp/.") is None
    assert charge_point_id_from_path("/ocpp/..") is None
    # Dots inside an id are fine.
    assert charge_point_id_from_path("/ocpp/CP.1") == "CP.1"
    assert charge_point_id_from_path("/ocpp/...") == "..."


# -- finding 7: the OCPP-J handshake --------------------------------------------------------


@pytest.mark.parametrize("offered", [["ocpp1.2"], ["ocpp1.5", "ocpp2.1x"]])
async def test_an_unsupported_subprotocol_completes_the_handshake_then_closes(
    offered: list[str],
) -> None:
    """OCPP-J 1.6 s3.2 / 2.0.1 part 4 s3.2: no HTTP error; a 101 without the header, then close."""
    async with (
        running_exporter(make_fleet("CP-1")) as exporter,
        charger(exporter.url("CP-1"), *offered) as ws,
    ):
        assert ws.response is not None and ws.response.status_code == 101
        assert "Sec-WebSocket-Protocol" not in ws.response.headers
        assert ws.subprotocol is None
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 5)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == CloseCode.PROTOCOL_ERROR
        assert "ocpp1.6" in closed.value.rcvd.reason
        assert exporter.counter(REFUSED, reason="subprotocol_unsupported") == 1
        assert exporter.state.chargers["CP-1"].connects == 0


async def test_an_unsupported_subprotocol_does_not_skip_authentication() -> None:
    async with running_exporter(make_fleet("CP-1", password=PASSWORD), profile=BASIC) as exporter:
        with pytest.raises(InvalidStatus) as refused:
            async with charger(exporter.url("CP-1"), "ocpp1.2"):
                pass
        assert refused.value.response.status_code == 401


def _deflate(ws: ClientConnection) -> PerMessageDeflate:
    [extension] = ws.protocol.extensions
    assert isinstance(extension, PerMessageDeflate)
    return extension


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_permessage_deflate_is_accepted_with_small_windows(version: str) -> None:
    """2.0.1 part 4 s3.3: a CSMS supports RFC 7692."""
    async with (
        running_exporter() as exporter,
        charger(exporter.url("CP-1"), f"ocpp{version}") as ws,
    ):
        assert ws.response is not None
        negotiated = ws.response.headers["Sec-WebSocket-Extensions"]
        assert negotiated.startswith("permessage-deflate")
        extension = _deflate(ws)
        assert extension.remote_max_window_bits == 10  # what the collector compresses with
        assert extension.local_max_window_bits == 10  # what it asked the charger to use
        await ws.send(boot_frame(version))
        reply = json.loads(await receive_text(ws))
        assert reply[0] == 3 and reply[2]["status"] == "Accepted"


async def test_permessage_deflate_without_client_window_bits_is_accepted() -> None:
    factory = ClientPerMessageDeflateFactory(client_max_window_bits=None)
    async with (
        running_exporter() as exporter,
        charger(exporter.url("CP-1"), "ocpp1.6", extensions=[factory], compression=None) as ws,
    ):
        assert _deflate(ws).local_max_window_bits == 15
        await ws.send(boot_frame("1.6"))
        assert json.loads(await receive_text(ws))[0] == 3


async def test_a_compressed_frame_is_bounded_by_its_inflated_size() -> None:
    """A 1 MiB frame deflates to about 1 KiB: the limit must apply to what it inflates to."""
    limit = 64 * 1024
    bomb = json.dumps([2, "m1", "DataTransfer", {"vendorId": "x", "data": "A" * 2**20}])
    assert len(zlib.compress(bomb.encode())) < limit // 16
    async with (
        running_exporter(max_message_bytes=limit) as exporter,
        charger(exporter.url("CP-1"), "ocpp1.6", max_size=None) as ws,
    ):
        await ws.send(bomb)
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 5)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == CloseCode.MESSAGE_TOO_BIG

        async def disconnected() -> bool:
            return not exporter.state.chargers["CP-1"].connected

        await eventually(disconnected)


# -- finding 7: required fields missing are a CALLERROR --------------------------------------


@pytest.mark.parametrize(
    ("version", "payload", "code"),
    [
        ("1.6", {}, "OccurenceConstraintViolation"),  # 1.6's own spelling
        ("1.6", {"chargePointVendor": 5}, "OccurenceConstraintViolation"),
        ("2.0.1", {}, "OccurrenceConstraintViolation"),
        ("2.0.1", {"reason": "PowerUp", "chargingStation": {}}, "OccurrenceConstraintViolation"),
    ],
)
async def test_an_empty_boot_notification_gets_a_callerror_not_accepted(
    version: str, payload: dict[str, object], code: str
) -> None:
    async with (
        running_exporter() as exporter,
        charger(exporter.url("CP-1"), f"ocpp{version}") as ws,
    ):
        await ws.send(json.dumps([2, "m4", "BootNotification", payload]))
        reply = json.loads(await receive_text(ws))
        assert reply[:3] == [4, "m4", code]
        assert "required field is missing" in reply[3]
        assert exporter.state.chargers["CP-1"].vendor == ""

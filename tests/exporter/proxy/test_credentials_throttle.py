"""Failed logins in proxy mode: the CSMS's 401/403 answers feed standalone's per-(id, address)
limiter, and a blocked charger is answered 429 without the CSMS being contacted."""

from __future__ import annotations

import pytest
from websockets.exceptions import InvalidStatus

from exporter.security import SecurityProfile
from tests.exporter.conftest import OTHER_PASSWORD, PASSWORD, boot_frame, charger, receive_text
from tests.exporter.proxy.conftest import RunningProxy, library_csms, refuse_with
from tests.exporter.proxy.credentials_support import Gate, basic, proxy_with_credentials

REFUSED = "chargekeeper_exporter_connections_refused_total"
# Authenticator's default: five failed logins a minute per (charger id, address).
PAIR_LIMIT = 5


async def _status(proxy: RunningProxy, charge_point_id: str, password: str) -> int:
    """The HTTP status the charger's handshake got (101 when it opened)."""
    headers = basic(charge_point_id, password)
    try:
        async with charger(proxy.url(charge_point_id), "ocpp1.6", additional_headers=headers):
            return 101
    except InvalidStatus as refused:
        return refused.response.status_code


async def test_repeated_csms_401s_block_the_pair_without_contacting_the_csms() -> None:
    gate = Gate(passwords={"CP-1": PASSWORD, "CP-2": PASSWORD})
    async with (
        library_csms(process_request=gate) as csms,
        # Pass-through: the CSMS checks the passwords, the proxy none.
        proxy_with_credentials(csms.url, None, profile=SecurityProfile.NONE) as proxy,
    ):
        for _ in range(PAIR_LIMIT):
            assert await _status(proxy, "CP-1", OTHER_PASSWORD) == 401
        assert len(gate.authorizations) == PAIR_LIMIT
        with pytest.raises(InvalidStatus) as blocked:
            async with charger(
                proxy.url("CP-1"), "ocpp1.6", additional_headers=basic("CP-1", PASSWORD)
            ):
                pass
        response = blocked.value.response
        assert response.status_code == 429
        assert 55 <= int(response.headers["Retry-After"]) <= 61
        assert response.body.startswith(b"too many failed logins: retry in ")
        assert len(gate.authorizations) == PAIR_LIMIT  # the CSMS never saw the 6th
        assert proxy.counter(REFUSED, reason="rate_limited") == 1
        assert proxy.counter(REFUSED, reason="upstream_refused") == PAIR_LIMIT
        # Another charger at the same address is not locked out by CP-1's failures.
        async with charger(
            proxy.url("CP-2"), "ocpp1.6", additional_headers=basic("CP-2", PASSWORD)
        ) as ws:
            await ws.send(boot_frame("1.6"))
            assert '"Accepted"' in await receive_text(ws)


async def test_a_csms_403_counts_and_other_refusals_do_not() -> None:
    for status, counts in ((403, True), (503, False), (404, False)):
        refusal = refuse_with(status, "no\n")
        async with (
            library_csms(process_request=refusal) as csms,
            proxy_with_credentials(csms.url, None, profile=SecurityProfile.NONE) as proxy,
        ):
            for _ in range(PAIR_LIMIT):
                assert await _status(proxy, "CP-1", PASSWORD) == status
            assert await _status(proxy, "CP-1", PASSWORD) == (429 if counts else status)


async def test_an_accepted_login_forgets_the_pair_s_failures() -> None:
    gate = Gate(passwords={"CP-1": PASSWORD})
    async with (
        library_csms(process_request=gate) as csms,
        proxy_with_credentials(csms.url, None, profile=SecurityProfile.NONE) as proxy,
    ):
        for _ in range(PAIR_LIMIT - 1):
            assert await _status(proxy, "CP-1", OTHER_PASSWORD) == 401
        assert await _status(proxy, "CP-1", PASSWORD) == 101
        for _ in range(PAIR_LIMIT - 1):
            assert await _status(proxy, "CP-1", OTHER_PASSWORD) == 401
        assert await _status(proxy, "CP-1", PASSWORD) == 101

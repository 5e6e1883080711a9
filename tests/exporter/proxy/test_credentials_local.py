"""Profiles 1 and 2 with ``--upstream-credentials``: the charger's password is checked against
the fleet file here, and the CSMS (checking Basic auth itself) gets the proxy's credentials
for that charger, never the charger's."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from websockets.exceptions import InvalidStatus

from exporter.proxy.credentials import load_upstream_credentials
from exporter.security import SecurityProfile
from tests.exporter.conftest import (
    OTHER_PASSWORD,
    PASSWORD,
    boot_frame,
    charger,
    make_fleet,
    receive_text,
)
from tests.exporter.proxy.conftest import library_csms
from tests.exporter.proxy.credentials_support import (
    Gate,
    basic,
    proxy_with_credentials,
    write_credentials,
)

REFUSED = "chargekeeper_exporter_connections_refused_total"
# What the CSMS knows CP-1 by: nothing like the password the charger has.
CSMS_PASSWORD = "csms-side-password-for-cp1-0123"


@pytest.fixture
def credentials_file(tmp_path: Path) -> Path:
    return write_credentials(
        tmp_path / "upstream-credentials",
        f"# the CSMS's passwords\n\nCP-1 {CSMS_PASSWORD}\nCP-2 csms-side-password-for-cp2-4567\n",
    )


async def test_a_charger_with_the_right_password_reaches_the_csms_with_the_proxy_s(
    credentials_file: Path,
) -> None:
    gate = Gate(passwords={"CP-1": CSMS_PASSWORD})
    fleet = make_fleet("CP-1", "CP-2", password=PASSWORD)
    async with (
        library_csms(process_request=gate) as csms,
        proxy_with_credentials(
            csms.url,
            fleet,
            profile=SecurityProfile.BASIC,
            credentials=load_upstream_credentials(credentials_file),
        ) as proxy,
        charger(proxy.url("CP-1"), "ocpp1.6", additional_headers=basic("CP-1", PASSWORD)) as ws,
    ):
        await ws.send(boot_frame("1.6"))
        assert '"Accepted"' in await receive_text(ws)
        assert gate.authorizations == [basic("CP-1", CSMS_PASSWORD)["Authorization"]]
        assert csms.request_headers["CP-1"].get_all("Authorization") == [
            basic("CP-1", CSMS_PASSWORD)["Authorization"]
        ]


@pytest.mark.parametrize(
    "headers",
    [basic("CP-1", OTHER_PASSWORD), basic("CP-2", PASSWORD), {}],
    ids=["wrong-password", "another-charger-s-username", "no-credentials"],
)
async def test_a_charger_failing_the_local_check_never_reaches_the_csms(
    credentials_file: Path, headers: dict[str, str]
) -> None:
    gate = Gate(passwords={"CP-1": CSMS_PASSWORD})
    fleet = make_fleet("CP-1", "CP-2", password=PASSWORD)
    async with (
        library_csms(process_request=gate) as csms,
        proxy_with_credentials(
            csms.url,
            fleet,
            profile=SecurityProfile.BASIC,
            credentials=load_upstream_credentials(credentials_file),
        ) as proxy,
    ):
        with pytest.raises(InvalidStatus) as refused:
            async with charger(proxy.url("CP-1"), "ocpp1.6", additional_headers=headers):
                pass
        assert refused.value.response.status_code == 401
        assert refused.value.response.headers["WWW-Authenticate"].startswith('Basic realm="OCPP"')
        assert gate.authorizations == []
        reason = "basic_auth_failed" if headers else "basic_auth_missing"
        assert proxy.counter(REFUSED, reason=reason) == 1


async def test_a_charger_without_a_line_is_refused_with_a_log_naming_the_file(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = write_credentials(tmp_path / "creds", f"CP-2 {CSMS_PASSWORD}\n")
    gate = Gate(passwords={"CP-1": CSMS_PASSWORD})
    fleet = make_fleet("CP-1", "CP-2", password=PASSWORD)
    async with (
        library_csms(process_request=gate) as csms,
        proxy_with_credentials(
            csms.url,
            fleet,
            profile=SecurityProfile.BASIC,
            credentials=load_upstream_credentials(path),
        ) as proxy,
    ):
        with (
            caplog.at_level(logging.WARNING, "exporter.proxy"),
            pytest.raises(InvalidStatus) as refused,
        ):
            async with charger(
                proxy.url("CP-1"), "ocpp1.6", additional_headers=basic("CP-1", PASSWORD)
            ):
                pass
        response = refused.value.response
        assert response.status_code == 403
        assert response.body == b"this proxy has no CSMS credentials for this charge point id\n"
        assert gate.authorizations == []
        assert proxy.counter(REFUSED, reason="upstream_credentials_missing") == 1
        assert f"charger 'CP-1': refused, no line for it in --upstream-credentials {path}" in (
            caplog.text
        )
        assert CSMS_PASSWORD not in caplog.text and PASSWORD not in caplog.text


async def test_the_csms_refusing_the_proxy_s_credentials_is_logged_as_the_file_s_fault(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = write_credentials(tmp_path / "creds", "CP-1 a-stale-password-from-last-year\n")
    gate = Gate(passwords={"CP-1": CSMS_PASSWORD})
    fleet = make_fleet("CP-1", password=PASSWORD)
    async with (
        library_csms(process_request=gate) as csms,
        proxy_with_credentials(
            csms.url,
            fleet,
            profile=SecurityProfile.BASIC,
            credentials=load_upstream_credentials(path),
        ) as proxy,
    ):
        with (
            caplog.at_level(logging.WARNING, "exporter.proxy"),
            pytest.raises(InvalidStatus) as refused,
        ):
            async with charger(
                proxy.url("CP-1"), "ocpp1.6", additional_headers=basic("CP-1", PASSWORD)
            ):
                pass
        assert refused.value.response.status_code == 401
        assert gate.authorizations == [
            basic("CP-1", "a-stale-password-from-last-year")["Authorization"]
        ]
        assert (
            "charger 'CP-1': the CSMS refused the proxy's credentials for it with HTTP 401: "
            f"check its line in --upstream-credentials {path}"
        ) in caplog.text
        assert "a-stale-password" not in caplog.text

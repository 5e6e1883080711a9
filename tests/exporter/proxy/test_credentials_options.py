"""``--upstream-credentials``, ``--upstream-client-cert`` and ``--upstream-client-key``: the
secrets file's format and mode, options that contradict each other, and a whole collector run
checking passwords locally."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import InvalidStatus

from exporter.cli import run_exporter
from exporter.passwords import hash_password
from exporter.proxy.credentials import load_upstream_credentials, local_profile
from exporter.security import SecurityConfigError, SecurityProfile
from exporter.settings import ExporterSettings
from tests.exporter.conftest import PASSWORD, boot_frame, charger, make_fleet, receive_text
from tests.exporter.proxy.conftest import library_csms
from tests.exporter.proxy.credentials_support import Gate, basic, write_credentials
from tests.exporter.test_cli import listen_args, run_cli

SECRET = "csms-side-password-0123456789"


def test_lines_give_each_charger_its_basic_header_and_nothing_shows_the_passwords(
    tmp_path: Path,
) -> None:
    path = write_credentials(
        tmp_path / "creds", f"  # comment\n\nCP-1 {SECRET}\r\nCP:2 pass with spaces  \n"
    )
    credentials = load_upstream_credentials(path)
    assert credentials.authorization("CP-1") == basic("CP-1", SECRET)["Authorization"]
    assert credentials.authorization("CP:2") == basic("CP:2", "pass with spaces")["Authorization"]
    assert credentials.authorization("CP-3") is None
    assert credentials.missing(["CP-1", "CP-3", "CP:2", "CP-4"]) == ["CP-3", "CP-4"]
    assert SECRET not in repr(credentials) and "2 charger(s)" in repr(credentials)


@pytest.mark.parametrize(
    ("text", "mode", "expected"),
    [
        (f"CP-1 {SECRET}\n", 0o644, "mode 0644 lets other users read the CSMS passwords; run "),
        (f"CP-1 {SECRET}\n", 0o640, "mode 0640 lets other users read"),
        (f"CP-1 {SECRET}\nCP-2\n", 0o600, "line 2: expected '<charge point id> <password>'"),
        (f"CP/1 {SECRET}\n", 0o600, "line 1: the first word is not a valid charge point id"),
        (f"CP-1 {SECRET}\nCP-1 other\n", 0o600, "line 2: a second line for 'CP-1'; keep one"),
        ("# nothing yet\n", 0o600, "no '<charge point id> <password>' line in it"),
    ],
)
def test_a_bad_secrets_file_is_refused_without_echoing_it(
    tmp_path: Path, text: str, mode: int, expected: str
) -> None:
    path = write_credentials(tmp_path / "creds", text, mode)
    with pytest.raises(SecurityConfigError) as refused:
        load_upstream_credentials(path)
    message = str(refused.value)
    assert message.startswith(f"--upstream-credentials {path}")
    assert expected in message
    assert SECRET not in message


def test_an_unreadable_secrets_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(SecurityConfigError, match="cannot open it \\(No such file or directory"):
        load_upstream_credentials(tmp_path / "absent")
    (tmp_path / "latin1").write_bytes(b"CP-1 caf\xe9\n")
    (tmp_path / "latin1").chmod(0o600)
    with pytest.raises(SecurityConfigError, match="not UTF-8 text"):
        load_upstream_credentials(tmp_path / "latin1")


def test_with_a_local_check_the_fleet_s_password_hashes_are_required_not_refused() -> None:
    with_hash = make_fleet("CP-1", password=PASSWORD)
    assert local_profile(SecurityProfile.BASIC, with_hash, local_check=True) is (
        SecurityProfile.BASIC
    )
    with pytest.raises(SecurityConfigError, match="needs password_hash on the chargers"):
        local_profile(SecurityProfile.TLS_BASIC, make_fleet("CP-1"), local_check=True)
    with pytest.raises(SecurityConfigError, match=r"or check them here .* --upstream-credentials"):
        local_profile(SecurityProfile.BASIC, with_hash)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["--upstream-credentials", "creds"],
            "--upstream-credentials: it holds the proxy's CSMS passwords; give --upstream",
        ),
        (
            ["--upstream-client-cert", "c.pem", "--upstream-client-key", "k.pem"],
            "--upstream-client-cert: it is presented to a wss:// --upstream; give --upstream",
        ),
        (
            ["--upstream", "ws://127.0.0.1:1/ocpp", "--upstream-credentials", "creds"],
            "--upstream-credentials: security profile 0 checks no charger",
        ),
        (
            ["--upstream", "wss://csms.example/ocpp", "--upstream-client-cert", "c.pem"],
            "--upstream-client-cert/--upstream-client-key: give both",
        ),
    ],
)
def test_contradicting_options_get_a_precise_error_and_exit_2(
    args: list[str], expected: str
) -> None:
    code, _, err = run_cli("exporter", *listen_args(), *args)
    assert code == 2
    assert expected in err


def test_a_world_readable_secrets_file_stops_the_exporter(tmp_path: Path) -> None:
    fleet_file = tmp_path / "fleet.yaml"
    fleet_file.write_text(_fleet_yaml(hash_password(PASSWORD)))
    creds = write_credentials(tmp_path / "creds", f"CP-1 {SECRET}\n", 0o644)
    code, _, err = run_cli(
        "exporter",
        *listen_args(),
        "--fleet",
        str(fleet_file),
        "--security-profile",
        "1",
        "--upstream",
        "ws://127.0.0.1:1/ocpp",
        "--upstream-credentials",
        str(creds),
    )
    assert code == 2
    assert f"--upstream-credentials {creds}: mode 0644" in err


async def test_run_exporter_checks_locally_and_logs_in_upstream_with_the_file(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    fleet_file = tmp_path / "fleet.yaml"
    fleet_file.write_text(_fleet_yaml(hash_password(PASSWORD)))
    creds = write_credentials(tmp_path / "creds", f"CP-1 {SECRET}\n")
    gate = Gate(passwords={"CP-1": SECRET})
    async with library_csms(process_request=gate) as csms:
        ocpp_listen, metrics_listen = listen_args()[1], listen_args()[3]
        settings = ExporterSettings.from_options(
            ocpp_listen=ocpp_listen,
            metrics_listen=metrics_listen,
            fleet=fleet_file,
            security_profile=1,
            upstream=csms.url,
            upstream_credentials=creds,
        )
        stop = asyncio.Event()
        with caplog.at_level(logging.WARNING, "exporter"):
            running = asyncio.create_task(run_exporter(settings, stop))
            try:
                url = f"ws://{ocpp_listen}/ocpp/CP-1"
                async with await _once_listening(url, basic("CP-1", PASSWORD)) as ws:
                    await ws.send(boot_frame("1.6"))
                    assert '"Accepted"' in await receive_text(ws)
                assert gate.authorizations == [basic("CP-1", SECRET)["Authorization"]]
                with pytest.raises(InvalidStatus) as refused:
                    async with charger(url, "ocpp1.6", additional_headers=basic("CP-1", SECRET)):
                        pass
                assert refused.value.response.status_code == 401  # the CSMS's password
            finally:
                stop.set()
                await asyncio.wait_for(running, 10)
        # CP-2 is in the fleet file but not in the secrets file: named once at start.
        assert (
            f"--upstream-credentials {creds} has no line for 1 charger(s) of the fleet file "
            "(first: 'CP-2')"
        ) in caplog.text
        assert SECRET not in caplog.text


def _fleet_yaml(password_hash: str) -> str:
    return (
        "unknown_chargers: refuse\nclients: [{id: acme}]\nsites: [{id: lyon-1, client: acme}]\n"
        f"chargers:\n  - {{id: CP-1, site: lyon-1, password_hash: '{password_hash}'}}\n"
        f"  - {{id: CP-2, site: lyon-1, password_hash: '{password_hash}'}}\n"
    )


async def _once_listening(url: str, headers: dict[str, str]) -> ClientConnection:
    """A charger connection as soon as the collector started by the test listens."""
    for _ in range(200):
        try:
            return await charger(url, "ocpp1.6", additional_headers=headers)
        except OSError:
            await asyncio.sleep(0.05)
    pytest.fail(f"nothing listens on {url}")

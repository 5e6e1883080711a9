"""Issue 15, findings 1, 2 and 6 (webhook token): secure by default.

- Production compose ships OCPP security profile 2, and ``deploy/make-secrets`` makes what it
  needs: the collector built from those files accepts a charger with its password over TLS and
  refuses an impostor (the attack of finding 1: taking a charger's place by knowing its id).
- Profile 0 off loopback refuses to start unless explicitly, and loudly, opted into.
- The demo's SMS signing key is per state directory: a forged ``Body=OK`` reply, unsigned or
  signed with the old constant key, acknowledges nothing (finding 2).
- ``chargekeeper receiver`` refuses to start without a webhook token unless told to.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import shutil
import ssl
import stat
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher
from cryptography import x509
from sqlalchemy import select
from twilio.request_validator import RequestValidator
from typer.testing import CliRunner
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus
from websockets.typing import Subprotocol

from alertmanager.settings import local_auth_token
from alertmanager.smshooks import INBOUND_PATH
from chargekeeper.cli import app
from chargekeeper.config.fleet import load_fleet
from chargekeeper.store import Acknowledgement
from exporter.cli import run_exporter
from exporter.settings import ExporterSettings, SettingsError
from tests.alertmanager.receiver_support import (
    ThreadedReceiver,
    alert,
    running_receiver,
    wait_until,
    webhook,
    write_config,
)
from tests.deploy.compose import SECRETS_DIR, load
from tests.support.paths import REPO
from tests.support.procs import ServerProcess, free_port, wait_for_http

OLD_DEMO_KEY = "local-demo-token"  # the constant every demo used to sign SMS replies with
OCPP16 = [Subprotocol("ocpp1.6")]
CHARGEKEEPER = str(Path(sys.executable).parent / "chargekeeper")


# -- the production compose file and deploy/make-secrets --------------------------------------


def test_compose_runs_the_collector_on_profile_2_with_its_tls_secrets() -> None:
    collector = load().service("collector")
    assert collector.option("security-profile") == "2"
    assert collector.option("tls-cert") == f"{SECRETS_DIR}/ocpp_tls_cert"
    assert collector.option("tls-key") == f"{SECRETS_DIR}/ocpp_tls_key"
    assert {"ocpp_tls_cert", "ocpp_tls_key"} <= set(collector.secrets)
    assert not any("insecure" in argument for argument in collector.spec["command"])


@pytest.fixture(scope="module")
def deploy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of deploy/ (script, example fleet, empty secrets) after make-secrets ran."""
    folder = tmp_path_factory.mktemp("deploy")
    shutil.copy(REPO / "deploy" / "make-secrets", folder / "make-secrets")
    shutil.copytree(REPO / "deploy" / "config", folder / "config")
    (folder / "secrets").mkdir()
    make_secrets(folder)
    return folder


def make_secrets(folder: Path) -> str:
    environment = {
        **os.environ,
        "CHARGEKEEPER": CHARGEKEEPER,
        "CHARGEKEEPER_OCPP_HOSTNAME": "ocpp.operator.example",
    }
    environment.pop("CHARGEKEEPER_CONFIG_DIR", None)
    result = subprocess.run(
        [str(folder / "make-secrets")],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def passwords(deploy: Path) -> dict[str, str]:
    lines = (deploy / "secrets" / "charger_passwords").read_text().splitlines()
    return dict(line.split(" ", 1) for line in lines)


def test_make_secrets_makes_a_certificate_ssl_loads_for_the_chargers_name(deploy: Path) -> None:
    cert, key = deploy / "secrets" / "ocpp_tls_cert", deploy / "secrets" / "ocpp_tls_key"
    ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(cert, key)
    certificate = x509.load_pem_x509_certificate(cert.read_bytes())
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert {"ocpp.operator.example", "collector", "localhost"} <= set(
        names.get_values_for_type(x509.DNSName)
    )


def test_make_secrets_hashes_a_password_per_charger_and_keeps_the_plaintext_private(
    deploy: Path,
) -> None:
    secret = deploy / "secrets" / "charger_passwords"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    fleet = load_fleet(deploy / "config" / "fleet.yaml")
    plain = passwords(deploy)
    assert set(plain) == {charger.id for charger in fleet.chargers}
    assert len(set(plain.values())) == len(plain)
    for charger in fleet.chargers:
        assert charger.password_hash is not None
        assert PasswordHasher().verify(charger.password_hash, plain[charger.id])
    # The fleet file keeps its comments, and holds no password.
    text = (deploy / "config" / "fleet.yaml").read_text()
    assert text.startswith("# Production example fleet")
    assert not any(password in text for password in plain.values())


def test_make_secrets_run_again_keeps_every_secret(deploy: Path) -> None:
    before = {path.name: path.read_bytes() for path in (deploy / "secrets").iterdir()}
    fleet = (deploy / "config" / "fleet.yaml").read_bytes()
    make_secrets(deploy)
    assert {path.name: path.read_bytes() for path in (deploy / "secrets").iterdir()} == before
    assert (deploy / "config" / "fleet.yaml").read_bytes() == fleet


def collector_settings(deploy: Path, ocpp: int) -> ExporterSettings:
    """The compose collector's own options, with the secrets and config of ``deploy``."""
    collector = load().service("collector")

    def local(option: str) -> Path:
        return deploy / "secrets" / Path(collector.option(option)).name

    return ExporterSettings.from_options(
        ocpp_listen=f"127.0.0.1:{ocpp}",
        metrics_listen=f"127.0.0.1:{free_port()}",
        fleet=deploy / "config" / "fleet.yaml",
        security_profile=int(collector.option("security-profile")),
        tls_cert=local("tls-cert"),
        tls_key=local("tls-key"),
    )


async def test_the_deployed_collector_refuses_an_impostor_and_accepts_the_charger(
    deploy: Path,
) -> None:
    ocpp = free_port()
    stop = asyncio.Event()
    collector = asyncio.create_task(run_exporter(collector_settings(deploy, ocpp), stop))
    client = ssl.create_default_context(cafile=deploy / "secrets" / "ocpp_tls_cert")
    url = f"wss://localhost:{ocpp}/DEPOT-0001"

    def basic(password: str) -> dict[str, str]:
        token = base64.b64encode(f"DEPOT-0001:{password}".encode()).decode()
        return {"Authorization": f"Basic {token}"}

    async def opened(headers: dict[str, str]) -> int:
        try:
            async with connect(url, ssl=client, subprotocols=OCPP16, additional_headers=headers):
                return 101
        except InvalidStatus as refused:
            return refused.response.status_code

    try:
        await asyncio.sleep(0.5)
        assert not collector.done()
        assert await opened({}) == 401  # knowing the id is not enough any more
        assert await opened(basic("x" * 32)) == 401
        assert await opened(basic(passwords(deploy)["DEPOT-0001"])) == 101
    finally:
        stop.set()
        await collector


# -- profile 0 needs an explicit opt-in off loopback ------------------------------------------


def test_profile_0_on_every_interface_is_refused_with_a_precise_message() -> None:
    with pytest.raises(SettingsError) as refused:
        ExporterSettings.from_options(ocpp_listen="0.0.0.0:9000", metrics_listen="0.0.0.0:9101")
    [problem] = refused.value.problems
    assert problem.startswith("--security-profile: profile 0 (no charger authentication")
    assert "0.0.0.0:9000" in problem and "--insecure-no-charger-auth" in problem
    result = CliRunner().invoke(
        app,
        ["exporter", f"--ocpp-listen=0.0.0.0:{free_port()}", "--metrics-listen=127.0.0.1:0"],
    )
    assert result.exit_code == 2 and "--insecure-no-charger-auth" in result.stderr


@pytest.mark.parametrize("host", ["127.0.0.1", "[::1]", "localhost"])
def test_profile_0_on_loopback_needs_no_flag(host: str) -> None:
    settings = ExporterSettings.from_options(ocpp_listen=f"{host}:9000", metrics_listen="[::1]:1")
    assert settings.ocpp_listen.loopback_only


def test_the_insecure_flag_only_goes_with_profile_0() -> None:
    with pytest.raises(SettingsError, match="--insecure-no-charger-auth: security profile 1"):
        ExporterSettings.from_options(
            ocpp_listen="127.0.0.1:9000",
            metrics_listen="127.0.0.1:9101",
            security_profile=1,
            insecure_no_charger_auth=True,
        )


async def test_profile_0_with_the_flag_starts_and_keeps_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    ocpp = free_port()
    settings = ExporterSettings.from_options(
        ocpp_listen=f"0.0.0.0:{ocpp}",
        metrics_listen=f"127.0.0.1:{free_port()}",
        insecure_no_charger_auth=True,
    )
    stop = asyncio.Event()
    with caplog.at_level(logging.WARNING, logger="exporter"):
        collector = asyncio.create_task(run_exporter(settings, stop, insecure_warning_interval=0.2))
        try:
            await asyncio.sleep(0.7)
            assert not collector.done()
            async with connect(f"ws://127.0.0.1:{ocpp}/CP-1", subprotocols=OCPP16):
                pass  # it serves chargers, as asked
        finally:
            stop.set()
            await collector
    warnings = [r for r in caplog.records if r.getMessage().startswith("INSECURE: security")]
    assert len(warnings) >= 3, "warned at start, then again at every interval"
    assert all(r.levelno == logging.WARNING for r in warnings)


# -- the demo's SMS signing key ---------------------------------------------------------------


def test_each_state_directory_gets_its_own_private_sms_signing_key(tmp_path: Path) -> None:
    first, second = local_auth_token(tmp_path / "a"), local_auth_token(tmp_path / "b")
    assert first != second and OLD_DEMO_KEY not in (first, second)
    assert len(first) >= 40
    assert local_auth_token(tmp_path / "a") == first  # made once, then kept
    [key_file] = (tmp_path / "a" / "secrets").iterdir()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def signed(receiver: ThreadedReceiver, form: dict[str, str], key: str) -> httpx.Response:
    url = receiver.url + INBOUND_PATH
    signature = RequestValidator(key).compute_signature(url, form)
    return httpx.post(url, data=form, headers={"X-Twilio-Signature": signature}, timeout=5)


def test_a_forged_sms_ack_is_refused_by_the_demo_receiver(tmp_path: Path) -> None:
    config = write_config(tmp_path / "config", free_port())
    state = tmp_path / "state"
    with running_receiver(config, state) as receiver:
        receiver.post(webhook([alert("CP-1")]))
        # The SMS went out through the local endpoint with the state directory's key.
        wait_until(
            lambda: any(
                row["channel"] == "sms"
                for row in receiver.get("/api/v1/notifications", state="sent")
            ),
            10,
            "an SMS sent",
        )
        ack = {"From": "+33612345001", "To": "+15005550006", "Body": "OK", "MessageSid": "SMx"}
        unsigned = httpx.post(receiver.url + INBOUND_PATH, data=ack, timeout=5)
        assert unsigned.status_code == 403
        assert signed(receiver, ack, OLD_DEMO_KEY).status_code == 403
        assert signed(receiver, ack, local_auth_token(tmp_path / "elsewhere")).status_code == 403
        assert acknowledgements(receiver) == []
        # Only whoever holds this state directory's key acknowledges.
        genuine = signed(receiver, ack, local_auth_token(state))
        assert genuine.status_code == 200 and "Pris en charge : CP-1" in genuine.text
        assert acknowledgements(receiver) == [("alice", "sms")]


def acknowledgements(receiver: ThreadedReceiver) -> list[tuple[str, str]]:
    with receiver.built.service.pipeline.sessions() as session:
        return [(ack.by, ack.via) for ack in session.scalars(select(Acknowledgement))]


# -- the webhook token ------------------------------------------------------------------------


def without_token(folder: Path) -> Path:
    config = write_config(folder, free_port())
    receiver_yaml = config / "receiver.yaml"
    receiver_yaml.write_text(receiver_yaml.read_text().replace("token_file: receiver-token\n", ""))
    return config


def test_the_receiver_refuses_to_start_without_a_webhook_token(tmp_path: Path) -> None:
    config = without_token(tmp_path / "config")
    result = CliRunner().invoke(
        app,
        ["receiver", "--listen", f"127.0.0.1:{free_port()}", "--config", str(config),
         "--state-dir", str(tmp_path / "state")],
    )  # fmt: skip
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "receiver.yaml: no token_file: the webhook would accept alerts from anyone"
    )
    assert "--insecure-no-webhook-token" in result.stderr


def test_the_receiver_starts_without_a_token_only_when_told_to(tmp_path: Path) -> None:
    config, port = without_token(tmp_path / "config"), free_port()
    argv = [
        sys.executable, "-c", "from chargekeeper.cli import main; main()", "receiver",
        "--listen", f"127.0.0.1:{port}", "--config", str(config),
        "--state-dir", str(tmp_path / "state"), "--insecure-no-webhook-token",
    ]  # fmt: skip
    proc = ServerProcess("receiver", argv, tmp_path, cwd=REPO)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/healthz", proc=proc)
        posted = httpx.post(
            f"http://127.0.0.1:{port}/api/v1/alertmanager/webhook",
            json=webhook([alert("CP-1")]),
            timeout=5,
        )
        assert posted.status_code == 200  # what the flag costs: anyone may post
    finally:
        proc.stop()
    assert "INSECURE: no webhook token" in proc.log_tail()

"""Profile 3 behind the proxy: the charger's client certificate ends at the proxy's TLS, and
the proxy presents its own (``--upstream-client-cert/--upstream-client-key``) to a CSMS that
requires one."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest
import trustme
from cryptography.hazmat.primitives import serialization
from websockets.exceptions import InvalidMessage

from exporter.proxy.upstream import UpstreamConfigError, client_ssl_context
from exporter.security import SecurityProfile
from tests.exporter.conftest import TlsMaterial, boot_frame, charger, make_fleet, receive_text
from tests.exporter.proxy.conftest import library_csms
from tests.exporter.proxy.credentials_support import Gate, proxy_with_credentials

UPSTREAM_FAILURES = "chargekeeper_exporter_proxy_upstream_failures_total"
PROXY_CN = "chargekeeper-proxy.example"


class MutualCsms:
    """A CSMS on profile 3: its server certificate, and the CA its clients' must chain to."""

    def __init__(self, tmp_path: Path) -> None:
        self.ca = trustme.CA()
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.ca.issue_cert("127.0.0.1").configure_cert(self.context)
        self.ca.configure_trust(self.context)
        self.context.verify_mode = ssl.CERT_REQUIRED
        self.ca_file = tmp_path / "csms-ca.pem"
        self.ca.cert_pem.write_to_path(self.ca_file)

    def client_pair(self, directory: Path, cn: str) -> tuple[Path, Path]:
        """A certificate issued by this CSMS's CA, and its key, as PEM files."""
        leaf = self.ca.issue_cert(cn, common_name=cn)
        cert, key = directory / f"{cn}.pem", directory / f"{cn}.key"
        for pem in leaf.cert_chain_pems:
            pem.write_to_path(cert, append=True)
        leaf.private_key_pem.write_to_path(key)
        return cert, key


async def test_the_csms_sees_the_proxy_s_certificate_not_the_charger_s(
    tmp_path: Path, tls: TlsMaterial
) -> None:
    csms_side = MutualCsms(tmp_path)
    cert, key = csms_side.client_pair(tmp_path, PROXY_CN)
    gate = Gate(client_cn=PROXY_CN)
    async with (
        library_csms(ssl_context=csms_side.context, process_request=gate) as csms,
        proxy_with_credentials(
            csms.url,
            make_fleet("CP-1"),
            profile=SecurityProfile.MUTUAL_TLS,
            upstream_ssl=client_ssl_context(csms_side.ca_file, cert, key),
            server_ssl=tls.server_context(SecurityProfile.MUTUAL_TLS),
        ) as proxy,
        charger(proxy.url("CP-1"), "ocpp2.0.1", ssl=tls.client_context("CP-1")) as ws,
    ):
        await ws.send(boot_frame("2.0.1"))
        assert '"Accepted"' in await receive_text(ws)
        assert gate.client_cns == [PROXY_CN]
        assert csms.paths[0].endswith("/CP-1")  # the CSMS knows the charger by its URL


async def test_without_a_client_certificate_a_profile_3_csms_is_unreachable(
    tmp_path: Path, tls: TlsMaterial
) -> None:
    csms_side = MutualCsms(tmp_path)
    gate = Gate(client_cn=PROXY_CN)
    async with (
        library_csms(ssl_context=csms_side.context, process_request=gate) as csms,
        proxy_with_credentials(
            csms.url,
            make_fleet("CP-1"),
            profile=SecurityProfile.MUTUAL_TLS,
            upstream_ssl=client_ssl_context(csms_side.ca_file),
            server_ssl=tls.server_context(SecurityProfile.MUTUAL_TLS),
        ) as proxy,
    ):
        with pytest.raises(InvalidMessage):
            async with charger(proxy.url("CP-1"), "ocpp1.6", ssl=tls.client_context("CP-1")):
                pass
        assert proxy.counter(UPSTREAM_FAILURES, reason="unreachable") == 1
        assert gate.client_cns == []  # TLS refused it before any HTTP


def test_an_unusable_client_certificate_or_key_is_a_precise_startup_error(
    tmp_path: Path,
) -> None:
    csms_side = MutualCsms(tmp_path)
    cert, key = csms_side.client_pair(tmp_path, PROXY_CN)
    _, other_key = csms_side.client_pair(tmp_path, "someone-else")
    assert client_ssl_context(None, cert, key).verify_mode is ssl.CERT_REQUIRED  # the pair loads
    missing = tmp_path / "missing.key"
    with pytest.raises(
        UpstreamConfigError, match=f"^--upstream-client-key: file not found: {missing}$"
    ):
        client_ssl_context(None, cert, missing)
    with pytest.raises(
        UpstreamConfigError,
        match=f"--upstream-client-cert {cert} / --upstream-client-key {other_key}: cannot load",
    ):
        client_ssl_context(None, cert, other_key)
    # An encrypted key fails at once instead of OpenSSL prompting on the terminal.
    leaf = csms_side.ca.issue_cert("encrypted")
    encrypted = tmp_path / "encrypted.key"
    encrypted.write_bytes(_encrypted_pem(leaf.private_key_pem.bytes()))
    leaf.cert_chain_pems[0].write_to_path(tmp_path / "encrypted.pem")
    with pytest.raises(UpstreamConfigError, match="unencrypted PEM private key"):
        client_ssl_context(None, tmp_path / "encrypted.pem", encrypted)


def _encrypted_pem(key_pem: bytes) -> bytes:
    key = serialization.load_pem_private_key(key_pem, password=None)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"a passphrase"),
    )

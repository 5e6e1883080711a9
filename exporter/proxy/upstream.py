"""Where a charger's frames go in proxy mode: the upstream URL of each charger, and its TLS.

``--upstream`` is a ``ws://`` or ``wss://`` template (chargekeeper.config.upstream checks and
expands it: ``{charge_point_id}`` replaced by the percent-encoded id, else ``/<id>`` appended).
A fleet file's ``upstream:`` (charger > site > client, ``Fleet.upstream_for``) overrides it for
the chargers it covers.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from chargekeeper.config.upstream import expand_upstream


class UpstreamConfigError(ValueError):
    """A CA bundle for the upstream that cannot be loaded; the message says why."""


def client_ssl_context(
    ca_file: Path | None,
    client_cert: Path | None = None,
    client_key: Path | None = None,
) -> ssl.SSLContext:
    """TLS 1.2+ that verifies the CSMS's certificate and host name, against ``ca_file`` when
    given (a private CA), else against the system's trusted CAs.

    With ``client_cert`` and ``client_key`` the proxy presents that certificate to every
    ``wss://`` CSMS (the default upstream and the fleet file's alike): the CSMS sees the
    proxy's certificate, never a charger's, and tells chargers apart by the URL path.
    """
    try:
        context = ssl.create_default_context(cafile=ca_file)
    except FileNotFoundError:
        raise UpstreamConfigError(f"--upstream-ca: file not found: {ca_file}") from None
    except (ssl.SSLError, OSError) as exc:
        raise UpstreamConfigError(
            f"--upstream-ca {ca_file}: cannot load CA certificates from it ({exc}); give a PEM file"
        ) from None
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if client_cert is not None and client_key is not None:
        try:
            # An encrypted key fails to load instead of OpenSSL prompting on the terminal.
            context.load_cert_chain(client_cert, client_key, password=_no_passphrase)
        except FileNotFoundError:
            # ssl's FileNotFoundError does not say which of the two files is missing.
            absent = next((p for p in (client_cert, client_key) if not p.exists()), client_cert)
            option = "--upstream-client-cert" if absent == client_cert else "--upstream-client-key"
            raise UpstreamConfigError(f"{option}: file not found: {absent}") from None
        except (ssl.SSLError, OSError) as exc:
            raise UpstreamConfigError(
                f"--upstream-client-cert {client_cert} / --upstream-client-key {client_key}: "
                f"cannot load the certificate chain and key ({exc}); give a PEM certificate "
                "(with its chain) and its matching unencrypted PEM private key"
            ) from None
    return context


def _no_passphrase() -> bytes:
    return b""


# The per-charger override: Fleet.upstream_for (charger > site > client), None for the default.
Override = Callable[[str], str | None]


@dataclass(frozen=True, slots=True)
class Upstreams:
    """Each charger's upstream URL and the TLS context a ``wss://`` one is opened with."""

    default: str
    ssl_context: ssl.SSLContext
    override: Override | None = None

    def url_for(self, charge_point_id: str) -> str:
        base = self.override(charge_point_id) if self.override is not None else None
        return expand_upstream(base or self.default, charge_point_id)

    def ssl_for(self, url: str) -> ssl.SSLContext | None:
        return self.ssl_context if urlsplit(url).scheme == "wss" else None

"""The exporter's one settings object, validated before anything starts listening.

Every problem is reported with the command-line option it comes from and how to fix it, so
that ``chargekeeper exporter`` can print them all at once and exit with status 2.
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from chargekeeper.config.upstream import UpstreamTemplate
from exporter.security import SecurityProfile

# Typical OCPP frames are a few hundred bytes to a few KiB (a MeterValues with many sampled
# values stays under 20 KiB). The large ones are OCPP 2.0.1 NotifyReport/NotifyMonitoringReport
# and 1.6 DataTransfer; chargers split reports across several messages ("tbc"), but some send a
# full base report in one frame of well over 64 KiB. 256 KiB takes those while keeping the worst
# case per connection (max size x queued frames) around 1 MiB.
DEFAULT_MAX_MESSAGE_BYTES = 256 * 1024
# A ping every 10 s and 15 s to answer it: a silently dead link is known within 25 s at most,
# and a cellular link with a few seconds of latency spikes is not mistaken for a dead one.
DEFAULT_PING_INTERVAL = 10.0
DEFAULT_PING_TIMEOUT = 15.0

OPTION_OF_FIELD = {
    "ocpp_listen": "--ocpp-listen",
    "metrics_listen": "--metrics-listen",
    "fleet": "--fleet",
    "security_profile": "--security-profile",
    "insecure_no_charger_auth": "--insecure-no-charger-auth",
    "tls_cert": "--tls-cert",
    "tls_key": "--tls-key",
    "tls_ca": "--tls-ca",
    "ping_interval": "--ping-interval",
    "ping_timeout": "--ping-timeout",
    "max_message_bytes": "--max-message-bytes",
    "upstream": "--upstream",
    "upstream_ca": "--upstream-ca",
    "upstream_credentials": "--upstream-credentials",
    "upstream_client_cert": "--upstream-client-cert",
    "upstream_client_key": "--upstream-client-key",
    "influxdb": "--influxdb-*",
    "url": "--influxdb-url",
    "token_file": "--influxdb-token-file",
    "org": "--influxdb-org",
    "bucket": "--influxdb-bucket",
}

_HOST_PORT = re.compile(r"^(?:\[(?P<v6>[0-9A-Fa-f:.]+)\]|(?P<host>[^:\[\]\s]+)):(?P<port>\d{1,5})$")


class SettingsError(Exception):
    """The settings are invalid; ``problems`` lists each one as 'option: what, how to fix'."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class ListenAddress(BaseModel):
    """A TCP listen address given as ``HOST:PORT`` (``[::1]:PORT`` for IPv6)."""

    model_config = ConfigDict(frozen=True)

    host: str
    port: int = Field(ge=0, le=65535)

    @classmethod
    def parse(cls, text: str) -> ListenAddress:
        match = _HOST_PORT.match(text.strip())
        if match is None:
            raise ValueError(
                f"{text!r} is not HOST:PORT; write e.g. 0.0.0.0:9000, 127.0.0.1:9000 or [::]:9000"
            )
        port = int(match["port"])
        if port > 65535:
            raise ValueError(f"{text!r}: port {port} is above 65535")
        return cls(host=match["v6"] or match["host"], port=port)

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @property
    def loopback_only(self) -> bool:
        """True when only this machine can connect (127.0.0.0/8, ::1 or ``localhost``)."""
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:  # a host name other than localhost may resolve to anything
            return False


def _listen_address(value: Any) -> Any:
    return ListenAddress.parse(value) if isinstance(value, str) else value


Listen = Annotated[ListenAddress, BeforeValidator(_listen_address)]


class InfluxSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    url: str = Field(pattern=r"^https?://\S+$")
    token_file: Path
    org: str = Field(min_length=1)
    bucket: str = Field(min_length=1)
    # "v1": InfluxDB 1.x's /write (Debian's influxd 1.6, which `up --demo` runs: it has no
    # /api/v2/write); bucket is then the database, the token is sent as before.
    api: Literal["v2", "v1"] = "v2"

    def read_token(self) -> str:
        """The API token from ``token_file`` (kept out of the command line and process list)."""
        try:
            token = self.token_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise SettingsError(
                [f"--influxdb-token-file {self.token_file}: cannot read it ({exc.strerror})"]
            ) from None
        if not token:
            raise SettingsError(
                [f"--influxdb-token-file {self.token_file}: the file is empty; put the token in it"]
            )
        return token


class ExporterSettings(BaseModel):
    """Everything ``chargekeeper exporter`` needs, checked for consistency up front."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    ocpp_listen: Listen
    metrics_listen: Listen
    fleet: Path | None = None
    security_profile: SecurityProfile = SecurityProfile.NONE
    # Profile 0 off loopback lets anyone who knows a charger id take its place and plant
    # faults that page technicians: it needs this explicit opt-in (logged loudly).
    insecure_no_charger_auth: bool = False
    tls_cert: Path | None = None
    tls_key: Path | None = None
    tls_ca: Path | None = None
    ping_interval: float = Field(DEFAULT_PING_INTERVAL, gt=0, le=3600)
    ping_timeout: float = Field(DEFAULT_PING_TIMEOUT, gt=0, le=3600)
    max_message_bytes: int = Field(DEFAULT_MAX_MESSAGE_BYTES, ge=1024, le=64 * 1024 * 1024)
    influxdb: InfluxSettings | None = None
    # Proxy mode (exporter.proxy): the CSMS's ws(s):// base; None runs the standalone central
    # system. upstream_ca: the CAs a wss:// CSMS's certificate is checked against.
    upstream: UpstreamTemplate | None = None
    upstream_ca: Path | None = None
    # Local check of chargers' Basic auth, and the proxy's own per-charger CSMS passwords
    # (exporter.proxy.credentials); None passes the charger's Authorization header on.
    upstream_credentials: Path | None = None
    # The certificate the proxy presents to every wss:// CSMS (a CSMS on profile 3).
    upstream_client_cert: Path | None = None
    upstream_client_key: Path | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        problems: list[str] = []
        profile = self.security_profile
        if self.ocpp_listen == self.metrics_listen and self.ocpp_listen.port != 0:
            problems.append(
                f"--metrics-listen: {self.metrics_listen} is also --ocpp-listen; use another port"
            )
        if profile is SecurityProfile.NONE:
            if not self.ocpp_listen.loopback_only and not self.insecure_no_charger_auth:
                problems.append(
                    f"--security-profile: profile 0 (no charger authentication, the default) "
                    f"on {self.ocpp_listen} lets anyone who knows a charger id impersonate it; "
                    "use --security-profile 2 with --tls-cert/--tls-key and password_hash in "
                    "the fleet file (deploy/make-secrets makes both), listen on 127.0.0.1 only, "
                    "or accept the risk with --insecure-no-charger-auth"
                )
        elif self.insecure_no_charger_auth:
            problems.append(
                f"--insecure-no-charger-auth: security profile {int(profile)} authenticates "
                "chargers; the flag only applies to profile 0, drop it"
            )
        if profile.uses_tls:
            for option, value in (("--tls-cert", self.tls_cert), ("--tls-key", self.tls_key)):
                if value is None:
                    problems.append(
                        f"{option}: security profile {int(profile)} uses TLS and needs it"
                    )
        elif self.tls_cert is not None or self.tls_key is not None:
            problems.append(
                f"--tls-cert/--tls-key: security profile {int(profile)} runs without TLS; use "
                "--security-profile 2 (TLS + Basic auth) or 3 (mutual TLS), or drop them"
            )
        if profile is SecurityProfile.MUTUAL_TLS and self.tls_ca is None:
            problems.append(
                "--tls-ca: security profile 3 verifies client certificates against this CA file"
            )
        if profile is not SecurityProfile.MUTUAL_TLS and self.tls_ca is not None:
            problems.append(
                "--tls-ca: only security profile 3 (mutual TLS) checks client certificates"
            )
        problems.extend(self._upstream_problems())
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def _upstream_problems(self) -> list[str]:
        problems: list[str] = []
        proxy_only = (
            ("--upstream-ca", self.upstream_ca, "checks the certificate of a wss:// --upstream"),
            (
                "--upstream-credentials",
                self.upstream_credentials,
                "holds the proxy's CSMS passwords",
            ),
            (
                "--upstream-client-cert",
                self.upstream_client_cert,
                "is presented to a wss:// --upstream",
            ),
            (
                "--upstream-client-key",
                self.upstream_client_key,
                "is presented to a wss:// --upstream",
            ),
        )
        if self.upstream is None:
            for option, value, what in proxy_only:
                if value is not None:
                    problems.append(f"{option}: it {what}; give --upstream or drop it")
            return problems
        if self.upstream_credentials is not None and self.security_profile is SecurityProfile.NONE:
            problems.append(
                "--upstream-credentials: security profile 0 checks no charger, so anyone who "
                "knows an id would get its CSMS credentials; use --security-profile 1, 2 or 3"
            )
        if (self.upstream_client_cert is None) != (self.upstream_client_key is None):
            problems.append(
                "--upstream-client-cert/--upstream-client-key: give both (the proxy's "
                "certificate for the CSMS and its private key) or neither"
            )
        return problems

    @classmethod
    def from_options(cls, **options: Any) -> ExporterSettings:
        """Validate raw option values; raise :class:`SettingsError` naming each bad option."""
        try:
            return cls.model_validate(options)
        except ValidationError as exc:
            raise SettingsError(_problems(exc)) from None


def _problems(error: ValidationError) -> list[str]:
    problems: list[str] = []
    for item in error.errors():
        message = str(item["msg"]).removeprefix("Value error, ")
        fields = [str(part) for part in item["loc"] if isinstance(part, str)]
        if not fields:  # a cross-field check: its lines already name their options
            problems.extend(message.splitlines())
            continue
        option = OPTION_OF_FIELD.get(fields[-1], fields[-1])
        if item["type"] == "missing":
            message = "required" + (
                " when any --influxdb-* option is given" if fields[0] == "influxdb" else ""
            )
        problems.append(f"{option}: {message}")
    return problems

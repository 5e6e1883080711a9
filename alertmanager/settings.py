"""The receiver's settings: ``receiver.yaml`` in the config directory (every key optional).

```yaml
token_file: receiver-token          # bearer token Alertmanager sends (relative to the config dir)
database_url: sqlite:////var/lib/ck/receiver.sqlite3   # default: <state dir>/receiver.sqlite3
links: {console: https://ck.example, dashboard: https://grafana.example/d/chargekeeper-charger}
#   console omitted: public_url, else http://127.0.0.1:9095 (`receiver --console-url` overrides)
notify_resolved: [disconnection, error]   # families whose resolution is sent; omitted: all
local_providers: true               # demo: run the local SMTP server and SMS endpoint
smtp: {host: relay.example, port: 587, tls: starttls, sender: ck@example, username: ck,
       password_file: smtp-password}
twilio: {account_sid: AC..., auth_token_file: twilio-token, messaging_service_sid: MG...,
         base_url: https://api.twilio.com, rate_per_second: 10}   # segments/s of that sender
retry: {max_attempts: 8, base_delay: 2, max_delay: 300, failover_after: 3, lease_timeout: 60}
```

Secrets are read from files, never written inline, and have no usable defaults.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from alertmanager.notify import SmtpSettings, TwilioSettings
from alertmanager.notify.email import TlsMode
from alertmanager.notify.sms import TWILIO_API
from alertmanager.outbox import RetryPolicy
from chargekeeper.config.fleet import Strict
from chargekeeper.config.loader import ConfigError, load_model
from chargekeeper.links import DEFAULT_CONSOLE_URL, Links

RECEIVER_FILE = "receiver.yaml"
# Placeholder credentials of the local SMS endpoint: only ever valid against localsms.
LOCAL_ACCOUNT_SID = "AC" + "0" * 32
LOCAL_AUTH_TOKEN = "local-demo-token"  # noqa: S105 - the local fake provider's, not a secret


class LinksConfig(Strict):
    # Omitted: public_url, else DEFAULT_CONSOLE_URL (the console is served by the receiver).
    console: str | None = None
    # Grafana's charger dashboard; omitted: charger links open the console's charger page.
    dashboard: str | None = None


class SmtpConfig(Strict):
    host: str = "127.0.0.1"
    port: int = Field(default=2525, ge=1, le=65535)
    sender: str = "chargekeeper@localhost"
    tls: TlsMode = "none"
    username: str | None = None
    password_file: Path | None = None
    ca_file: Path | None = None
    timeout: float = Field(default=10.0, gt=0)


class TwilioConfig(Strict):
    account_sid: str = LOCAL_ACCOUNT_SID
    auth_token_file: Path | None = None
    from_number: str | None = "+15005550006"
    messaging_service_sid: str | None = None
    base_url: str = TWILIO_API
    status_callback: str | None = None
    # The sender's throughput in SMS segments per second: the one sender above (from_number, or
    # the messaging service, whose throughput is its sender pool's sum). Twilio's figures: a
    # US/Canada long code 1 (the default, the safe lowest), a US toll-free number 3, a number or
    # alphanumeric sender towards other countries 10, a US short code 100.
    rate_per_second: float = Field(default=1.0, gt=0)
    timeout: float = Field(default=10.0, gt=0)


class RetryConfig(Strict):
    max_attempts: int = Field(default=8, ge=1)
    base_delay: float = Field(default=2.0, gt=0)
    max_delay: float = Field(default=300.0, gt=0)
    failover_after: int = Field(default=3, ge=1)
    # Seconds a replica's claim on a delivery lasts without renewal (alertmanager.outbox).
    lease_timeout: float = Field(default=60.0, ge=10)


class ReceiverConfig(Strict):
    token_file: Path | None = None
    # The receiver's public base URL: Twilio's callbacks are signed over it, and the status
    # callback defaults to <public_url>/api/v1/sms/status.
    public_url: str | None = None
    database_url: str | None = None
    links: LinksConfig = Field(default_factory=LinksConfig)
    notify_resolved: list[str] | None = None
    local_providers: bool = False
    smtp: SmtpConfig = Field(default_factory=SmtpConfig)
    twilio: TwilioConfig = Field(default_factory=TwilioConfig)
    retry: RetryConfig = Field(default_factory=RetryConfig)
    # How often unacknowledged critical alerts are checked for a due escalation tier.
    escalation_interval: float = Field(default=5.0, gt=0)

    def retry_policy(self) -> RetryPolicy:
        r = self.retry
        return RetryPolicy(
            r.max_attempts, r.base_delay, r.max_delay, r.failover_after, r.lease_timeout
        )

    def links_(self) -> Links:
        console = self.links.console or self.public_url or DEFAULT_CONSOLE_URL
        return Links(console=console, dashboard=self.links.dashboard)


def load_receiver_config(config_dir: Path) -> ReceiverConfig:
    """``receiver.yaml`` if present, defaults otherwise; relative paths are made absolute."""
    path = config_dir / RECEIVER_FILE
    config = load_model(path, ReceiverConfig) if path.exists() else ReceiverConfig()
    return config.model_copy(
        update={
            "token_file": _absolute(config_dir, config.token_file),
            "smtp": config.smtp.model_copy(
                update={
                    "password_file": _absolute(config_dir, config.smtp.password_file),
                    "ca_file": _absolute(config_dir, config.smtp.ca_file),
                }
            ),
            "twilio": config.twilio.model_copy(
                update={"auth_token_file": _absolute(config_dir, config.twilio.auth_token_file)}
            ),
        }
    )


def _absolute(base: Path, path: Path | None) -> Path | None:
    return None if path is None else path if path.is_absolute() else base / path


def read_secret(path: Path, what: str) -> str:
    """The first line of a secret file; ConfigError (what, where, how to fix) otherwise."""
    try:
        value = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(path, [f"{path}: cannot read the {what}: {exc.strerror}"]) from None
    if not value:
        raise ConfigError(path, [f"{path}: the {what} file is empty: write the secret into it"])
    return value


def smtp_settings(config: SmtpConfig) -> SmtpSettings:
    password = read_secret(config.password_file, "SMTP password") if config.password_file else None
    return SmtpSettings(
        host=config.host,
        port=config.port,
        sender=config.sender,
        tls=config.tls,
        username=config.username,
        password=password,
        timeout=config.timeout,
        ca_file=str(config.ca_file) if config.ca_file else None,
    )


def twilio_settings(
    config: TwilioConfig, local_base_url: str | None = None, public_url: str | None = None
) -> TwilioSettings:
    """Twilio settings; with a local endpoint its placeholder credentials are used."""
    if local_base_url is not None:
        token = LOCAL_AUTH_TOKEN
        account_sid = LOCAL_ACCOUNT_SID
    elif config.auth_token_file is None:
        raise ConfigError(
            RECEIVER_FILE,
            [f"{RECEIVER_FILE}: twilio.auth_token_file: required unless local_providers is true"],
        )
    else:
        token = read_secret(config.auth_token_file, "Twilio auth token")
        account_sid = config.account_sid
    return TwilioSettings(
        account_sid=account_sid,
        auth_token=token,
        from_number=config.from_number,
        messaging_service_sid=config.messaging_service_sid,
        base_url=local_base_url or config.base_url,
        status_callback=config.status_callback
        or (f"{public_url.rstrip('/')}/api/v1/sms/status" if public_url else None),
        timeout=config.timeout,
        rate_per_second=config.rate_per_second,
    )

"""The receiver's settings: ``receiver.yaml`` in the config directory (every key optional).

```yaml
token_file: receiver-token          # bearer token Alertmanager sends (relative to the config dir)
insecure_no_webhook_token: false    # true: start without token_file (anyone may post alerts)
database_url: sqlite:////var/lib/ck/receiver.sqlite3   # default: <state dir>/receiver.sqlite3
links: {console: https://ck.example, dashboard: https://grafana.example/d/chargekeeper-charger}
#   console omitted: public_url, else http://127.0.0.1:9095 (`receiver --console-url` overrides)
notify_resolved: [disconnection, error]   # families whose resolution is sent; omitted: all
watchdog_timeout: 3m                # no Watchdog this long: the receiver tells operations
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

import contextlib
import os
import secrets
import tempfile
from pathlib import Path

from pydantic import Field

from alertmanager.notify import SmtpSettings, TwilioSettings
from alertmanager.notify.email import TlsMode
from alertmanager.notify.sms import TWILIO_API
from alertmanager.outbox import RetryPolicy
from chargekeeper.config.fleet import Strict
from chargekeeper.config.loader import ConfigError, load_model
from chargekeeper.config.policy import Seconds
from chargekeeper.links import DEFAULT_CONSOLE_URL, Links
from chargekeeper.routing import DEFAULT_WATCHDOG_TIMEOUT

RECEIVER_FILE = "receiver.yaml"
# The local SMS endpoint's account sid (not a secret). Its auth token, which also signs the
# SMS replies that acknowledge alerts, is made per state directory: see local_auth_token.
LOCAL_ACCOUNT_SID = "AC" + "0" * 32
LOCAL_AUTH_TOKEN_FILE = Path("secrets") / "local-sms-auth-token"


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
    # Without token_file the receiver refuses to start unless this is true (or the command
    # line's --insecure-no-webhook-token): anyone reaching it could then post forged alerts.
    insecure_no_webhook_token: bool = False
    # Seconds without a Watchdog before the receiver tells the operations contacts itself
    # (alertmanager/watchdog.py); at least twice routing.yaml's watchdog.repeat_interval + 30 s.
    watchdog_timeout: Seconds = DEFAULT_WATCHDOG_TIMEOUT
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


def local_auth_token(state_dir: Path) -> str:
    """The local SMS endpoint's auth token for ``state_dir``: random, made once (mode 0600).

    A constant would let anyone sign a forged ``Body=OK`` reply and acknowledge an alert.
    The file is written aside and linked into place, so that two processes sharing the state
    directory never read a half-written token and both end up with the same one.
    """
    path = state_dir / LOCAL_AUTH_TOKEN_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        descriptor, draft = tempfile.mkstemp(dir=path.parent, prefix=".token-")  # mode 0600
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as file:
                file.write(secrets.token_urlsafe(32) + "\n")
            with contextlib.suppress(FileExistsError):  # another process made it first
                os.link(draft, path)
        finally:
            os.unlink(draft)
    return read_secret(path, "local SMS auth token")


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
    config: TwilioConfig,
    local: tuple[str, str] | None = None,
    public_url: str | None = None,
) -> TwilioSettings:
    """Twilio settings; ``local`` (base URL, auth token) points them at the local endpoint."""
    local_base_url = local[0] if local is not None else None
    if local is not None:
        token = local[1]
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

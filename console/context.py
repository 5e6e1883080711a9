"""Everything a console request needs, assembled once (see :func:`console.app.build_console`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from chargekeeper.api import BearerAuth
from chargekeeper.config.fleet import Fleet
from chargekeeper.links import Links
from console.acks import AckService
from console.auth import LoginLimiter, SessionSigner
from console.settings import ConsoleConfig
from translator import Translator


@dataclass
class ConsoleContext:
    sessions: sessionmaker[Session]
    fleet: Fleet
    config: ConsoleConfig
    signer: SessionSigner
    limiter: LoginLimiter
    acks: AckService
    translator: Translator
    links: Links
    # The one bearer check of /api/v1 (webhook token and console API tokens).
    bearer: BearerAuth

    @property
    def secure_cookies(self) -> bool:
        """Whether cookies are ``Secure``: as ``console.yaml`` says, else when technicians reach
        the console over https (its public URL). Read per request: the config can be swapped."""
        if self.config.secure_cookies is not None:
            return self.config.secure_cookies
        return urlsplit(self.links.console).scheme == "https"

    def site_zone(self, site_id: str) -> ZoneInfo:
        site = self.fleet.site(site_id)
        return ZoneInfo(site.timezone if site else "UTC")

    def local_time(self, value: datetime | None, site_id: str) -> str:
        """A store time shown in the site's time zone (technicians think in local time)."""
        if value is None:
            return ""
        return value.astimezone(self.site_zone(site_id)).strftime("%Y-%m-%d %H:%M %Z")

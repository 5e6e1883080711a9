"""The fleet file: clients, their sites (with time zones) and the chargers at each site.

Every charger's ``site``, ``client`` and ``group`` become labels on its metrics and alerts, so
identifiers here are short, stable slugs; display names are separate fields.

The file also says which drivers' idTags standalone mode accepts (``id_tags``) and, for proxy
mode, which CSMS a client's, site's or charger's connections go to (``upstream``).
"""

from __future__ import annotations

import hashlib
import re
import zoneinfo
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from chargekeeper.config.loader import load_model
from chargekeeper.config.upstream import UpstreamTemplate

SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
# OCPP 1.6 limits chargeBoxIdentity to 48 characters (CiString48 in the security whitepaper);
# the id is the last path segment of the websocket URL, so '/' and whitespace are excluded.
CHARGE_POINT_ID = re.compile(r"[A-Za-z0-9._:*+@|=-]{1,48}")


def _slug(value: str) -> str:
    if not SLUG.match(value):
        raise ValueError(
            f"{value!r} is not a valid identifier: use 1-64 letters, digits, '.', '_' or '-'"
        )
    return value


def _timezone(value: str) -> str:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {value!r}: use an IANA name such as 'Europe/Paris'"
        ) from None
    return value


def valid_charge_point_id(value: str) -> bool:
    # fullmatch: "$" would accept a trailing newline; "." and ".." are URL dot segments.
    return value not in (".", "..") and CHARGE_POINT_ID.fullmatch(value) is not None


def _charge_point_id(value: str) -> str:
    if not valid_charge_point_id(value):
        raise ValueError(
            f"{value!r} is not a valid charge point id: 1-48 characters, no '/' or spaces"
        )
    return value


Slug = Annotated[str, AfterValidator(_slug)]
TimeZone = Annotated[str, AfterValidator(_timezone)]
ChargePointId = Annotated[str, AfterValidator(_charge_point_id)]


class Strict(BaseModel):
    """Unknown keys are typos in a hand-edited file: reject them."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Client(Strict):
    id: Slug
    name: str = ""
    # Proxy mode: the CSMS this client's chargers are forwarded to, overriding --upstream;
    # a site's or a charger's own upstream wins over it (Fleet.upstream_for).
    upstream: UpstreamTemplate | None = None


class Site(Strict):
    id: Slug
    client: Slug
    name: str = ""
    timezone: TimeZone = "UTC"
    upstream: UpstreamTemplate | None = None


class Charger(Strict):
    id: ChargePointId
    site: Slug
    group: Slug = "default"
    vendor: str = ""
    model: str = ""
    # argon2 hash of the charger's Basic-auth password (OCPP security profiles 1 and 2),
    # produced by `chargekeeper exporter hash-password`. Never the password itself.
    password_hash: str | None = None
    upstream: UpstreamTemplate | None = None


class UnknownChargers(StrEnum):
    ACCEPT = "accept"
    REFUSE = "refuse"


class UnknownIdTags(StrEnum):
    ACCEPT = "accept"  # free charging for anyone who can reach a charger
    REJECT = "reject"


# 1.6 idTag is CiString20 and 2.0.1 idToken.idToken 36 characters: the longer bounds a tag.
MAX_ID_TAG = 36
ID_TAG_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


def id_tag_digest(id_tag: str) -> str:
    """How an idTag is listed and logged: ``sha256:`` and the SHA-256 of the tag in upper case
    (OCPP 1.6 and 2.0.1 compare idTags case-insensitively), so neither the file nor the log
    shows a tag at a glance. A short RFID UID can still be found by trying every value: the
    hash hides, it does not protect, so keep treating the file and the log as personal data.
    """
    return "sha256:" + hashlib.sha256(id_tag.upper().encode()).hexdigest()


def _accepted_id_tag(value: str) -> str:
    if ID_TAG_DIGEST.fullmatch(value):
        return value
    # The value is not echoed: it may be a real tag.
    if value.startswith("sha256:"):
        raise ValueError("a sha256: entry needs exactly 64 lower-case hex digits")
    if not (0 < len(value) <= MAX_ID_TAG and value.isascii() and value.isprintable()):
        raise ValueError(
            f"not an id tag: use 1-{MAX_ID_TAG} printable ASCII characters "
            "or sha256:<64 hex digits> (see id_tag_digest)"
        )
    return id_tag_digest(value)


AcceptedIdTag = Annotated[str, AfterValidator(_accepted_id_tag)]


class IdTags(Strict):
    """Standalone mode's answer to a driver's idTag (1.6 Authorize, StartTransaction and
    StopTransaction; 2.0.1 Authorize and TransactionEvent idToken): Accepted for a listed tag,
    or for every tag with ``unknown: accept``; Invalid otherwise. In proxy mode the CSMS
    answers instead. Entries are tags or their ``sha256:`` digests, kept as digests."""

    unknown: UnknownIdTags  # required: the point of this section is an explicit choice
    accepted: frozenset[AcceptedIdTag] = frozenset()

    @model_validator(mode="after")
    def _list_only_when_rejecting(self) -> IdTags:
        if self.unknown is UnknownIdTags.ACCEPT and self.accepted:
            raise ValueError(
                "accepted is never read with unknown: accept (every tag is accepted): "
                "remove the list or set unknown: reject"
            )
        return self

    def accepts(self, id_tag: str) -> bool:
        return self.unknown is UnknownIdTags.ACCEPT or id_tag_digest(id_tag) in self.accepted


# What a fleet file without an id_tags section gets: no driver is accepted until the file
# says so, because accepting unknown tags means free charging for anyone.
REJECT_ALL = IdTags(unknown=UnknownIdTags.REJECT)


class Fleet(Strict):
    # Chargers absent from this file are accepted (labelled site="unknown") or refused.
    unknown_chargers: UnknownChargers = UnknownChargers.REFUSE
    # None (no id_tags section) rejects every idTag; the exporter says so at startup.
    id_tags: IdTags | None = None
    clients: list[Client] = Field(default_factory=list)
    sites: list[Site] = Field(default_factory=list)
    chargers: list[Charger] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references(self) -> Fleet:
        problems: list[str] = []
        for kind, items in (("client", self.clients), ("site", self.sites)):
            seen: set[str] = set()
            for item in items:
                if item.id in seen:
                    problems.append(f"duplicate {kind} id {item.id!r}")
                seen.add(item.id)
        client_ids = {c.id for c in self.clients}
        site_ids = {s.id for s in self.sites}
        for site in self.sites:
            if site.client not in client_ids:
                problems.append(f"site {site.id!r} names unknown client {site.client!r}")
        charger_ids: set[str] = set()
        for charger in self.chargers:
            if charger.id in charger_ids:
                problems.append(f"duplicate charger id {charger.id!r}")
            charger_ids.add(charger.id)
            if charger.site not in site_ids:
                problems.append(f"charger {charger.id!r} names unknown site {charger.site!r}")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def site(self, site_id: str) -> Site | None:
        return next((s for s in self.sites if s.id == site_id), None)

    def charger(self, charge_point_id: str) -> Charger | None:
        return next((c for c in self.chargers if c.id == charge_point_id), None)

    @property
    def id_tag_policy(self) -> IdTags:
        return self.id_tags if self.id_tags is not None else REJECT_ALL

    def upstream_for(self, charge_point_id: str) -> str | None:
        """The most specific upstream template for a charger (its own, else its site's, else
        its client's), or None: not in the file, or no override (--upstream applies)."""
        return self._upstreams.get(charge_point_id)

    @cached_property
    def _upstreams(self) -> dict[str, str]:
        # Built once: a proxy asks on every connection, and a fleet has thousands of chargers.
        clients = {c.id: c.upstream for c in self.clients}
        sites = {s.id: s.upstream or clients.get(s.client) for s in self.sites}
        result: dict[str, str] = {}
        for charger in self.chargers:
            upstream = charger.upstream or sites.get(charger.site)
            if upstream is not None:
                result[charger.id] = upstream
        return result


def load_fleet(path: Path) -> Fleet:
    return load_model(path, Fleet)

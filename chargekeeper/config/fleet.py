"""The fleet file: clients, their sites (with time zones) and the chargers at each site.

Every charger's ``site``, ``client`` and ``group`` become labels on its metrics and alerts, so
identifiers here are short, stable slugs; display names are separate fields.
"""

from __future__ import annotations

import re
import zoneinfo
from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from chargekeeper.config.loader import load_model

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


class Site(Strict):
    id: Slug
    client: Slug
    name: str = ""
    timezone: TimeZone = "UTC"


class Charger(Strict):
    id: ChargePointId
    site: Slug
    group: Slug = "default"
    vendor: str = ""
    model: str = ""
    # argon2 hash of the charger's Basic-auth password (OCPP security profiles 1 and 2),
    # produced by `chargekeeper exporter hash-password`. Never the password itself.
    password_hash: str | None = None


class UnknownChargers(StrEnum):
    ACCEPT = "accept"
    REFUSE = "refuse"


class Fleet(Strict):
    # Chargers absent from this file are accepted (labelled site="unknown") or refused.
    unknown_chargers: UnknownChargers = UnknownChargers.REFUSE
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


def load_fleet(path: Path) -> Fleet:
    return load_model(path, Fleet)

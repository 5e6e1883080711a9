"""Standalone mode's answer to a driver's idTag, and what it says about it at startup.

The fleet file decides (chargekeeper.config.fleet.IdTags): every tag, or the listed ones, get
Accepted; any other gets Invalid, which makes the charger refuse or stop the session. Without a
fleet file at all the collector is in its try-out mode, which already admits any charger, and
accepts every tag too. Tags are logged only as their ``sha256:`` digest, the form the file's
``id_tags.accepted`` takes, so an operator can copy a refused driver's entry from the log.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from chargekeeper.config.fleet import Fleet, UnknownIdTags, id_tag_digest
from exporter.limits import LimitedLog

log = logging.getLogger("exporter.idtags")

ACCEPTED: dict[str, Any] = {"status": "Accepted"}
INVALID: dict[str, Any] = {"status": "Invalid"}

# Process-wide: a charger (or many) presenting unknown tags in a loop cannot flood the log.
_refusals = LimitedLog(time.monotonic)


def id_tag_info(fleet: Fleet | None, charge_point_id: str, id_tag: str) -> dict[str, Any]:
    """The ``status`` object of 1.6 idTagInfo or 2.0.1 idTokenInfo for ``id_tag``."""
    if fleet is None or fleet.id_tag_policy.accepts(id_tag):
        return ACCEPTED
    _refusals.warning(
        "id tag %s refused at charger %s (Invalid): not in the fleet file's id_tags.accepted",
        id_tag_digest(id_tag),
        charge_point_id,  # validated at connect (chargekeeper.config.fleet.CHARGE_POINT_ID)
    )
    return INVALID


def announce_id_tag_policy(fleet: Fleet | None) -> None:
    """Say at startup of standalone mode what a driver's idTag gets, and what that means."""
    if fleet is None:
        log.warning(
            "no --fleet given: every driver's id tag is Accepted, which is free charging for "
            "anyone who can reach a charger; set id_tags in a fleet file to choose"
        )
    elif fleet.id_tags is None:
        log.warning(
            "the fleet file has no id_tags section: every driver's id tag is answered Invalid, "
            "so no session can start; add 'id_tags: {unknown: accept}' for free charging, or "
            "'id_tags: {unknown: reject, accepted: [...]}' to list the tags that may charge"
        )
    elif fleet.id_tags.unknown is UnknownIdTags.ACCEPT:
        log.warning(
            "id_tags: unknown: accept: every driver's id tag is Accepted, which is free "
            "charging for anyone who can reach a charger"
        )
    else:
        log.info(
            "id_tags: %d listed id tag(s) are Accepted, any other is answered Invalid",
            len(fleet.id_tags.accepted),
        )

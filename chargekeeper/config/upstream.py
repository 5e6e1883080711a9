"""Upstream URL templates: where proxy mode forwards a charger's websocket.

A template is a ``ws://`` or ``wss://`` URL that may contain ``{charge_point_id}``, replaced by
the charger's id percent-encoded; without the placeholder ``/<id>`` is appended to the path.
This is the form of ``chargekeeper exporter --upstream`` and of the fleet file's per-client,
per-site and per-charger ``upstream:`` overrides.
"""

from __future__ import annotations

import string
from typing import Annotated
from urllib.parse import quote, urlsplit, urlunsplit

from pydantic import AfterValidator

PLACEHOLDER = "charge_point_id"
_SCHEMES = ("ws", "wss")


def check_upstream(template: str) -> str:
    """``template`` unchanged if it is a usable upstream template, else ValueError saying why."""
    if not template.isascii() or not template.isprintable() or " " in template:
        raise ValueError(
            f"upstream {template!r} must be ASCII without spaces or control characters"
        )
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError:
        raise ValueError(f"upstream {template!r} has an unbalanced '{{' or '}}'") from None
    for _literal, field, spec, conversion in parsed:
        if field is None:
            continue
        if field != PLACEHOLDER or spec or conversion:
            raise ValueError(f"upstream {template!r}: only {{{PLACEHOLDER}}} may appear in braces")
    try:
        raw = urlsplit(template)
        # A sample id stands in for the placeholder so the URL parses as a real one will.
        url = urlsplit(template.replace("{" + PLACEHOLDER + "}", "CP1"))
    except ValueError as exc:  # e.g. an unclosed '[' of an IPv6 host
        raise ValueError(f"upstream {template!r} is not a URL: {exc}") from None
    if url.scheme not in _SCHEMES:
        raise ValueError(f"upstream {template!r} must start with ws:// or wss://")
    if not url.hostname:
        raise ValueError(f"upstream {template!r} names no host")
    if "{" in raw.netloc:
        raise ValueError(f"upstream {template!r}: {{{PLACEHOLDER}}} belongs in the path")
    if url.username is not None or url.password is not None:
        # The fleet file is shared and committed; credentials belong in the secrets file.
        raise ValueError(f"upstream {template!r} must not carry user:password@")
    if url.fragment or template.endswith("#"):
        raise ValueError(f"upstream {template!r}: a websocket URL has no #fragment")
    try:
        url.port  # noqa: B018 - raises ValueError for a port out of range or not a number
    except ValueError:
        raise ValueError(f"upstream {template!r} has an invalid port") from None
    return template


def expand_upstream(template: str, charge_point_id: str) -> str:
    """The upstream URL for one charger: the placeholder replaced by the percent-encoded id,
    or ``/<id>`` appended to the path when the template has none."""
    encoded = quote(charge_point_id, safe="")
    marker = "{" + PLACEHOLDER + "}"
    if marker in template:
        return template.replace(marker, encoded)
    url = urlsplit(template)
    return urlunsplit(url._replace(path=url.path.rstrip("/") + "/" + encoded))


UpstreamTemplate = Annotated[str, AfterValidator(check_upstream)]

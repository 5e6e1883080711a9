"""Text from outside (chargers above all) is data: bound its length, neutralise control and
format characters, and let only http(s) links through. The one sanitiser of the product.

Codes, info texts and vendor names arrive from devices nobody on our side controls. They are
never interpreted (no format strings, no regular expressions built from them); this module
only makes them safe to store, print and put in a message.
"""

from __future__ import annotations

import unicodedata

# OCPP 1.6 CiString limits: vendorErrorCode and info are CiString50, vendorId CiString255,
# chargePointVendor CiString20; 2.0.1 techInfo is 500. We accept a little more than the spec
# (some firmware overruns it) and cut beyond that.
MAX_CODE = 100
MAX_INFO = 500
MAX_VENDOR = 255
ELLIPSIS = "…"
REPLACEMENT = "\ufffd"


def clean(value: object, limit: int) -> str | None:
    """``value`` as a printable, single-line string of at most ``limit`` characters, or None.

    Control and format characters (newlines, escape sequences, bidi overrides) become U+FFFD
    so a charger cannot forge extra lines in a message or a terminal.
    """
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    text = "".join(
        REPLACEMENT if unicodedata.category(char)[0] == "C" else char for char in text
    ).strip()
    if not text:
        return None
    if len(text) > limit:
        text = text[: limit - 1] + ELLIPSIS
    return text


def fold(text: str) -> str:
    """Comparison key: case-insensitive, whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def http_url(value: object) -> str:
    """``value`` if it is an http(s) URL on one line, else "": the one filter for links that
    come from outside (annotations, charger or config text) before a page or message shows
    them, so ``javascript:`` and ``data:`` never become a link."""
    text = value if isinstance(value, str) else ""
    if not text.startswith(("https://", "http://")) or any(
        unicodedata.category(char)[0] == "C" or char.isspace() for char in text
    ):
        return ""
    return text


def printable(text: str, keep: str = "") -> str:
    """``text`` with every control and format character but those in ``keep`` replaced by
    U+FFFD, nothing cut or stripped: for text already in a page or message (a template's
    output), where ``keep`` lets a multi-line body keep its own line breaks."""
    return "".join(
        REPLACEMENT if unicodedata.category(char)[0] == "C" and char not in keep else char
        for char in text
    )

"""SMS length in GSM 03.38 terms: what fits in how many segments, and making text fit.

A single GSM-7 SMS holds 160 septets; a concatenated one 153 per segment (the user data
header takes 7), and characters of the extension table (``^{}\\[~]|€`` and form feed) take two
septets. One character outside GSM-7 switches the whole message to UCS-2: 70 characters, or 67
per segment. Hand-written because the table is small and fixed, and no maintained package
offers exactly this.
"""

from __future__ import annotations

import unicodedata

_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_EXTENSION = "^{}\\[~]|€\f"
GSM7 = frozenset(_BASIC)
GSM7_EXTENSION = frozenset(_EXTENSION)

SINGLE_GSM7 = 160
SEGMENT_GSM7 = 153
SINGLE_UCS2 = 70
SEGMENT_UCS2 = 67

# Characters GSM-7 lacks, mapped to their nearest GSM-7 text: French letters and punctuation
# first. Every letter of the GSM-7 tables (é è ù ì ò à Ç É Ä Ö Ñ Ü ä ö ñ ü Å å Ø ø Æ æ ß …)
# is kept as it is.
_NEAREST = str.maketrans(
    {
        "ç": "c",
        "â": "a",
        "ê": "e",
        "ë": "e",
        "î": "i",
        "ï": "i",
        "ô": "o",
        "û": "u",
        "ÿ": "y",
        "À": "A",
        "Â": "A",
        "È": "E",
        "Ê": "E",
        "Ë": "E",
        "Î": "I",
        "Ï": "I",
        "Ô": "O",
        "Ù": "U",
        "Û": "U",
        "œ": "oe",
        "Œ": "OE",
        # Letters NFKD cannot reduce to ASCII (names of sites and people).
        "ł": "l",
        "Ł": "L",
        "đ": "d",
        "Đ": "D",
        "\u0131": "i",  # dotless i
        "ħ": "h",
        "\u2019": "'",
        "\u2018": "'",
        "“": '"',
        "”": '"',
        "«": '"',
        "»": '"',
        "\u2013": "-",
        "—": "-",
        "…": "...",
        "\u00a0": " ",
        "\u202f": " ",
    }
)


def is_gsm7(text: str) -> bool:
    """True when every character has a GSM-7 encoding."""
    return all(char in GSM7 or char in GSM7_EXTENSION for char in text)


def septets(text: str) -> int:
    """GSM-7 length of ``text`` (extension characters count two); only for GSM-7 text."""
    return sum(2 if char in GSM7_EXTENSION else 1 for char in text)


def segments(text: str) -> int:
    """How many SMS segments ``text`` takes."""
    if is_gsm7(text):
        length, single, per_segment = septets(text), SINGLE_GSM7, SEGMENT_GSM7
    else:
        # UCS-2 counts UTF-16 code units: a character beyond the BMP takes two.
        length = len(text.encode("utf-16-le")) // 2
        single, per_segment = SINGLE_UCS2, SEGMENT_UCS2
    if length <= single:
        return 1
    return -(-length // per_segment)


def to_gsm7(text: str) -> str:
    """``text`` with every character GSM-7 can carry: nearest letter, accents dropped, else '?'.

    Control characters (charger-supplied text may hold any) become spaces, so an SMS can never
    carry a line the template did not write.
    """
    out: list[str] = []
    for char in text.translate(_NEAREST):
        if char in GSM7 or char in GSM7_EXTENSION:
            out.append(" " if char in "\r\f" else char)
            continue
        if unicodedata.category(char).startswith("C"):
            out.append(" ")
            continue
        base = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
        out.append(base if base and is_gsm7(base) else "?")
    return "".join(out)


def sanitise(text: str, limit: int) -> str:
    """Untrusted text for an SMS line: GSM-7 only, one line, whitespace collapsed, cut."""
    flat = " ".join(to_gsm7(text).split())
    return truncate(flat, limit)


def truncate(text: str, max_septets: int) -> str:
    """``text`` cut to ``max_septets`` GSM-7 septets, ending in '...' when cut (if it fits)."""
    if septets(text) <= max_septets:
        return text
    ellipsis = "..." if max_septets > len("...") else ""
    budget = max_septets - len(ellipsis)
    out: list[str] = []
    used = 0
    for char in text:
        cost = 2 if char in GSM7_EXTENSION else 1
        if used + cost > budget:
            break
        out.append(char)
        used += cost
    return "".join(out).rstrip() + ellipsis

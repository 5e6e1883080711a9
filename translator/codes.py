"""Code keys and decoders: how a raw vendorErrorCode becomes one or more catalog keys.

A code is not always a plain key. Zaptec sends a decimal bitmask of warnings, ABB writes a hex
error register with varying width (``0x00``, ``0x0000``) whose bits combine (``0x0006``),
Bender/ebee controllers put the meaning in ``info``, EVgo MREC sends several codes
comma-separated, EVerest prefixes a type path. Each set names its
:class:`~translator.schema.CodeFormat`; :func:`code_key` gives the key a catalog entry is
stored under and :func:`candidate_keys` the keys to try for a received code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from chargekeeper.untrusted import fold
from translator.schema import CodeFormat

_HEX = re.compile(r"^0x([0-9a-f]+)$")
_DECIMAL = re.compile(r"^[0-9]+$")
# Zaptec's register is 32 bits wide; anything longer is not a bitmask we know how to read.
_MAX_BITMASK_DIGITS = 10
# ABB's Terra AC error register is 16 bits; 8 hex digits (32 bits) leave room for wider ones.
_MAX_HEX_BITMASK_DIGITS = 8
_HEX_FORMATS = frozenset({CodeFormat.HEX, CodeFormat.HEX_BITMASK})
# Bender/ebee documentation uses OCPP 1.5 names; 1.6 renamed Mode3Error.
LEGACY_ERROR_CODES = {"mode3error": "evcommunicationerror"}
INFO_SEPARATOR = "|"


def _fold_error_code(error_code: str) -> str:
    folded = fold(error_code)
    return LEGACY_ERROR_CODES.get(folded, folded)


def code_key(code: str, code_format: CodeFormat) -> str:
    """The normalised key for ``code`` in a set written in ``code_format``."""
    folded = fold(code)
    if code_format in _HEX_FORMATS:
        match = _HEX.match(folded)
        if match:
            return f"0x{int(match.group(1), 16):04x}"
    elif code_format is CodeFormat.DECIMAL_BITMASK:
        if _DECIMAL.match(folded) and len(folded) <= _MAX_BITMASK_DIGITS:
            return str(int(folded))
    elif code_format is CodeFormat.INFO_TEXT and INFO_SEPARATOR in folded:
        error_code, _, info = folded.partition(INFO_SEPARATOR)
        return f"{_fold_error_code(error_code.strip())}{INFO_SEPARATOR}{info.strip()}"
    return folded


def info_key(error_code: str | None, info: str) -> str:
    """The key an info-text set stores the pair (errorCode, info) under."""
    return f"{_fold_error_code(error_code or '')}{INFO_SEPARATOR}{fold(info)}"


_DECIMAL_ZERO = re.compile(r"^0+\.0+$")


def is_zero(code: str) -> bool:
    """True for codes that spell the number zero (``0``, ``0x00``, ``0000``; Schneider ``0.0``)."""
    folded = fold(code)
    if _DECIMAL_ZERO.match(folded):
        return True
    match = _HEX.match(folded)
    digits = match.group(1) if match else folded
    return bool(_DECIMAL.match(digits)) and int(digits) == 0


@dataclass(frozen=True)
class KeyPart:
    """One piece of a received code to look up: ``label`` is what the technician sees."""

    label: str
    keys: tuple[str, ...]


def split_bitmask(code: str) -> list[int] | None:
    """The set bits of a decimal bitmask, lowest first, or None if ``code`` is not one."""
    folded = fold(code)
    if not _DECIMAL.match(folded) or len(folded) > _MAX_BITMASK_DIGITS:
        return None
    value = int(folded)
    return [1 << bit for bit in range(value.bit_length()) if value >> bit & 1]


def split_hex_bitmask(code: str) -> list[int] | None:
    """The set bits of a hex bitmask (``0x0006``), lowest first, or None if it is not one."""
    match = _HEX.match(fold(code))
    if not match or len(match.group(1).lstrip("0")) > _MAX_HEX_BITMASK_DIGITS:
        return None
    value = int(match.group(1), 16)
    return [1 << bit for bit in range(value.bit_length()) if value >> bit & 1]


def candidate_parts(code: str, code_format: CodeFormat) -> list[list[KeyPart]]:
    """Ways to read ``code``, most literal first; each way is a list of parts to look up.

    The lookup takes the first way whose parts are all known; if none is, it reports the
    parts of the most specific way that matched best.
    """
    ways: list[list[KeyPart]] = [[KeyPart(code, (code_key(code, code_format),))]]
    if code_format is CodeFormat.DECIMAL_BITMASK:
        bits = split_bitmask(code)
        if bits is not None and len(bits) > 1:
            ways.append([KeyPart(f"{code} bit {b.bit_length() - 1}", (str(b),)) for b in bits])
    if code_format is CodeFormat.HEX_BITMASK:
        bits = split_hex_bitmask(code)
        if bits is not None and len(bits) > 1:
            # The label names the bit's own value too: technicians compare it with the manual.
            ways.append(
                [
                    KeyPart(f"{code} bit {b.bit_length() - 1} (0x{b:04x})", (f"0x{b:04x}",))
                    for b in bits
                ]
            )
    if "," in code:
        pieces = [piece.strip() for piece in code.split(",") if piece.strip()]
        if len(pieces) > 1:
            ways.append([KeyPart(piece, (code_key(piece, code_format),)) for piece in pieces])
    if "/" in code:
        # EVerest reports "<interface>/<ErrorType>" and sometimes a subtype after it; the
        # catalog is keyed by the error type, so try every path segment, rightmost first.
        segments = [segment.strip() for segment in code.split("/") if segment.strip()]
        keys = tuple(code_key(segment, code_format) for segment in reversed(segments))
        ways.append([KeyPart(code, keys)])
    return ways

"""Which manufacturer's table to import first: unknown codes grouped and ranked by reach.

A code that ten chargers send matters more than one a single charger repeats a thousand times,
so manufacturers are ranked by distinct chargers affected, then by occurrences; inside a
manufacturer, codes are ranked the same way. The store lists at most
:data:`~translator.unknown.MAX_CHARGERS_LISTED` chargers per code, so when a code has more,
the manufacturer's total is a lower bound and says so (``chargers_exact`` is False).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from translator.unknown import UnknownCode


@dataclass(frozen=True)
class ManufacturerGap:
    """One manufacturer's unknown codes, and how far they reach across the fleet."""

    vendor: str
    chargers: int
    chargers_exact: bool
    occurrences: int
    codes: tuple[UnknownCode, ...]


def _code_rank(code: UnknownCode) -> tuple[int, int, str]:
    return (-code.charger_count, -code.count, code.code)


def rank_by_manufacturer(codes: Iterable[UnknownCode]) -> list[ManufacturerGap]:
    """Group ``codes`` by vendor; the manufacturer whose table would help most comes first."""
    by_vendor: dict[str, list[UnknownCode]] = {}
    for code in codes:
        by_vendor.setdefault(code.vendor, []).append(code)
    gaps = []
    for vendor, vendor_codes in by_vendor.items():
        listed = {charger for code in vendor_codes for charger in code.chargers}
        exact = all(code.charger_count == len(code.chargers) for code in vendor_codes)
        widest = max(code.charger_count for code in vendor_codes)
        gaps.append(
            ManufacturerGap(
                vendor=vendor,
                chargers=len(listed) if exact else max(len(listed), widest),
                chargers_exact=exact,
                occurrences=sum(code.count for code in vendor_codes),
                codes=tuple(sorted(vendor_codes, key=_code_rank)),
            )
        )
    return sorted(gaps, key=lambda g: (-g.chargers, -g.occurrences, g.vendor.casefold()))

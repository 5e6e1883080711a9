"""Sets of whole minutes, kept as sorted disjoint ranges, for minute accounting.

A year of one port is 525,600 minutes; ranges keep the arithmetic proportional to the number
of state changes instead.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class MinuteSet:
    """Half-open ranges ``[first, end)`` of minute indices, sorted and not touching."""

    ranges: tuple[tuple[int, int], ...] = ()

    @classmethod
    def of(cls, ranges: Iterable[tuple[int, int]]) -> MinuteSet:
        merged: list[tuple[int, int]] = []
        for first, end in sorted(r for r in ranges if r[1] > r[0]):
            if merged and first <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
            else:
                merged.append((first, end))
        return cls(tuple(merged))

    @classmethod
    def touched(cls, spans: Iterable[tuple[float, float]], origin: float) -> MinuteSet:
        """Every minute (counted from ``origin``, in seconds) that a span covers any part of."""
        return cls.of(
            (math.floor((start - origin) / 60), math.ceil((end - origin) / 60))
            for start, end in spans
            if end > start
        )

    def __len__(self) -> int:
        return sum(end - first for first, end in self.ranges)

    def __or__(self, other: MinuteSet) -> MinuteSet:
        return MinuteSet.of(self.ranges + other.ranges)

    def __sub__(self, other: MinuteSet) -> MinuteSet:
        result: list[tuple[int, int]] = []
        for first, end in self.ranges:
            start = first
            for cut_first, cut_end in other.ranges:
                if cut_end <= start or cut_first >= end:
                    continue
                if cut_first > start:
                    result.append((start, cut_first))
                start = max(start, cut_end)
                if start >= end:
                    break
            if start < end:
                result.append((start, end))
        return MinuteSet(tuple(result))

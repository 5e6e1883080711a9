"""A seeded random source small enough to give each of 10,000 chargers its own.

``random.Random`` carries 2.5 KB of Mersenne Twister state per instance, which is 25 MB for a
10,000-charger fleet before a single frame is sent. SplitMix64 keeps one integer, is fast, and
has good statistical quality for simulation (it is the generator Java's SplittableRandom uses).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import TypeVar

_MASK64 = (1 << 64) - 1
_T = TypeVar("_T")


class SeededRng:
    """Deterministic random numbers from a seed and a stream name (e.g. a charger id)."""

    __slots__ = ("_state",)

    def __init__(self, seed: int, stream: str) -> None:
        digest = hashlib.blake2b(f"{seed}/{stream}".encode(), digest_size=8).digest()
        self._state = int.from_bytes(digest, "big")

    def next_u64(self) -> int:
        self._state = (self._state + 0x9E3779B97F4A7C15) & _MASK64
        z = self._state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
        return z ^ (z >> 31)

    def random(self) -> float:
        """A float in [0, 1)."""
        return (self.next_u64() >> 11) * (1.0 / (1 << 53))

    def uniform(self, low: float, high: float) -> float:
        return low + (high - low) * self.random()

    def randrange(self, stop: int) -> int:
        if stop <= 0:
            raise ValueError(f"randrange needs a positive bound, got {stop}")
        return self.next_u64() % stop  # bias below 2**-40 for the small bounds used here

    def choice(self, options: Sequence[_T]) -> _T:
        return options[self.randrange(len(options))]

    def chance(self, probability: float) -> bool:
        return self.random() < probability

    def hex_id(self) -> str:
        """A 16-hex-digit identifier (e.g. an OCPP 2.0.1 transactionId)."""
        return f"{self.next_u64():016x}"

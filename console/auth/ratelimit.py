"""Login throttling: too many failures for one username from one address, or from one address
in all, locks that pair or that address for a while.

There is no lock on a username alone: anyone could then lock a colleague out by failing five
times under their name. Guessing one user's password is slowed per address (five tries per
window), trying passwords on many users from one address by the address's own budget. The
username is counted under its canonical form (:func:`console.auth.names.username_key`), the
same key the login looks the user up by.

Memory is bounded whatever is tried: a key exists only once it has failed (asking whether a
name is blocked stores nothing), it keeps at most ``max_failures`` times, it is dropped once
its last failure is older than the window, and past ``max_keys`` keys the one whose last
failure is oldest is evicted.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from console.auth.names import username_key

# Five wrong passwords in fifteen minutes is more than a person mistyping and far too few
# for guessing; a success clears the count of that username from that address.
MAX_FAILURES = 5
# An address in all (an office behind one NAT holds several people who may mistype).
MAX_ADDRESS_FAILURES = 4 * MAX_FAILURES
WINDOW_SECONDS = 15 * 60
# About 200 bytes a key, so at most a few megabytes. Evicting a key forgets its failures, so
# an attacker must fail from enough addresses to push out 10,000 keys to reset one count.
MAX_KEYS = 10_000
# An address comes from the peer or a trusted proxy's X-Forwarded-For; cut whatever it holds.
MAX_ADDRESS = 64


class LoginLimiter:
    """Counts failed logins per key in a sliding window (in memory, per process)."""

    def __init__(
        self,
        max_failures: int = MAX_FAILURES,
        window_seconds: float = WINDOW_SECONDS,
        max_keys: int = MAX_KEYS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._max = max_failures
        self._window = window_seconds
        self._max_keys = max_keys
        self._clock = clock
        # Key -> times of its recent failures, ordered by each key's last failure (oldest first).
        self._failures: OrderedDict[str, tuple[float, ...]] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def keys(username: str, address: str) -> tuple[str, str]:
        """The (username, address) pair's key and the address's."""
        address = address[:MAX_ADDRESS]
        return (f"pair:{username_key(username)}\n{address}", f"addr:{address}")

    def _limit(self, key: str) -> int:
        return (
            self._max * MAX_ADDRESS_FAILURES // MAX_FAILURES
            if key.startswith("addr:")
            else self._max
        )

    def __len__(self) -> int:
        with self._lock:
            return len(self._failures)

    def blocked(self, username: str, address: str) -> bool:
        """Whether the username from this address, or the address, has too many recent failures."""
        with self._lock:
            horizon = self._clock() - self._window
            return any(
                len(self._recent(key, horizon)) >= self._limit(key)
                for key in self.keys(username, address)
            )

    def failed(self, username: str, address: str) -> None:
        with self._lock:
            now = self._clock()
            horizon = now - self._window
            for key in self.keys(username, address):
                limit = self._limit(key)
                kept = self._recent(key, horizon)[-(limit - 1) :] if limit > 1 else ()
                self._failures[key] = (*kept, now)
                self._failures.move_to_end(key)
            self._forget(horizon)

    def succeeded(self, username: str, address: str) -> None:
        with self._lock:
            self._failures.pop(self.keys(username, address)[0], None)

    def _recent(self, key: str, horizon: float) -> tuple[float, ...]:
        return tuple(at for at in self._failures.get(key, ()) if at > horizon)

    def _forget(self, horizon: float) -> None:
        """Drop the keys whose last failure left the window, then the oldest beyond the cap."""
        while self._failures:
            key, times = next(iter(self._failures.items()))
            if times[-1] > horizon and len(self._failures) <= self._max_keys:
                return
            del self._failures[key]

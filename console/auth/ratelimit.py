"""Login throttling: too many failures for one username or one address locks it for a while.

Both keys are counted so that neither guessing many passwords for one user (from many
addresses) nor trying one password on many users (from one address) goes unchecked. The
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
# for guessing; a success clears the username's count.
MAX_FAILURES = 5
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
        return (f"user:{username_key(username)}", f"addr:{address[:MAX_ADDRESS]}")

    def __len__(self) -> int:
        with self._lock:
            return len(self._failures)

    def blocked(self, username: str, address: str) -> bool:
        """Whether either the username or the address has too many recent failures."""
        with self._lock:
            horizon = self._clock() - self._window
            return any(
                len(self._recent(key, horizon)) >= self._max for key in self.keys(username, address)
            )

    def failed(self, username: str, address: str) -> None:
        with self._lock:
            now = self._clock()
            horizon = now - self._window
            for key in self.keys(username, address):
                kept = self._recent(key, horizon)[-(self._max - 1) :] if self._max > 1 else ()
                self._failures[key] = (*kept, now)
                self._failures.move_to_end(key)
            self._forget(horizon)

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._failures.pop(self.keys(username, "")[0], None)

    def _recent(self, key: str, horizon: float) -> tuple[float, ...]:
        return tuple(at for at in self._failures.get(key, ()) if at > horizon)

    def _forget(self, horizon: float) -> None:
        """Drop the keys whose last failure left the window, then the oldest beyond the cap."""
        while self._failures:
            key, times = next(iter(self._failures.items()))
            if times[-1] > horizon and len(self._failures) <= self._max_keys:
                return
            del self._failures[key]

"""Login throttling: too many failures for one username or one address locks it for a while.

Both keys are counted so that neither guessing many passwords for one user (from many
addresses) nor trying one password on many users (from one address) goes unchecked.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

# Five wrong passwords in fifteen minutes is more than a person mistyping and far too few
# for guessing; a success clears the username's count.
MAX_FAILURES = 5
WINDOW_SECONDS = 15 * 60


class LoginLimiter:
    """Counts failed logins per key in a sliding window (in memory, per process)."""

    def __init__(
        self,
        max_failures: int = MAX_FAILURES,
        window_seconds: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._max = max_failures
        self._window = window_seconds
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def keys(username: str, address: str) -> tuple[str, str]:
        return (f"user:{username.casefold()}", f"addr:{address}")

    def blocked(self, username: str, address: str) -> bool:
        """Whether either the username or the address has too many recent failures."""
        with self._lock:
            return any(len(self._recent(key)) >= self._max for key in self.keys(username, address))

    def failed(self, username: str, address: str) -> None:
        with self._lock:
            now = self._clock()
            for key in self.keys(username, address):
                self._recent(key).append(now)

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._failures.pop(self.keys(username, "")[0], None)

    def _recent(self, key: str) -> deque[float]:
        entries = self._failures.setdefault(key, deque())
        horizon = self._clock() - self._window
        while entries and entries[0] <= horizon:
            entries.popleft()
        return entries

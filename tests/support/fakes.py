"""Stand-ins for the narrow interfaces components take, so that tests need no monkeypatching."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Generic, TypeVar

from exporter.events import Event

Time = TypeVar("Time", float, datetime)


class ManualClock(Generic[Time]):
    """A clock that stands still until the test moves it.

    Float Unix seconds for the collector (``FleetState``), an aware datetime for the receiver
    and the console (``chargekeeper.clock.Clock``). Pass it where a clock is taken; set ``now``
    or call ``advance`` to move time.
    """

    def __init__(self, now: Time) -> None:
        self.now: Time = now

    def __call__(self) -> Time:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds``."""
        if isinstance(self.now, datetime):
            self.now = self.now + timedelta(seconds=seconds)
        else:
            self.now = self.now + seconds


class RecordingSink:
    """An exporter ``EventSink`` that keeps every event emitted, in order, for assertions."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def emit(self, event: Event) -> None:
        self.events.append(event)

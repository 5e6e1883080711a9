"""Schedules as windows: the on-call schedules of the policy as plain spans of minutes on
weekdays or dates, which the route plan evaluates and ``alertmanager.yml`` renders."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from chargekeeper.config.routing import (
    DAY_MINUTES,
    WEEKDAYS,
    Holiday,
    Schedule,
    minutes_of_day,
)


@dataclass(frozen=True)
class Window:
    """Minutes [start, end) of the days given by weekday indexes (0 = Monday) or one date."""

    start: int
    end: int
    weekdays: frozenset[int] = frozenset()
    on_date: date | None = None

    def contains(self, local: datetime) -> bool:
        minute = local.hour * 60 + local.minute
        if not self.start <= minute < self.end:
            return False
        if self.on_date is not None:
            return local.date() == self.on_date
        return local.weekday() in self.weekdays


def weekday_indexes(ranges: Iterable[str]) -> frozenset[int]:
    days: set[int] = set()
    for text in ranges:
        first, _, last = text.partition(":")
        start = WEEKDAYS.index(first)
        stop = WEEKDAYS.index(last or first)
        span = (stop - start) % 7
        days.update((start + offset) % 7 for offset in range(span + 1))
    return frozenset(days)


def schedule_windows(schedule: Schedule, holidays: Sequence[Holiday]) -> list[Window]:
    """The schedule as plain windows; a range crossing midnight continues on the next day."""
    days = weekday_indexes(schedule.weekdays)
    windows: list[Window] = []
    holiday_dates = [h.date for h in holidays] if schedule.holidays == "include" else []
    for span in schedule.times:
        start, end = minutes_of_day(span.start), minutes_of_day(span.end)
        if start < end:
            windows.append(Window(start, end, weekdays=days))
            windows += [Window(start, end, on_date=day) for day in holiday_dates]
        else:
            windows.append(Window(start, DAY_MINUTES, weekdays=days))
            if end > 0:
                next_days = frozenset((day + 1) % 7 for day in days)
                windows.append(Window(0, end, weekdays=next_days))
            for day in holiday_dates:
                windows.append(Window(start, DAY_MINUTES, on_date=day))
                if end > 0:
                    windows.append(Window(0, end, on_date=day + timedelta(days=1)))
    return windows

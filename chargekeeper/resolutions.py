"""The resolution feed: how the console hands the receiver a resolution Alertmanager muted.

Alertmanager mutes a silenced alert's resolution as well as its repeats
(prometheus/alertmanager#226). The console, which made the silence when someone acknowledged
the alert, learns the resolution from Alertmanager's API; the receiver tells it like any other.
The root (``chargekeeper.receiver``) connects the two through this interface, so neither
imports the other.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class ResolutionNotStored(RuntimeError):
    """The receiver cannot store a resolution now (it is stopping); the next sweep retries."""


class ResolutionFeed(Protocol):
    async def resolved(self, alert_id: int, ends_at: datetime, source: str, reason: str) -> int:
        """Tell that stored alert ``alert_id`` resolved at ``ends_at``, noting ``source`` and
        ``reason``; how many webhooks were stored for it (0 when it was no longer firing, or
        no receiver ever carried it). Raises :class:`ResolutionNotStored`."""
        ...

"""Stage 'route': who is told. The receiver name Alertmanager routed a group to becomes the
notices for its people, one per recipient, channel and alert status.

The routing domain (``chargekeeper.routing``) turns the name into people; escalation names its
tier's people itself and enters here through :func:`notices_for`. The recording route's
``record`` and the Watchdog's ``deadman`` name nobody: their webhooks are stored and processed
into no notice, which is neither a failure nor an unknown receiver.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace

from alertmanager.stages.base import Notice, Origin, StoredAlert
from chargekeeper.routing import Recipient, RecipientResolver

log = logging.getLogger(__name__)

# Firing news before resolved news, as a recipient reads them.
STATUSES = ("firing", "resolved")


class Route:
    """The notices for a stored webhook, from the routing policy in force."""

    def __init__(self, resolve: RecipientResolver) -> None:
        self._resolve = resolve

    def __call__(
        self, receiver: str, alerts: Sequence[StoredAlert], origin: Origin
    ) -> list[Notice]:
        return notices_for(one_each(self._resolve(receiver)), alerts, origin)


def notices_for(
    recipients: Sequence[Recipient], alerts: Sequence[StoredAlert], origin: Origin
) -> list[Notice]:
    """One notice per recipient, channel they have an address on, and status among ``alerts``."""
    notices = []
    for recipient in recipients:
        for channel in recipient.channels:
            address = recipient.address(channel)
            if address is None:
                log.warning(
                    "technician %s has no %s address: skipped", recipient.technician_id, channel
                )
                continue
            for status in STATUSES:
                chosen = [stored for stored in alerts if stored.alert.status == status]
                if chosen:
                    notices.append(Notice(recipient, channel, address, status, chosen, origin))
    return notices


def one_each(recipients: Sequence[Recipient]) -> list[Recipient]:
    """One entry per technician, channels merged: a person named twice is told once."""
    merged: dict[str, Recipient] = {}
    for recipient in recipients:
        known = merged.get(recipient.technician_id)
        if known is not None:
            channels = tuple(dict.fromkeys(known.channels + recipient.channels))
            recipient = replace(known, channels=channels)
        merged[recipient.technician_id] = recipient
    return list(merged.values())

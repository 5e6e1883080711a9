"""The message a notifier sends: what the outbox row holds, detached from the store."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OutgoingMessage:
    delivery_id: int
    dedup_key: str
    channel: str
    address: str
    recipient_name: str
    language: str
    subject: str
    body_text: str
    body_html: str

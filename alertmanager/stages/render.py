"""Stage 'render': each notice becomes a message, the outbox row that will carry it.

Subject and bodies come from the templates (``alertmanager.messages``), in the recipient's
language and time zone; the row also says where to fail over to if its channel keeps failing.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from alertmanager.messages import MessageContext, Renderer
from alertmanager.stages.base import Notice
from chargekeeper.clock import Clock, utc_now
from chargekeeper.links import Links
from chargekeeper.store import Delivery, DeliveryAlert, DeliveryState


class Render:
    """Fills each notice's delivery from its views."""

    def __init__(self, renderer: Renderer, links: Links, clock: Clock = utc_now) -> None:
        self._renderer = renderer
        self._links = links
        self._clock = clock

    def __call__(self, session: Session, notices: Sequence[Notice]) -> list[Notice]:
        for notice in notices:
            notice.delivery = self.delivery(notice)
        return list(notices)

    def delivery(self, notice: Notice) -> Delivery:
        """The outbox row for ``notice`` (not in the session yet; its dedup key not set)."""
        views, recipient, channel = notice.views, notice.recipient, notice.channel
        site = notice.site or views[0].site
        now = self._clock()
        context = MessageContext(
            status=notice.status,
            recipient_name=recipient.name,
            language=recipient.language,
            timezone=recipient.timezone,
            alerts=views,
            site_name=views[0].site_name,
            group_console_url=self._links.site(site) if len(views) > 1 else "",
            escalation_tier=notice.origin.escalation_tier,
            now=now,
        )
        if channel == "email":
            email = self._renderer.email(context)
            subject, text, html = email.subject, email.text, email.html
        else:
            subject, text, html = "", self._renderer.sms(context), ""
        other = recipient.other_channel(channel)
        return Delivery(
            status=notice.status,
            recipient_id=recipient.technician_id,
            recipient_name=recipient.name,
            channel=channel,
            address=notice.address,
            language=recipient.language,
            subject=subject,
            body_text=text,
            body_html=html,
            state=DeliveryState.PENDING,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
            failover_channel=other,
            failover_address=recipient.address(other) if other else None,
            timezone=recipient.timezone,
            receipt_id=notice.origin.receipt_id,
            group_key=notice.origin.group_key,
            site=site[:255],  # the column's length (PostgreSQL enforces it)
            alerts=[DeliveryAlert(alert_id=stored.row.id) for stored in notice.alerts],
        )

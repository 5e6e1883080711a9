"""Messages from templates: Jinja2 per channel and language (``templates/<lang>/``).

Email HTML is autoescaped, so charger-supplied text (codes, ``info``, descriptions) can never
become markup. SMS text is made GSM-7 and cut to fit two segments while still saying what and
where; a site-wide group is one message that lists its chargers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jinja2

from alertmanager import gsm

TEMPLATES_DIR = Path(__file__).parent / "templates"
LANGUAGES = ("en", "fr")
SMS_MAX_SEGMENTS = 2
SMS_MAX_SEPTETS = gsm.SEGMENT_GSM7 * SMS_MAX_SEGMENTS  # 306
# Charger-supplied strings in an SMS line are cut to this many characters.
SMS_FIELD_LIMIT = 60


@dataclass(frozen=True)
class AlertView:
    """One alert as a template shows it, already translated into the recipient's language."""

    alertname: str
    status: str
    severity: str
    family: str
    site: str
    site_name: str
    charge_point_id: str
    connector_id: str
    starts_at: datetime
    ends_at: datetime | None
    code: str = ""  # the raw codes as received, e.g. "OtherError / 210"
    title: str = ""  # translated meaning of the code(s)
    explanation: str = ""
    action: str = ""
    summary: str = ""
    description: str = ""
    runbook_url: str = ""
    console_url: str = ""
    dashboard_url: str = ""


@dataclass(frozen=True)
class EmailContent:
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class MessageContext:
    """Everything a template may use."""

    status: str
    recipient_name: str
    language: str
    timezone: str
    alerts: Sequence[AlertView]
    site_name: str = ""
    group_console_url: str = ""
    # Set when this message escalates an unacknowledged alert to the given tier.
    escalation_tier: int | None = None


def _language(tag: str) -> str:
    base = tag.lower().replace("_", "-").split("-")[0]
    return base if base in LANGUAGES else "en"


class Renderer:
    """Loads the templates once; renders email and SMS bodies."""

    def __init__(self, templates_dir: Path = TEMPLATES_DIR) -> None:
        self._env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(templates_dir),
            autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=False),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
        )
        self._env.filters["sms"] = _sms_field
        self._env.filters["oneline"] = _one_line

    def _template(self, language: str, name: str) -> jinja2.Template:
        return self._env.get_template(f"{_language(language)}/{name}")

    def email(self, context: MessageContext) -> EmailContent:
        """Subject, plain text and HTML of an email."""
        values = _values(context)
        subject = _one_line(self._template(context.language, "email_subject.txt").render(values))
        return EmailContent(
            subject=subject,
            text=self._template(context.language, "email.txt").render(values),
            html=self._template(context.language, "email.html").render(values),
        )

    def sms(self, context: MessageContext) -> str:
        """An SMS of at most two GSM-7 segments: as many alerts listed as fit."""
        template = self._template(context.language, "sms.txt")
        shown = len(context.alerts)
        while True:
            values = _values(context, shown=shown)
            text = _sms_text(template.render(values))
            if gsm.septets(text) <= SMS_MAX_SEPTETS or shown <= 1:
                return gsm.truncate(text, SMS_MAX_SEPTETS)
            shown -= 1


def _values(context: MessageContext, shown: int | None = None) -> dict[str, object]:
    zone = _zone(context.timezone)
    alerts = list(context.alerts)
    shown = len(alerts) if shown is None else shown
    first = min((alert.starts_at for alert in alerts), default=None)
    return {
        "ctx": context,
        "alerts": alerts,
        "shown": alerts[:shown],
        "hidden": len(alerts) - shown,
        "first": alerts[0] if alerts else None,
        "count": len(alerts),
        "since": _local(first, zone),
        "local": lambda value: _local(value, zone),
        "site_wide": len({alert.charge_point_id for alert in alerts}) > 1,
        "severity": _worst(alert.severity for alert in alerts),
    }


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _local(value: datetime | None, zone: ZoneInfo) -> str:
    if value is None:
        return ""
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


_SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}


def _worst(severities: Iterable[str]) -> str:
    return min(severities, key=lambda s: _SEVERITY_ORDER.get(s, 3), default="")


def _one_line(value: object) -> str:
    return " ".join(str(value).split())


def _sms_field(value: object, limit: int = SMS_FIELD_LIMIT) -> str:
    return gsm.sanitise(str(value), limit)


def _sms_text(rendered: str) -> str:
    # The template's own lines survive; everything is made GSM-7 and blank lines dropped.
    lines = (" ".join(gsm.to_gsm7(line).split()) for line in rendered.splitlines())
    return "\n".join(line for line in lines if line)

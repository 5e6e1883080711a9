"""Messages from templates: Jinja2 per channel and language (``templates/<lang>/``).

Email HTML is autoescaped, so charger-supplied text (codes, ``info``, descriptions) can never
become markup, and every value a template prints passes :func:`_printable`, so none carries a
line break, an escape sequence or a bidi override into any channel (a forged line in the plain
text, ``gpj.exe`` shown as ``exe.jpg``); links pass the kernel's ``http_url``.

SMS text is made GSM-7 (one character outside it would halve the room, UCS-2) and sized for
the sender's rate, which Twilio meters in segments: an alert about one charger fits one
segment, a site-wide group (one message listing its chargers) two. What and where survive
every cut; the email carries the details.

"Since" is when the fault began (the rules' ``since`` annotation, see rules/README.md), not the
alert's ``startsAt``, which is when its current severity fired; durations run from it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jinja2

from alertmanager import gsm
from chargekeeper.untrusted import http_url, printable

TEMPLATES_DIR = Path(__file__).parent / "templates"
LANGUAGES = ("en", "fr")
# The sender's rate is in segments per second (1 for a US long code, the default), so every
# segment an alert takes delays the next alert's SMS by a second.
SMS_ONE_CHARGER_SEPTETS = gsm.SINGLE_GSM7  # 160: one segment
SMS_SITE_WIDE_SEGMENTS = 2
SMS_SITE_WIDE_SEPTETS = gsm.SEGMENT_GSM7 * SMS_SITE_WIDE_SEGMENTS  # 306
# Charger-supplied strings in an SMS line are cut to this many septets unless a template says less.
SMS_FIELD_LIMIT = 60
# A translated problem cut shorter than this says too little to be worth its room.
SMS_MIN_TITLE = 12

Since = Literal["date", "time", ""]
_SINCE_FORMATS: dict[Since, str] = {"date": "%Y-%m-%d %H:%M %Z", "time": "%H:%M %Z", "": ""}


@dataclass(frozen=True)
class SmsDetail:
    """How much of each part an SMS shows (templates read it as ``detail``).

    Lengths are in septets and cut charger-supplied text; 0 leaves the part out.
    """

    names: int = 40  # a charger id or a site name
    code: int = 30  # the raw code(s) as received
    title: int = 80  # the translated problem
    since: Since = "date"  # when it began: date and time, the time only, or not at all
    link: bool = True  # the console link, where the alert is acknowledged
    title_takes_rest: bool = False  # the title is cut to the room the rest leaves


_FULL = SmsDetail()
# What a one-charger SMS gives up, in this order, until it fits one segment: the day (a firing
# SMS comes seconds after the fault), the raw code (the email has it), the time, the end of
# the translated problem, room in the charger id and site name, the translated problem, and
# last the link rather than cut it (a cut link may point at another alert). The severity, the
# charger, the alert's own words for what and the site are never given up.
ONE_CHARGER_STEPS: tuple[SmsDetail, ...] = (
    _FULL,
    replace(_FULL, since="time"),
    replace(_FULL, since="time", code=0),
    replace(_FULL, since="", code=0),
    replace(_FULL, since="", code=0, title_takes_rest=True),
    replace(_FULL, since="", code=0, title_takes_rest=True, names=20),
    replace(_FULL, since="", code=0, title=0, names=20),
    replace(_FULL, since="", code=0, title_takes_rest=True, names=20, link=False),
)
# A site-wide SMS gives up charger lines instead, counting those left out.
SITE_WIDE_DETAIL = _FULL


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
    cause: str = ""  # the likely cause, from the code catalog
    client: str = ""
    vendor: str = ""
    model: str = ""
    # When the fault began (the rules' ``since`` annotation); None: the alert's own start.
    fault_since: datetime | None = None
    soc_percent: str = ""  # the SoC a stalled charge is stuck at, whole percent (digits)

    @property
    def began(self) -> datetime:
        """The fault's start: a critical variant starts later than the fault it reports."""
        return self.fault_since or self.starts_at


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
    # When the message is written: how long a firing fault has lasted so far.
    now: datetime | None = None


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
            finalize=_printable,
        )
        self._env.filters["sms"] = _sms_field
        self._env.filters["oneline"] = _one_line
        self._env.filters["http_only"] = http_url

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
        """A GSM-7 SMS: one segment about one charger, at most two for a site-wide group."""
        template = self._template(context.language, "sms.txt")
        if _site_wide(context.alerts):
            return _site_wide_sms(template, context)
        return _one_charger_sms(template, context)


def _one_charger_sms(template: jinja2.Template, context: MessageContext) -> str:
    """The first of :data:`ONE_CHARGER_STEPS` that fits one segment."""
    title = context.alerts[0].title if context.alerts else ""
    text = ""
    for detail in ONE_CHARGER_STEPS:
        text = _render_sms(template, context, detail)
        over = gsm.septets(text) - SMS_ONE_CHARGER_SEPTETS
        shown_title = gsm.septets(_sms_field(title, detail.title))
        if over > 0 and detail.title_takes_rest and shown_title:
            # The title appears once: cutting it by `over` septets makes the message fit.
            room = shown_title - over
            if room < SMS_MIN_TITLE:
                continue
            text = _render_sms(template, context, replace(detail, title=room))
            over = gsm.septets(text) - SMS_ONE_CHARGER_SEPTETS
        if over <= 0:
            return text
    return gsm.truncate(text, SMS_ONE_CHARGER_SEPTETS)


def _site_wide_sms(template: jinja2.Template, context: MessageContext) -> str:
    """At most two segments, listing as many of the group's chargers as fit."""
    shown = len(context.alerts)
    while True:
        text = _render_sms(template, context, SITE_WIDE_DETAIL, shown)
        if gsm.septets(text) <= SMS_SITE_WIDE_SEPTETS or shown <= 1:
            return gsm.truncate(text, SMS_SITE_WIDE_SEPTETS)
        shown -= 1


def _render_sms(
    template: jinja2.Template,
    context: MessageContext,
    detail: SmsDetail,
    shown: int | None = None,
) -> str:
    values = _values(context, shown=shown, since=detail.since)
    return _sms_text(template.render(values, detail=detail))


def _site_wide(alerts: Sequence[AlertView]) -> bool:
    return len({alert.charge_point_id for alert in alerts}) > 1


def _values(
    context: MessageContext, shown: int | None = None, since: Since = "date"
) -> dict[str, object]:
    zone = _zone(context.timezone)
    alerts = list(context.alerts)
    shown = len(alerts) if shown is None else shown
    first = min((alert.began for alert in alerts), default=None)
    return {
        "ctx": context,
        "alerts": alerts,
        "shown": alerts[:shown],
        "hidden": len(alerts) - shown,
        "first": alerts[0] if alerts else None,
        "count": len(alerts),
        "since": _local(first, zone, _SINCE_FORMATS[since]),
        "local": lambda value: _local(value, zone),
        "lasted": lambda alert: _lasted(alert, context.now, _language(context.language)),
        "site_wide": _site_wide(alerts),
        "severity": _worst(alert.severity for alert in alerts),
    }


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _local(value: datetime | None, zone: ZoneInfo, form: str = _SINCE_FORMATS["date"]) -> str:
    if value is None:
        return ""
    return value.astimezone(zone).strftime(form)


# Units of a duration: minutes, hours, days.
_UNITS = {"en": ("min", "h", "d"), "fr": ("min", "h", "j")}


def _lasted(alert: AlertView, now: datetime | None, language: str) -> str:
    """How long the fault has lasted ("1 h 05 min"): until it ended, else until ``now``."""
    end = alert.ends_at if alert.status == "resolved" and alert.ends_at else now
    if end is None:
        return ""
    return duration(end - alert.began, language)


def duration(span: timedelta, language: str = "en") -> str:
    """A span as a technician reads it: minutes, then hours and minutes, then days and hours."""
    minute, hour, day = _UNITS.get(language, _UNITS["en"])
    minutes = int(span.total_seconds() // 60)
    if minutes < 1:
        return f"< 1 {minute}"
    if minutes < 60:
        return f"{minutes} {minute}"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} {hour} {minutes:02d} {minute}"
    days, hours = divmod(hours, 24)
    return f"{days} {day} {hours} {hour}"


_SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}


def _worst(severities: Iterable[str]) -> str:
    return min(severities, key=lambda s: _SEVERITY_ORDER.get(s, 3), default="")


def _printable(value: object) -> object:
    """What every ``{{ }}`` prints: a value, wherever it came from, prints no control or format
    character (only the templates' own text has line breaks); markup stays markup."""
    if not isinstance(value, str):
        return value
    # Markup stays Markup: characters are only replaced, by U+FFFD, never by one of &<>"'.
    return type(value)(printable(value))


def _one_line(value: object) -> str:
    return " ".join(str(value).split())


def _sms_field(value: object, limit: int = SMS_FIELD_LIMIT) -> str:
    """Untrusted text for an SMS: GSM-7, one line, at most ``limit`` septets ("" for 0)."""
    return gsm.sanitise(str(value), limit) if limit > 0 else ""


def _sms_text(rendered: str) -> str:
    # The template's own lines survive; everything is made GSM-7 and blank lines dropped.
    lines = (" ".join(gsm.to_gsm7(line).split()) for line in rendered.splitlines())
    return "\n".join(line for line in lines if line)

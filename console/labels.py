"""Alert label values and alert names as people read them, in the console's languages.

Labels come from the rules, but an alert may carry a value the catalog does not know (a
newer rule, a hand-made alert): such a value is shown as it came, never dropped, made one
bounded printable line (the kernel's ``clean``: it may come from anyone who posts alerts).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from chargekeeper.untrusted import MAX_CODE, MAX_INFO, clean
from console.i18n import translate

# The catalog key prefix of each kind of label value.
_PREFIX = {
    "severity": "sev_",
    "family": "fam_",
    "status": "status_",
    "state": "dstate_",
    "channel": "chan_",
    "via": "via_",
}


def _lookup(language: str, key: str) -> str | None:
    try:
        return translate(language, key)
    except KeyError:
        return None


def label_text(language: str, kind: str, value: str) -> str:
    """A severity, family, alert status, delivery state, channel or ack route in ``language``;
    an unknown value as it is."""
    return _lookup(language, _PREFIX[kind] + value) or clean(value, MAX_CODE) or ""


def alert_title(language: str, alertname: str) -> str:
    """A short human title per alert name (``ChargerDisconnected`` → "Disconnected")."""
    return _lookup(language, "title_" + alertname.lower()) or clean(alertname, MAX_CODE) or ""


def alert_text(language: str, alertname: str, annotations: Mapping[str, object]) -> str:
    """The alert's one-line summary in ``language``; the rule's own ``summary`` annotation
    (English, as Prometheus renders it) only for an alert name the catalog lacks."""
    return _lookup(language, "text_" + alertname.lower()) or (
        clean(annotations.get("summary"), MAX_INFO) or ""
    )


def duration_text(language: str, start: datetime, end: datetime) -> str:
    """``2 d 3 h``, ``4 h 5 min``, ``6 min`` (``2 j 3 h`` in French)."""
    seconds = max(0, int((end - start).total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return translate(language, "dur_days", d=days, h=hours)
    if hours:
        return translate(language, "dur_hours", h=hours, m=minutes)
    return translate(language, "dur_minutes", m=minutes)

"""Stage 'translate': each alert as its recipient reads it, manufacturer and OCPP codes turned
into plain words in their language (``translator``), with the links to act on it.

Codes the catalog does not know are recorded once per webhook (:meth:`Translate.note_unknown`),
so the console can list what to add.

Labels and annotations are untrusted: they come from chargers through the collector, or from
anyone who may post to Alertmanager. Every one a view shows is made one bounded, printable line
by the kernel's ``clean``, and the runbook link must pass ``http_url``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from sqlalchemy.orm import Session

from alertmanager.messages import AlertView
from alertmanager.payload import WebhookAlert, WebhookPayload
from alertmanager.stages.base import Notice
from chargekeeper.fault_since import fault_since
from chargekeeper.links import Links
from chargekeeper.store import Alert
from chargekeeper.untrusted import MAX_CODE, MAX_INFO, MAX_VENDOR, clean, http_url
from translator import Translation, Translator, UnknownCodeRecorder


class Translate:
    """Fills each notice's views; knows the translator, the links and the sites' names."""

    def __init__(
        self,
        translator: Translator,
        links: Links,
        site_names: Mapping[str, str],
        recorder: UnknownCodeRecorder | None = None,
    ) -> None:
        self._translator = translator
        self._links = links
        self._site_names = site_names
        self._recorder = recorder

    def __call__(self, session: Session, notices: Sequence[Notice]) -> list[Notice]:
        # A recipient's email and SMS notices carry the same alerts: translate each once.
        views: dict[tuple[int, str, str], AlertView] = {}
        for notice in notices:
            language = notice.recipient.language
            notice.views = []
            for stored in notice.alerts:
                key = (stored.row.id, stored.alert.status, language)
                if key not in views:
                    views[key] = self.view(stored.alert, stored.row, language)
                notice.views.append(views[key])
        return list(notices)

    def note_unknown(self, payload: WebhookPayload) -> None:
        """Record the codes of the firing alerts that the catalog does not know."""
        if self._recorder is None:
            return
        for alert in payload.alerts:
            if alert.status == "firing" and _has_code(alert.labels):
                translation = self._codes(alert.labels, "en")
                self._recorder.record(translation, alert.labels.get("charge_point_id", "unknown"))

    def view(self, alert: WebhookAlert, row: Alert, language: str) -> AlertView:
        """One alert as the templates show it, in ``language``."""
        labels = alert.labels

        def label(name: str, limit: int = MAX_CODE) -> str:
            return clean(labels.get(name), limit) or ""

        def annotation(name: str) -> str:
            return clean(alert.annotations.get(name), MAX_INFO) or ""

        site = labels.get("site", "")
        code = title = explanation = cause = action = ""
        if _has_code(labels):
            translation = self._codes(labels, language)
            code = " / ".join(
                value for value in (label("error_code"), label("vendor_error_code")) if value
            )
            title = _line(translation.title)
            meaning = next(iter(translation.meanings), translation.error_code_meaning)
            if meaning is not None:
                explanation, cause, action = (
                    _line(meaning.explanation),
                    _line(meaning.cause),
                    _line(meaning.action),
                )
        return AlertView(
            alertname=label("alertname"),
            status=alert.status,
            severity=label("severity"),
            family=label("family"),
            site=label("site", MAX_VENDOR),
            site_name=clean(self._site_names.get(site, site), MAX_VENDOR) or "?",
            charge_point_id=label("charge_point_id"),
            connector_id=label("connector_id"),
            starts_at=alert.starts_at,
            ends_at=alert.ends_at,
            fault_since=fault_since(alert.annotations, alert.starts_at),
            code=code,
            title=title,
            explanation=explanation,
            cause=cause,
            action=action,
            client=label("client", MAX_VENDOR),
            vendor=label("vendor", MAX_VENDOR),
            model=label("model", MAX_VENDOR),
            soc_percent=_soc_percent(alert.annotations.get("soc_percent", "")),
            summary=annotation("summary"),
            description=annotation("description"),
            runbook_url=http_url(
                self._links.from_annotation(alert.annotations.get("runbook_url", ""))
            ),
            console_url=self._links.alert(row.id),
            dashboard_url=self._links.charger_dashboard(
                labels.get("charge_point_id", ""), site=site, client=labels.get("client", "")
            ),
        )

    def _codes(self, labels: Mapping[str, str], language: str) -> Translation:
        return self._translator.translate(
            vendor=labels.get("vendor") or None,
            vendor_id=labels.get("vendor_id") or None,
            vendor_error_code=labels.get("vendor_error_code") or None,
            error_code=labels.get("error_code") or None,
            language=language,
        )


def _has_code(labels: Mapping[str, str]) -> bool:
    return bool(labels.get("error_code") or labels.get("vendor_error_code"))


def _line(text: str) -> str:
    """Catalog text on one line (a template gives each part its own line)."""
    return " ".join(text.split())


def _soc_percent(annotation: str) -> str:
    """The rules' ``soc_percent`` (whole percent), or "" for anything else."""
    value = annotation.strip()
    return value if re.fullmatch(r"[0-9]{1,3}", value) and int(value) <= 100 else ""

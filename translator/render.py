"""Plain-text rendering of a translation, labelled in the translation's language."""

from __future__ import annotations

from translator.catalog import Catalog
from translator.result import Meaning, Translation
from translator.schema import Messages


def _quoted(value: str) -> str:
    # Charger text is already cleaned of control characters; quoting shows where it starts
    # and ends, so a technician never mistakes it for our words.
    return '"' + value.replace('"', "'") + '"'


def _meaning_block(meaning: Meaning, messages: Messages) -> list[str]:
    return [
        f"{meaning.title}  [{meaning.set_name} {meaning.received_as}]",
        f"  {meaning.explanation}",
        f"  {messages.label_cause}: {meaning.cause}",
        f"  {messages.label_action}: {meaning.action}",
        f"  {messages.label_category}: {messages.categories[meaning.category]}"
        f" · {messages.label_responsible}: {messages.responsibles[meaning.responsible]}"
        f" · {messages.label_severity}: {messages.severities[meaning.severity]}",
        f"  {messages.label_source}: {meaning.source}",
    ]


def render_text(translation: Translation, catalog: Catalog) -> str:
    """A few short paragraphs a technician can read on a phone."""
    messages, _ = catalog.messages_for(translation.language)
    received = translation.received
    head = " ".join(part for part in (translation.vendor_name, received.vendor_error_code) if part)
    lines = [f"{head} — {translation.title}" if head else translation.title]
    lines.append(
        f"{messages.label_fault}: {messages.yes if translation.fault else messages.no}"
        f" · {messages.label_severity}: {messages.severities[translation.severity]}"
    )
    for meaning in translation.meanings:
        lines += ["", *_meaning_block(meaning, messages)]
    if translation.error_code_meaning is not None:
        lines += ["", f"{messages.label_error_code} {received.error_code}:"]
        lines += _meaning_block(translation.error_code_meaning, messages)
    if translation.status_meaning is not None:
        status = received.status or f"{received.component}.{received.variable}"
        lines += ["", f"{messages.label_status} {status}: {translation.status_meaning.title}"]
        lines.append(f"  {translation.status_meaning.explanation}")
    raw = [
        (messages.label_vendor, received.vendor),
        ("vendorId", received.vendor_id),
        (messages.label_code, received.vendor_error_code),
        (messages.label_info, received.info),
    ]
    shown = [f"{label}: {_quoted(value)}" for label, value in raw if value]
    if shown:
        lines += ["", *shown]
    if translation.notes:
        lines += ["", f"{messages.label_notes}:"]
        lines += [f"  - {note}" for note in translation.notes]
    return "\n".join(lines)

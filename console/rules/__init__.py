"""The console's Rules editor: the alert policy changed without YAML, previewed against what
Prometheus sees now, saved with comments intact and made live with a Prometheus reload."""

from console.rules.apply import Edit, PolicyEditor, Proposal, SaveResult, evaluation_interval
from console.rules.audit import diff_lines, policy_change, policy_changes
from console.rules.catalog import (
    ALERT_TYPES,
    ALERT_TYPES_BY_KEY,
    AlertType,
    Knob,
    KnobKind,
    format_duration,
    format_value,
)
from console.rules.changes import describe_changes
from console.rules.document import PolicyDocument, Scope
from console.rules.form import SectionForm, parse_section_form
from console.rules.overview import effective_json, overview
from console.rules.preview import AlertKey, PreviewResult, preview
from console.yamldoc import DocumentError

__all__ = [
    "ALERT_TYPES",
    "ALERT_TYPES_BY_KEY",
    "AlertKey",
    "AlertType",
    "DocumentError",
    "Edit",
    "Knob",
    "KnobKind",
    "PolicyDocument",
    "PolicyEditor",
    "PreviewResult",
    "Proposal",
    "SaveResult",
    "Scope",
    "SectionForm",
    "describe_changes",
    "diff_lines",
    "effective_json",
    "evaluation_interval",
    "format_duration",
    "format_value",
    "overview",
    "parse_section_form",
    "policy_change",
    "policy_changes",
    "preview",
]

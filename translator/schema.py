"""The shape of catalog files, validated with pydantic so a broken file names its line.

A catalog root holds two kinds of files:

- ``codes/<set>.yaml``: one code set (a vendor, a controller family, a cross-vendor set or an
  OCPP version) with its aliases and, per code, the facts: severity, category, who is usually
  responsible and where the fact comes from. Facts do not depend on the language.
- ``text/<lang>/<set>.yaml``: the words for that set in one language (title, explanation,
  likely cause, action per code), and ``text/<lang>/_messages.yaml`` for the translator's own
  sentences and labels. A new language is a new ``text/<lang>/`` folder: no other file changes.
"""

from __future__ import annotations

import re
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

SET_ID_PATTERN = r"^[a-z0-9][a-z0-9_]*$"
LANGUAGE_PATTERN = re.compile(r"^[a-z]{2,3}(?:-[a-z0-9]{2,8})?$")


class Severity(StrEnum):
    """How urgently a technician should look; ordered from most to least urgent."""

    CRITICAL = "critical"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Higher is more urgent, so ``max(..., key=rank)`` picks the worst."""
        return {"critical": 2, "warning": 1, "info": 0}[self.value]


class Category(StrEnum):
    """Which part of the charging system a code is about."""

    GRID = "grid"
    POWER_MODULE = "power_module"
    COOLING = "cooling"
    COMMUNICATION = "communication"
    CONNECTOR = "connector"
    CABLE = "cable"
    RESIDUAL_CURRENT = "residual_current"
    ISOLATION = "isolation"
    EMERGENCY_STOP = "emergency_stop"
    FIRMWARE = "firmware"
    VEHICLE = "vehicle"
    OTHER = "other"


class Responsible(StrEnum):
    """Who usually has to act: decides whether to send a charger technician or an electrician."""

    CHARGER = "charger"
    SITE_INSTALLATION = "site_installation"
    GRID = "grid"
    VEHICLE = "vehicle"
    DRIVER = "driver"


class SetKind(StrEnum):
    """Where a code set comes from."""

    STANDARD = "standard"
    CROSS_VENDOR = "cross_vendor"
    VENDOR = "vendor"
    CONTROLLER = "controller"


class CodeFormat(StrEnum):
    """How a set's codes are written on the wire, which picks the decoder."""

    PLAIN = "plain"
    HEX = "hex"
    HEX_BITMASK = "hex_bitmask"
    DECIMAL_BITMASK = "decimal_bitmask"
    INFO_TEXT = "info_text"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class CodeFacts(_Strict):
    """One code's language-independent facts."""

    code: str = Field(min_length=1, max_length=120)
    severity: Severity
    category: Category
    responsible: Responsible
    source: str = Field(min_length=3, max_length=500)
    field: str | None = Field(
        default=None,
        max_length=120,
        description="OCPP field the code travels in when that is not vendorErrorCode.",
    )


class Recovery(_Strict):
    """How a set writes "this fault has cleared": Delta logs EV0081's end as EV8081.

    ``pattern`` matches a recovery code (case-insensitive) with one group; ``fault`` is the
    fault's code with ``{0}`` standing for that group.
    """

    pattern: str
    fault: str = Field(min_length=1, max_length=120)

    @field_validator("pattern")
    @classmethod
    def _one_group(cls, pattern: str) -> str:
        try:
            groups = re.compile(pattern).groups
        except re.error as exc:
            raise ValueError(f"not a valid regular expression: {exc}") from None
        if groups != 1:
            raise ValueError(f"needs exactly one group (the fault's number), has {groups}")
        return pattern


class CodeSetFile(_Strict):
    """``codes/<set>.yaml``."""

    set: str = Field(pattern=SET_ID_PATTERN, max_length=60)
    name: str = Field(min_length=1, max_length=120)
    kind: SetKind
    aliases: list[str] = Field(default_factory=list)
    code_format: CodeFormat = CodeFormat.PLAIN
    code_pattern: str | None = Field(
        default=None,
        description="Regular expression that recognises this set's codes without a vendor.",
    )
    public_list: bool = True
    recovery: Recovery | None = None
    entries: list[CodeFacts] = Field(default_factory=list)

    @field_validator("aliases")
    @classmethod
    def _aliases_not_blank(cls, aliases: list[str]) -> list[str]:
        for alias in aliases:
            if not alias.strip():
                raise ValueError("an alias must not be blank")
        return aliases

    @field_validator("code_pattern")
    @classmethod
    def _pattern_compiles(cls, pattern: str | None) -> str | None:
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"not a valid regular expression: {exc}") from None
        return pattern


class EntryText(_Strict):
    """One code's words in one language."""

    title: str = Field(min_length=1, max_length=120)
    explanation: str = Field(min_length=1, max_length=600)
    cause: str = Field(min_length=1, max_length=400)
    action: str = Field(min_length=1, max_length=600)


class TextFile(_Strict):
    """``text/<lang>/<set>.yaml``."""

    about: str = Field(min_length=1, max_length=600)
    entries: dict[str, EntryText] = Field(default_factory=dict)


class Messages(_Strict):
    """``text/<lang>/_messages.yaml``: the translator's own sentences and labels.

    Every field is required, so a new language cannot forget one silently. Placeholders in
    braces are filled with :meth:`str.format` from catalog values only, never from charger text.
    """

    not_in_catalog: str
    unknown_vendor: str
    no_vendor: str
    no_public_list: str
    beside_no_error: str
    faulted_without_code: str
    not_standard_error_code: str
    bits_decoded: str
    unknown_bits: str
    cleared: str
    recovered: str
    recovered_title: str
    language_fallback: str
    unknown_title: str
    no_error_title: str
    label_vendor: str
    label_code: str
    label_error_code: str
    label_status: str
    label_info: str
    label_severity: str
    label_category: str
    label_responsible: str
    label_cause: str
    label_action: str
    label_source: str
    label_fault: str
    label_notes: str
    yes: str
    no: str
    severities: dict[Severity, str]
    categories: dict[Category, str]
    responsibles: dict[Responsible, str]

    @field_validator("severities", "categories", "responsibles")
    @classmethod
    def _complete(
        cls,
        labels: dict[Severity, str] | dict[Category, str] | dict[Responsible, str],
        info: object,
    ) -> dict[Severity, str] | dict[Category, str] | dict[Responsible, str]:
        if not labels:
            raise ValueError("labels missing")
        enum = type(next(iter(labels)))
        missing = [member.value for member in enum if member not in labels]
        if missing:
            raise ValueError(f"labels missing for {', '.join(missing)}")
        return labels

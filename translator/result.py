"""What a lookup returns: plain, immutable values that serialise to JSON field by field."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from translator.schema import Category, Responsible, Severity


@dataclass(frozen=True)
class Received:
    """The charger-supplied values, cleaned (bounded, no control characters), never interpreted."""

    vendor: str | None = None
    vendor_id: str | None = None
    vendor_error_code: str | None = None
    error_code: str | None = None
    info: str | None = None
    status: str | None = None
    component: str | None = None
    variable: str | None = None


@dataclass(frozen=True)
class Meaning:
    """One catalog entry in one language."""

    set_id: str
    set_name: str
    code: str
    received_as: str
    title: str
    explanation: str
    cause: str
    action: str
    severity: Severity
    category: Category
    responsible: Responsible
    source: str
    language: str


@dataclass(frozen=True)
class Translation:
    """Everything the receiver and the console need to tell a technician what happened.

    ``meanings`` are the vendor (or cross-vendor, or controller) codes found; ``unknown_codes``
    the received codes (or bits) the catalog does not have yet. ``fault`` follows OCPP: a
    Faulted status or any errorCode other than NoError is a fault; a vendor code beside NoError
    is not; a code looked up on its own is a fault when its severity is above info.
    """

    received: Received
    language: str
    vendor_set: str | None
    vendor_name: str | None
    known: bool
    fault: bool
    severity: Severity
    title: str
    meanings: tuple[Meaning, ...]
    error_code_meaning: Meaning | None
    status_meaning: Meaning | None
    unknown_codes: tuple[str, ...]
    notes: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """Every field, with enums as their string values (JSON-ready)."""
        data = asdict(self)

        def plain(value: Any) -> Any:
            if isinstance(value, dict):
                return {key: plain(item) for key, item in value.items()}
            if isinstance(value, list | tuple):
                return [plain(item) for item in value]
            if isinstance(value, Severity | Category | Responsible):
                return value.value
            return value

        result: dict[str, Any] = plain(data)
        return result

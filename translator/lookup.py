"""(vendor, code, errorCode, info, status) → a :class:`~translator.result.Translation`.

The catalog is loaded once; a lookup only reads in-memory dictionaries, so the receiver can
call it for every alert. The order of evidence is: the set named by the StatusNotification
``vendorId`` (a cross-vendor set such as ChargeX announces itself there), then the charger's
vendor, then sets that recognise the code by its shape (``CX011``), then controllers whose
detail travels in ``info`` (Bender/ebee). Whatever is not found is reported, never hidden.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from chargekeeper.untrusted import MAX_CODE, MAX_INFO, MAX_VENDOR, clean, fold
from translator.catalog import Catalog, CodeSet, Entry, load_catalog
from translator.codes import (
    LEGACY_ERROR_CODES,
    KeyPart,
    candidate_parts,
    code_key,
    info_key,
    is_zero,
)
from translator.errors import BadInputError
from translator.result import Meaning, Received, Translation
from translator.schema import LANGUAGE_PATTERN, CodeFormat, Messages, Severity

OCPP16 = "ocpp16"
OCPP201 = "ocpp201"
ERROR_CODE_FIELD = "StatusNotification.errorCode"
STATUS_FIELDS = frozenset(
    {
        "StatusNotification.status",
        "StatusNotification.connectorStatus",
        "TransactionEvent.chargingState",
    }
)
NO_ERROR = "noerror"
FAULTED = "faulted"
# Some ABB firmware sends the literal string "null" as info: it carries nothing.
_EMPTY_INFO = {"null", "none", "-"}
_TRUE_VALUES = {"true", "1", "yes", "on"}


@dataclass(frozen=True)
class _Found:
    part: KeyPart
    entry: Entry


@dataclass(frozen=True)
class _Decoded:
    code_set: CodeSet | None
    found: tuple[_Found, ...]
    unknown: tuple[str, ...]
    # The code reports that the fault in ``found`` has cleared (Delta's EV8081 for EV0081).
    recovered: bool = False


class Translator:
    """Looks codes up in a loaded :class:`Catalog`. Thread-safe: it never mutates state."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._pattern_sets = [s for s in catalog.sets.values() if s.code_pattern is not None]
        self._info_sets = [
            s for s in catalog.sets.values() if s.code_format is CodeFormat.INFO_TEXT
        ]

    @classmethod
    def load(cls, overlays: Sequence[Path] = ()) -> Translator:
        """Load the shipped catalog plus ``overlays`` (operator tables) once."""
        return cls(load_catalog(overlays))

    # -- public API -------------------------------------------------------------------------

    def translate(
        self,
        *,
        vendor: str | None = None,
        vendor_id: str | None = None,
        vendor_error_code: str | None = None,
        error_code: str | None = None,
        info: str | None = None,
        status: str | None = None,
        ocpp_version: str | None = None,
        language: str = "en",
    ) -> Translation:
        """Explain an OCPP 1.6 StatusNotification (or a code looked up by hand).

        ``vendor`` is BootNotification ``chargePointVendor`` (2.0.1 ``vendorName``);
        ``vendor_id`` is the StatusNotification ``vendorId``.
        """
        received = Received(
            vendor=clean(vendor, MAX_VENDOR),
            vendor_id=clean(vendor_id, MAX_VENDOR),
            vendor_error_code=clean(vendor_error_code, MAX_CODE),
            error_code=clean(error_code, MAX_CODE),
            info=clean(info, MAX_INFO),
            status=clean(status, MAX_CODE),
        )
        return self._translate(received, ocpp_version=ocpp_version, language=language)

    def translate_event(
        self,
        *,
        component: str,
        variable: str,
        tech_code: str | None = None,
        tech_info: str | None = None,
        actual_value: str | None = None,
        cleared: bool = False,
        vendor: str | None = None,
        language: str = "en",
    ) -> Translation:
        """Explain an OCPP 2.0.1 NotifyEvent: component/variable, with techCode as the code.

        Faults arrive as ``variable=Problem, actualValue=true``; ``cleared`` (or a false
        actualValue) means the condition is over.
        """
        received = Received(
            vendor=clean(vendor, MAX_VENDOR),
            vendor_error_code=clean(tech_code, MAX_CODE),
            info=clean(tech_info, MAX_INFO),
            component=clean(component, MAX_CODE),
            variable=clean(variable, MAX_CODE),
        )
        active = not cleared and (actual_value is None or fold(actual_value) in _TRUE_VALUES)
        return self._translate(received, ocpp_version="2.0.1", language=language, active=active)

    # -- steps ------------------------------------------------------------------------------

    def _translate(
        self,
        received: Received,
        *,
        ocpp_version: str | None,
        language: str,
        active: bool | None = None,
    ) -> Translation:
        language = language.strip().casefold()
        if not LANGUAGE_PATTERN.match(language):
            raise BadInputError(f"language '{language}' is not a language tag such as en or fr")
        if not any(
            (received.vendor_error_code, received.error_code, received.info, received.status)
        ) and not (received.component and received.variable):
            raise BadInputError("nothing to translate: give a vendor code, errorCode or status")
        messages, messages_language = self.catalog.messages_for(language)
        notes: list[str] = []
        if messages_language != language:
            notes.append(messages.language_fallback.format(language=language))

        vendor_set = self.catalog.resolve_vendor(received.vendor)
        id_set = self.catalog.resolve_vendor(received.vendor_id)
        info = received.info if received.info and fold(received.info) not in _EMPTY_INFO else None
        error_code = fold(received.error_code) if received.error_code else None
        beside_no_error = error_code == NO_ERROR

        decoded = _Decoded(None, (), ())
        if received.vendor_error_code:
            decoded = self._decode(received.vendor_error_code, [id_set, vendor_set])
            if decoded.unknown and beside_no_error and is_zero(received.vendor_error_code):
                # "0" or "0x00" beside NoError is every vendor's way of saying "nothing".
                decoded = _Decoded(decoded.code_set, decoded.found, ())
        if not decoded.found and info:
            by_info = self._decode_info(received.error_code, info, [id_set, vendor_set])
            if by_info.found:
                decoded = _Decoded(by_info.code_set, by_info.found, decoded.unknown)

        meanings = tuple(
            self._meaning(found.entry, found.part.label, language) for found in decoded.found
        )
        error_meaning = self._standard_error(received.error_code, language)
        status_meaning = self._status(received, ocpp_version, language)

        # A recovery code names a fault that is over: it is evidence of nothing still wrong.
        evidence = () if decoded.recovered else meanings
        fault = self._is_fault(received, error_code, active, evidence, bool(decoded.unknown))
        named_set = vendor_set or id_set or decoded.code_set
        notes += self._notes(
            messages,
            received,
            decoded,
            named_set=vendor_set or id_set,
            beside_no_error=beside_no_error,
            fault=fault,
            error_meaning=error_meaning,
            active=active,
        )
        severity = self._severity(fault, evidence, error_meaning, status_meaning)
        return Translation(
            received=received,
            language=language,
            vendor_set=named_set.id if named_set else None,
            vendor_name=named_set.name if named_set else None,
            known=not decoded.unknown,
            fault=fault,
            severity=severity,
            title=self._title(messages, meanings, error_meaning, status_meaning, decoded),
            meanings=meanings,
            error_code_meaning=error_meaning,
            status_meaning=status_meaning,
            unknown_codes=decoded.unknown,
            notes=tuple(notes),
        )

    @staticmethod
    def _severity(
        fault: bool,
        meanings: Sequence[Meaning],
        error_meaning: Meaning | None,
        status_meaning: Meaning | None,
    ) -> Severity:
        """Info when not a fault; otherwise the worst of the most specific evidence.

        The vendor's own code is the most specific: an Alfen 210 (safe-current mode) stays a
        warning even when the station reports its connector 0 as Faulted. A fault is never
        less than a warning.
        """
        if not fault:
            return Severity.INFO
        severities = [m.severity for m in meanings]
        if not severities:
            severities = [
                m.severity
                for m in (error_meaning, status_meaning)
                if m is not None and fold(m.code) != NO_ERROR
            ]
        worst = max(severities, key=lambda s: s.rank, default=Severity.WARNING)
        return Severity.WARNING if worst is Severity.INFO else worst

    def _decode(self, code: str, named: Iterable[CodeSet | None]) -> _Decoded:
        candidates = [s for s in named if s is not None]
        candidates += [
            s for s in self._pattern_sets if s.code_pattern and s.code_pattern.fullmatch(code)
        ]
        best: _Decoded | None = None
        for code_set in dict.fromkeys(candidates):
            for way in candidate_parts(code, code_set.code_format):
                found = []
                unknown = []
                for part in way:
                    entry = next((e for k in part.keys if (e := code_set.find(k))), None)
                    if entry is None:
                        unknown.append(part.label)
                    else:
                        found.append(_Found(part, entry))
                if not unknown:
                    return _Decoded(code_set, tuple(found), ())
                if found and (best is None or len(found) > len(best.found)):
                    best = _Decoded(code_set, tuple(found), tuple(unknown))
        if best is not None:
            return best
        for code_set in dict.fromkeys(candidates):
            entry = code_set.recovered_fault(code)
            if entry is not None:
                part = KeyPart(code, (code_key(entry.code, code_set.code_format),))
                return _Decoded(code_set, (_Found(part, entry),), (), recovered=True)
        first = candidates[0] if candidates else None
        return _Decoded(first, (), (code,))

    def _decode_info(
        self, error_code: str | None, info: str, named: Iterable[CodeSet | None]
    ) -> _Decoded:
        key = info_key(error_code, info)
        preferred = [s for s in named if s is not None and s.code_format is CodeFormat.INFO_TEXT]
        for code_set in dict.fromkeys([*preferred, *self._info_sets]):
            entry = code_set.find(key)
            if entry is not None:
                return _Decoded(code_set, (_Found(KeyPart(info, (key,)), entry),), ())
        return _Decoded(None, (), ())

    def _standard_error(self, error_code: str | None, language: str) -> Meaning | None:
        if not error_code:
            return None
        folded = fold(error_code)
        folded = LEGACY_ERROR_CODES.get(folded, folded)
        entry = self.catalog.sets[OCPP16].find(code_key(folded, CodeFormat.PLAIN))
        if entry is None or entry.facts.field != ERROR_CODE_FIELD:
            return None
        return self._meaning(entry, error_code, language)

    def _status(self, received: Received, version: str | None, language: str) -> Meaning | None:
        if received.component and received.variable:
            events = self.catalog.sets[OCPP201]
            key = fold(f"{received.component}.{received.variable}")
            entry = events.find(key) or events.find(fold(f"*.{received.variable}"))
            label = f"{received.component}.{received.variable}"
            return self._meaning(entry, label, language) if entry else None
        if not received.status:
            return None
        order = [OCPP201, OCPP16] if version and version.startswith("2") else [OCPP16, OCPP201]
        for set_id in order:
            entry = self.catalog.sets[set_id].find(fold(received.status))
            if entry is not None and entry.facts.field in STATUS_FIELDS:
                return self._meaning(entry, received.status, language)
        return None

    @staticmethod
    def _is_fault(
        received: Received,
        error_code: str | None,
        active: bool | None,
        meanings: Sequence[Meaning],
        unknown: bool,
    ) -> bool:
        if active is not None:
            return active
        if received.status and fold(received.status) == FAULTED:
            return True
        if error_code is not None:
            return error_code != NO_ERROR
        if received.status:
            return False
        # A code looked up on its own: a code we cannot read is assumed to be a fault.
        return unknown or any(m.severity is not Severity.INFO for m in meanings)

    def _notes(
        self,
        messages: Messages,
        received: Received,
        decoded: _Decoded,
        *,
        named_set: CodeSet | None,
        beside_no_error: bool,
        fault: bool,
        error_meaning: Meaning | None,
        active: bool | None,
    ) -> list[str]:
        notes = []
        if active is False:
            notes.append(messages.cleared)
        if decoded.recovered:
            notes.append(
                messages.recovered.format(
                    code=received.vendor_error_code, fault_code=decoded.found[0].entry.code
                )
            )
        if beside_no_error and received.vendor_error_code and not fault:
            notes.append(messages.beside_no_error)
        faulted = bool(received.status) and fold(received.status or "") == FAULTED
        if faulted and (beside_no_error or not received.error_code) and not decoded.found:
            notes.append(messages.faulted_without_code)
        if received.error_code and error_meaning is None:
            notes.append(messages.not_standard_error_code.format(error_code=received.error_code))
        if len(decoded.found) > 1 and any(" bit " in f.part.label for f in decoded.found):
            notes.append(
                messages.bits_decoded.format(
                    code=received.vendor_error_code, count=len(decoded.found)
                )
            )
        if decoded.unknown:
            if decoded.found:
                notes.append(messages.unknown_bits.format(parts=", ".join(decoded.unknown)))
            notes.append(messages.not_in_catalog.format(code=", ".join(decoded.unknown)))
            if received.vendor and named_set is None:
                notes.append(messages.unknown_vendor.format(vendor=received.vendor))
            elif named_set is None:
                notes.append(messages.no_vendor)
            elif not named_set.public_list:
                notes.append(messages.no_public_list.format(vendor=named_set.name))
        return notes

    def _title(
        self,
        messages: Messages,
        meanings: Sequence[Meaning],
        error_meaning: Meaning | None,
        status_meaning: Meaning | None,
        decoded: _Decoded,
    ) -> str:
        if meanings and decoded.recovered:
            return messages.recovered_title.format(title=meanings[0].title)
        if meanings:
            return "; ".join(dict.fromkeys(m.title for m in meanings))
        if decoded.unknown:
            return messages.unknown_title
        if error_meaning is not None and fold(error_meaning.code) != NO_ERROR:
            return error_meaning.title
        if status_meaning is not None:
            return status_meaning.title
        return messages.no_error_title

    def _meaning(self, entry: Entry, received_as: str, language: str) -> Meaning:
        text, used = entry.text(language)
        code_set = self.catalog.sets[entry.set_id]
        facts = entry.facts
        return Meaning(
            set_id=code_set.id,
            set_name=code_set.name,
            code=facts.code,
            received_as=received_as,
            title=text.title,
            explanation=text.explanation,
            cause=text.cause,
            action=text.action,
            severity=facts.severity,
            category=facts.category,
            responsible=facts.responsible,
            source=facts.source,
            language=used,
        )

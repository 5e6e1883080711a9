"""English and French are complete; a new language is new files; fallback is to English."""

from __future__ import annotations

import shutil
import string
from pathlib import Path

import pytest
import yaml

from translator import Translator, load_catalog
from translator.catalog import SHIPPED_ROOT
from translator.schema import Messages

LANGUAGES = ("en", "fr")


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_entry_has_every_text(translator: Translator, language: str) -> None:
    missing = [
        f"{code_set.id}:{entry.code}"
        for code_set in translator.catalog.sets.values()
        for entry in code_set.entries.values()
        if language not in entry.texts
    ]
    assert missing == []
    sets_without_about = [s.id for s in translator.catalog.sets.values() if language not in s.about]
    assert sets_without_about == []
    assert language in translator.catalog.messages


def test_french_is_not_english_copied(translator: Translator) -> None:
    same = [
        f"{code_set.id}:{entry.code}"
        for code_set in translator.catalog.sets.values()
        for entry in code_set.entries.values()
        if entry.texts["en"].explanation == entry.texts["fr"].explanation
    ]
    assert same == []


def test_text_files_hold_no_code_outside_their_set() -> None:
    # The loader rejects these; this checks the shipped tree has one text file per code file.
    codes = {p.stem for p in (SHIPPED_ROOT / "codes").glob("*.yaml")}
    for language in LANGUAGES:
        texts = {p.stem for p in (SHIPPED_ROOT / "text" / language).glob("*.yaml")}
        assert texts - {"_messages"} == codes


@pytest.mark.parametrize("field", list(Messages.model_fields))
def test_messages_use_the_same_placeholders(translator: Translator, field: str) -> None:
    english = getattr(translator.catalog.messages["en"], field)
    french = getattr(translator.catalog.messages["fr"], field)
    if isinstance(english, str):
        assert _placeholders(english) == _placeholders(french)


def test_unknown_language_falls_back_to_english(translator: Translator) -> None:
    result = translator.translate(vendor="Alfen", vendor_error_code="101", language="de")
    assert result.meanings[0].language == "en"
    assert result.meanings[0].title == "DC residual current detected"
    assert any("'de'" in note for note in result.notes)


def test_adding_a_language_is_adding_files(tmp_path: Path) -> None:
    root = tmp_path / "catalog"
    shutil.copytree(SHIPPED_ROOT, root)
    german = root / "text" / "de"
    german.mkdir()
    messages = yaml.safe_load((root / "text" / "en" / "_messages.yaml").read_text())
    messages["label_cause"] = "Wahrscheinliche Ursache"
    (german / "_messages.yaml").write_text(yaml.safe_dump(messages, allow_unicode=True))
    (german / "alfen.yaml").write_text(
        "about: Alfen-Ladestationen senden ihren Displaycode.\n"
        "entries:\n"
        "  '101':\n"
        "    title: DC-Fehlerstrom erkannt\n"
        "    explanation: Der 6-mA-DC-Fehlerstromsensor hat ausgelöst.\n"
        "    cause: Isolationsfehler in Fahrzeug oder Kabel.\n"
        "    action: Anderes Fahrzeug testen, dann Kabel und Dose prüfen.\n"
    )
    translator = Translator(load_catalog(shipped=root))
    assert "de" in translator.catalog.languages
    german_result = translator.translate(vendor="Alfen", vendor_error_code="101", language="de")
    assert german_result.meanings[0].title == "DC-Fehlerstrom erkannt"
    assert german_result.notes == ()
    # Entries not yet translated fall back to English, never to nothing.
    other = translator.translate(vendor="Alfen", vendor_error_code="102", language="de")
    assert other.meanings[0].language == "en"
    assert other.meanings[0].title == "Power switching failure"

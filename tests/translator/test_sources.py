"""Every catalog entry's source is a citation a technician can follow, not a search note."""

from __future__ import annotations

import re

import pytest

from translator import Translator
from translator.catalog import Entry, load_catalog

_URL = re.compile(r"https?://[^\s;()]+[^\s;().,]")
# Traces of how a fact was found rather than where it is published: a search tool's excerpt
# note, or a bare "owner/repo path/file" that only a code search can resolve.
_SEARCH_NOTES = re.compile(r"source excerpt|repository not identified|public code", re.IGNORECASE)
_BARE_REPO_PATH = re.compile(r"(?<![\w/.:-])[\w-]+/[\w.-]+ [\w.-]+/")
# A reader needs to know what the link is: the citation starts with words, or is a link only.
_WORDS = re.compile(r"[A-Za-z]{3,}")

ENTRIES = [
    entry for code_set in load_catalog().sets.values() for entry in code_set.entries.values()
]


def readable_citation_problem(source: str) -> str | None:
    """Why ``source`` is not a readable citation, or None when it is one."""
    if _SEARCH_NOTES.search(source):
        return "names how the fact was searched, not where it is published"
    if not _URL.search(source):
        return "has no URL a reader can open"
    if _BARE_REPO_PATH.search(_URL.sub(" ", source)):
        return "names a repository as 'owner/repo path' instead of its URL"
    if not _WORDS.search(_URL.sub(" ", source)) and not source.startswith("http"):
        return "says nothing about what the link is"
    return None


@pytest.mark.parametrize(
    "entry", ENTRIES, ids=[f"{entry.set_id}:{entry.code[:40]}" for entry in ENTRIES]
)
def test_every_source_is_a_readable_citation(entry: Entry) -> None:
    problem = readable_citation_problem(entry.facts.source)
    assert problem is None, f"{entry.set_id} {entry.code}: source {problem}: {entry.facts.source}"


@pytest.mark.parametrize(
    "source",
    [
        "OpenEMS fork, package io.openems.edge.evcs.abb.terraac.enums.EvseErrorCode (Terra AC"
        " Modbus error register; public source excerpt, repository not identified)",
        "mobilityhouse/ocpp ocpp/v16/enums.py",
        "Delta AC MAX error table",
    ],
)
def test_the_check_rejects_internal_references(source: str) -> None:
    assert readable_citation_problem(source) is not None


def test_abb_cites_abbs_own_modbus_document(translator: Translator) -> None:
    meaning = translator.translate(vendor="ABB", vendor_error_code="0x0002").meanings[0]
    assert "Terra AC Charger Modbus Communication" in meaning.source
    assert "https://library.e.abb.com/" in meaning.source

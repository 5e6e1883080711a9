"""Load the code catalog once: shipped files first, then the operator's overlay directories.

Each root holds ``codes/<set>.yaml`` and ``text/<lang>/<set>.yaml`` (see :mod:`translator.schema`).
Later roots win: an overlay entry replaces the shipped entry with the same code, facts and
words together, so a French text never describes facts that an operator has since rewritten.
Every problem in every file is collected and reported as ``path:line: field: message``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from chargekeeper.config.loader import ConfigError, _line_of, read_yaml, validation_problems
from translator.codes import code_key
from translator.errors import CatalogError
from translator.schema import (
    LANGUAGE_PATTERN,
    CodeFacts,
    CodeFormat,
    CodeSetFile,
    EntryText,
    Messages,
    Recovery,
    SetKind,
    TextFile,
)
from translator.vendors import vendor_key

SHIPPED_ROOT = Path(__file__).with_name("catalog")
DEFAULT_LANGUAGE = "en"
MESSAGES_STEM = "_messages"


@dataclass(frozen=True)
class Entry:
    """One code of one set: facts plus its words in every language the catalog has."""

    set_id: str
    facts: CodeFacts
    texts: Mapping[str, EntryText]

    @property
    def code(self) -> str:
        return self.facts.code

    def text(self, language: str) -> tuple[EntryText, str]:
        """Words in ``language``, else English, else any language; and the language used."""
        for candidate in (language, DEFAULT_LANGUAGE):
            if candidate in self.texts:
                return self.texts[candidate], candidate
        first = sorted(self.texts)[0]
        return self.texts[first], first


@dataclass(frozen=True, eq=False)
class CodeSet:
    """A vendor, controller family, cross-vendor code set or OCPP version."""

    id: str
    name: str
    kind: SetKind
    aliases: tuple[str, ...]
    code_format: CodeFormat
    code_pattern: re.Pattern[str] | None
    public_list: bool
    about: Mapping[str, str]
    entries: Mapping[str, Entry]
    recovery: Recovery | None = None

    def find(self, key: str) -> Entry | None:
        return self.entries.get(key)

    def recovered_fault(self, code: str) -> Entry | None:
        """The fault that ``code`` reports as cleared (Delta EV8081 → EV0081), if any."""
        if self.recovery is None:
            return None
        match = re.fullmatch(self.recovery.pattern, code.strip(), re.IGNORECASE)
        if match is None:
            return None
        return self.find(code_key(self.recovery.fault.format(match.group(1)), self.code_format))

    def about_text(self, language: str) -> str:
        for candidate in (language, DEFAULT_LANGUAGE):
            if candidate in self.about:
                return self.about[candidate]
        return next(iter(self.about.values()), self.name)


@dataclass(frozen=True)
class Catalog:
    """Every code set, indexed for lookups that do no I/O."""

    sets: Mapping[str, CodeSet]
    messages: Mapping[str, Messages]
    aliases: Mapping[str, str]

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(sorted(self.messages))

    def messages_for(self, language: str) -> tuple[Messages, str]:
        if language in self.messages:
            return self.messages[language], language
        return self.messages[DEFAULT_LANGUAGE], DEFAULT_LANGUAGE

    def resolve_vendor(self, name: str | None) -> CodeSet | None:
        """The set ``name`` designates: an alias, a set name or id, or its first word.

        The first-word rule covers legal-form suffixes nobody lists ("Alfen N.V.",
        "ABB E-mobility B.V."): it only applies to a word that is itself a brand's alias.
        """
        if not name:
            return None
        key = vendor_key(name)
        if key in self.aliases:
            return self.sets[self.aliases[key]]
        words = re.split(r"[\W_]+", name.strip(), maxsplit=1)
        first = vendor_key(words[0]) if words else ""
        found = self.sets[self.aliases[first]] if first in self.aliases else None
        # Only brands: "OCPP Simulator" must not become the OCPP 1.6 code set.
        if found is not None and found.kind in (SetKind.VENDOR, SetKind.CONTROLLER):
            return found
        return None


@dataclass
class _DraftEntry:
    facts: CodeFacts
    codes_path: Path
    texts: dict[str, EntryText] = field(default_factory=dict)


@dataclass
class _Draft:
    """A set while roots are merged."""

    file: CodeSetFile
    paths: list[Path] = field(default_factory=list)
    entries: dict[str, _DraftEntry] = field(default_factory=dict)
    about: dict[str, str] = field(default_factory=dict)
    aliases: list[str] = field(default_factory=list)


# libyaml is ~20x faster than pure-Python PyYAML; the catalog is read at every start.
_FAST_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _validate(path: Path, model: type[BaseModel], problems: list[str]) -> tuple[Any, Any]:
    """Parse and validate one file; on failure add ``path:line: field: message`` problems.

    The node tree that carries line numbers is only built when a file is invalid.
    """
    try:
        text = path.read_text(encoding="utf-8")
        data = yaml.load(text, Loader=_FAST_LOADER)  # noqa: S506 - a safe loader
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        try:
            read_yaml(path)  # the shared loader words the error with its line
        except ConfigError as exc:
            problems.extend(exc.problems)
        return None, None
    try:
        return model.model_validate(data if data is not None else {}), None
    except ValidationError as exc:
        node = yaml.compose(text, Loader=_FAST_LOADER)
        problems.extend(validation_problems(path, node, exc))
        return None, node


def _where(path: Path, node: yaml.Node | None, loc: Sequence[int | str]) -> str:
    """``path:line`` of the value at ``loc``; composes the node tree if it was not built."""
    if node is None:
        node = yaml.compose(path.read_text(encoding="utf-8"), Loader=_FAST_LOADER)
    line = _line_of(node, loc)
    return f"{path}:{line}" if line is not None else str(path)


def _load_root(root: Path, drafts: dict[str, _Draft], messages: dict[str, Messages]) -> list[str]:
    problems: list[str] = []
    codes_dir = root / "codes"
    broken: set[str] = set()  # their text files are not checked: one problem, one message
    for path in sorted(codes_dir.glob("*.yaml")) if codes_dir.is_dir() else []:
        parsed, node = _validate(path, CodeSetFile, problems)
        if not isinstance(parsed, CodeSetFile):
            broken.add(path.stem)
            continue
        if parsed.set != path.stem:
            broken.add(path.stem)
            problems.append(
                f"{_where(path, node, ['set'])}: set: '{parsed.set}' must match the file name "
                f"'{path.stem}'"
            )
            continue
        draft = drafts.get(parsed.set)
        if draft is None:
            draft = drafts[parsed.set] = _Draft(file=parsed)
        draft.aliases.extend(parsed.aliases)
        draft.paths.append(path)
        fmt = draft.file.code_format
        seen: set[str] = set()
        for index, facts in enumerate(parsed.entries):
            key = code_key(facts.code, fmt)
            if key in seen:
                problems.append(
                    f"{_where(path, node, ['entries', index, 'code'])}: entries[{index}].code: "
                    f"duplicate code '{facts.code}' in set '{parsed.set}'"
                )
                continue
            seen.add(key)
            # New facts drop words written for the facts they replace.
            draft.entries[key] = _DraftEntry(facts, path)
    text_dir = root / "text"
    for lang_dir in sorted(text_dir.iterdir()) if text_dir.is_dir() else []:
        if not lang_dir.is_dir():
            continue
        language = lang_dir.name
        if not LANGUAGE_PATTERN.match(language):
            problems.append(
                f"{lang_dir}: folder name '{language}' is not a language tag (e.g. 'en', 'fr', "
                "'pt-br')"
            )
            continue
        for path in sorted(lang_dir.glob("*.yaml")):
            if path.stem == MESSAGES_STEM:
                parsed_messages, _ = _validate(path, Messages, problems)
                if isinstance(parsed_messages, Messages):
                    messages[language] = parsed_messages
                continue
            parsed_text, node = _validate(path, TextFile, problems)
            if not isinstance(parsed_text, TextFile):
                continue
            target = drafts.get(path.stem)
            if path.stem in broken:
                continue
            if target is None:
                problems.append(f"{path}: no code set '{path.stem}' (expected codes/{path.name})")
                continue
            target.about[language] = parsed_text.about
            for code, text in parsed_text.entries.items():
                key = code_key(code, target.file.code_format)
                if key not in target.entries:
                    problems.append(
                        f"{_where(path, node, ['entries', code])}: entries.{code}: code not in "
                        f"set '{path.stem}'"
                    )
                    continue
                target.entries[key].texts[language] = text
    return problems


def _missing_words(drafts: Mapping[str, _Draft], language: str | None) -> list[str]:
    """Entries without words in ``language`` (or, for None, in any language)."""
    problems = []
    for set_id, draft in sorted(drafts.items()):
        for entry in draft.entries.values():
            if (language is None and entry.texts) or (language and language in entry.texts):
                continue
            root = entry.codes_path.parent.parent
            text_path = root / "text" / (language or DEFAULT_LANGUAGE) / f"{set_id}.yaml"
            scope = f"in '{language}'" if language else "in any language"
            problems.append(f"{text_path}: entries.{entry.facts.code}: no text {scope}")
    return problems


def load_catalog(overlays: Sequence[Path] = (), *, shipped: Path = SHIPPED_ROOT) -> Catalog:
    """Read the shipped catalog and then each overlay root; raise :class:`CatalogError`.

    The shipped catalog must have English words for every code (English is the fallback);
    an overlay entry needs words in at least one language.
    """
    drafts: dict[str, _Draft] = {}
    messages: dict[str, Messages] = {}
    problems = _load_root(shipped, drafts, messages)
    if not problems:
        problems += _missing_words(drafts, DEFAULT_LANGUAGE)
        problems += [
            f"{shipped}/text/{DEFAULT_LANGUAGE}/{set_id}.yaml: missing"
            for set_id, draft in sorted(drafts.items())
            if DEFAULT_LANGUAGE not in draft.about
        ]
        if DEFAULT_LANGUAGE not in messages:
            problems.append(f"{shipped}/text/{DEFAULT_LANGUAGE}/{MESSAGES_STEM}.yaml: missing")
    for root in overlays:
        if root.exists() and not root.is_dir():
            problems.append(f"{root}: overlay must be a directory")
            continue
        problems += _load_root(root, drafts, messages)
    if not problems:
        problems += _missing_words(drafts, None)
    if problems:
        raise CatalogError(shipped, problems)
    return _freeze(drafts, messages)


def _freeze(drafts: Mapping[str, _Draft], messages: Mapping[str, Messages]) -> Catalog:
    sets: dict[str, CodeSet] = {}
    aliases: dict[str, str] = {}
    problems: list[str] = []
    for set_id, draft in drafts.items():
        names = [set_id, draft.file.name, *draft.aliases]
        for alias in names:
            key = vendor_key(alias)
            owner = aliases.setdefault(key, set_id)
            if owner != set_id:
                where = ", ".join(str(p) for p in draft.paths)
                problems.append(
                    f"{where}: aliases: '{alias}' of set '{set_id}' is already used by set "
                    f"'{owner}'"
                )
        pattern = draft.file.code_pattern
        sets[set_id] = CodeSet(
            id=set_id,
            name=draft.file.name,
            kind=draft.file.kind,
            aliases=tuple(dict.fromkeys(draft.aliases)),
            code_format=draft.file.code_format,
            code_pattern=re.compile(pattern) if pattern else None,
            public_list=draft.file.public_list,
            recovery=draft.file.recovery,
            about=dict(draft.about),
            entries={
                key: Entry(set_id=set_id, facts=entry.facts, texts=dict(entry.texts))
                for key, entry in draft.entries.items()
            },
        )
    if problems:
        raise CatalogError(SHIPPED_ROOT, problems)
    return Catalog(sets=sets, messages=dict(messages), aliases=aliases)

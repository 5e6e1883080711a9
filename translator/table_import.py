"""``chargekeeper translate import``: merge an operator's code table into the overlay.

Operators get code lists from their manufacturers (Kempower, Alpitronic... publish none). A
table is CSV (comma, semicolon or tab separated, Excel's UTF-8 BOM accepted) or YAML (a list of
rows, or ``entries:`` holding one). Every row is checked before anything is written; one bad row
rejects the whole table with ``file:line: field: message`` for each problem, so nothing is half
imported. The result goes to the overlay directory, never to the shipped catalog, and the
merged overlay is loaded once before it replaces the old files.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from chargekeeper.config.loader import ConfigError, read_yaml, validation_problems
from translator.catalog import Catalog, load_catalog
from translator.codes import code_key
from translator.errors import CatalogError, TableImportError
from translator.schema import (
    LANGUAGE_PATTERN,
    CodeFacts,
    CodeFormat,
    CodeSetFile,
    EntryText,
    Responsible,
    SetKind,
)

REQUIRED = ("code", "severity", "category", "title", "explanation", "cause", "action")
OPTIONAL = ("responsible", "source", "lang")
COLUMNS = REQUIRED + OPTIONAL
MAX_ROWS = 10_000


@dataclass(frozen=True)
class ImportResult:
    """What an import changed."""

    set_id: str
    vendor_name: str
    new_set: bool
    added: int
    replaced: int
    files: tuple[Path, ...]


@dataclass(frozen=True)
class _Row:
    line: int
    values: dict[str, str]
    lines: dict[str, int]


def _column(name: str) -> str:
    return "_".join(name.strip().casefold().replace("-", " ").split())


def _enum_value(text: str) -> str:
    """``Power Module`` → ``power_module``: operators write categories as they speak."""
    return _column(text)


def _read_csv(path: Path, text: str) -> Iterator[_Row]:
    first_line = text.splitlines()[0] if text else ""
    try:
        dialect: Any = csv.Sniffer().sniff(first_line, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        header = next(reader)
    except StopIteration:
        return
    columns = [_column(name) for name in header]
    unknown = [name for name in columns if name and name not in COLUMNS]
    if unknown:
        raise TableImportError(
            [
                f"{path}:1: unknown column '{unknown[0]}': expected {', '.join(COLUMNS)}"
                + (f" (and {len(unknown) - 1} more unknown)" if len(unknown) > 1 else "")
            ]
        )
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        raise TableImportError([f"{path}:1: missing column(s): {', '.join(missing)}"])
    end = reader.line_num
    for cells in reader:
        start, end = end + 1, reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(columns):
            raise TableImportError(
                [f"{path}:{start}: {len(cells)} cells but the header has {len(columns)} columns"]
            )
        values = {col: cell.strip() for col, cell in zip(columns, cells, strict=False) if col}
        yield _Row(start, values, dict.fromkeys(values, start))


def _read_yaml_rows(path: Path) -> Iterator[_Row]:
    try:
        data, node = read_yaml(path)
    except ConfigError as exc:
        raise TableImportError(exc.problems) from None
    rows_node = node
    if isinstance(data, dict) and "entries" in data and isinstance(node, yaml.MappingNode):
        data = data["entries"]
        rows_node = next(v for k, v in node.value if k.value == "entries")
    if not isinstance(data, list) or not isinstance(rows_node, yaml.SequenceNode):
        line = node.start_mark.line + 1 if node is not None else 1
        raise TableImportError(
            [f"{path}:{line}: expected a list of rows (or 'entries:' holding one)"]
        )
    problems = []
    for item, item_node in zip(data, rows_node.value, strict=True):
        line = item_node.start_mark.line + 1
        if not isinstance(item, dict) or not isinstance(item_node, yaml.MappingNode):
            problems.append(f"{path}:{line}: a row must be a mapping of column: value")
            continue
        lines = {
            _column(str(k.value)): v.start_mark.line + 1
            for k, v in item_node.value
            if isinstance(k, yaml.ScalarNode)
        }
        values = {}
        for key, value in item.items():
            column = _column(str(key))
            if column not in COLUMNS:
                problems.append(
                    f"{path}:{lines.get(column, line)}: unknown column '{key}': expected "
                    f"{', '.join(COLUMNS)}"
                )
                continue
            if isinstance(value, dict | list):
                problems.append(f"{path}:{lines.get(column, line)}: {column}: must be a text")
                continue
            values[column] = "" if value is None else str(value).strip()
        yield _Row(line, values, lines)
    if problems:
        raise TableImportError(problems)


def read_table(path: Path) -> list[_Row]:
    """Rows of a CSV or YAML table, with the line of each value."""
    if path.suffix.lower() in (".yaml", ".yml"):
        rows = list(_read_yaml_rows(path))
    elif path.suffix.lower() in (".csv", ".tsv", ".txt"):
        try:
            text = path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise TableImportError([f"{path}: file not found"]) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise TableImportError([f"{path}: cannot read (UTF-8 expected): {exc}"]) from None
        rows = list(_read_csv(path, text))
    else:
        raise TableImportError([f"{path}: unknown table type: name it .csv or .yaml"])
    if not rows:
        raise TableImportError([f"{path}: no rows to import"])
    if len(rows) > MAX_ROWS:
        raise TableImportError([f"{path}: {len(rows)} rows; at most {MAX_ROWS} per import"])
    return rows


def _validated(
    path: Path, rows: list[_Row], code_format: CodeFormat, default_language: str
) -> list[tuple[CodeFacts, str, EntryText, int]]:
    problems: list[str] = []
    seen: dict[tuple[str, str], int] = {}
    facts_by_key: dict[str, tuple[CodeFacts, int]] = {}
    out = []
    for row in rows:
        values = dict(row.values)

        def where(column: str, row: _Row = row) -> str:
            return f"{path}:{row.lines.get(column, row.line)}"

        missing = [c for c in REQUIRED if not values.get(c)]
        for column in missing:
            problems.append(f"{where(column)}: {column}: required, but empty or missing")
        if missing:
            continue
        language = (values.get("lang") or default_language).casefold()
        if not LANGUAGE_PATTERN.match(language):
            problems.append(f"{where('lang')}: lang: '{language}' is not a language tag (en, fr)")
            continue
        facts_input = {
            "code": values["code"],
            "severity": _enum_value(values["severity"]),
            "category": _enum_value(values["category"]),
            "responsible": _enum_value(values.get("responsible") or Responsible.CHARGER.value),
            "source": values.get("source") or f"operator table {path.name}",
        }
        text_input = {k: values[k] for k in ("title", "explanation", "cause", "action")}
        row_ok = True
        for model, data in ((CodeFacts, facts_input), (EntryText, text_input)):
            try:
                model.model_validate(data)
            except ValidationError as exc:
                row_ok = False
                for err in exc.errors():
                    column = str(err["loc"][0]) if err["loc"] else "row"
                    message = err["msg"].removeprefix("Value error, ")
                    problems.append(
                        f"{where(column)}: {column}: {message} (got '{values.get(column, '')}')"
                    )
        if not row_ok:
            continue
        key = code_key(values["code"], code_format)
        facts = CodeFacts.model_validate(facts_input)
        if (key, language) in seen:
            problems.append(
                f"{where('code')}: code: '{values['code']}' already on line "
                f"{seen[(key, language)]} of this table"
            )
            continue
        if key in facts_by_key and facts_by_key[key][0] != facts:
            problems.append(
                f"{where('code')}: code: '{values['code']}' has other severity, category, "
                f"responsible or source on line {facts_by_key[key][1]}"
            )
            continue
        seen[(key, language)] = row.line
        facts_by_key[key] = (facts, row.line)
        out.append((facts, language, EntryText.model_validate(text_input), row.line))
    if problems:
        raise TableImportError(problems)
    return out


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.casefold()).strip("_")[:60]


def _dump(data: Mapping[str, Any]) -> str:
    return yaml.safe_dump(dict(data), sort_keys=False, allow_unicode=True, width=100)


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)


def import_table(
    table: Path,
    vendor: str,
    overlay: Path,
    catalog: Catalog,
    *,
    language: str = "en",
) -> ImportResult:
    """Validate ``table`` and merge it into ``overlay`` for ``vendor``; raise on any bad row."""
    if not vendor.strip():
        raise TableImportError(["--vendor: give the manufacturer's name, e.g. Kempower"])
    code_set = catalog.resolve_vendor(vendor)
    set_id = code_set.id if code_set else _slug(vendor)
    if not set_id:
        raise TableImportError([f"--vendor: '{vendor}' has no letters or digits to name a file"])
    code_format = code_set.code_format if code_set else CodeFormat.PLAIN
    rows = _validated(table, read_table(table), code_format, language)

    codes_path = overlay / "codes" / f"{set_id}.yaml"
    existing: CodeSetFile | None = None
    if codes_path.exists():
        try:
            existing = load_catalog_file(codes_path)
        except ConfigError as exc:
            raise TableImportError(exc.problems) from None
    entries = {code_key(e.code, code_format): e for e in (existing.entries if existing else [])}
    shipped_keys = set(code_set.entries) if code_set else set()
    added = replaced = 0
    changed_codes: set[str] = set()
    for facts, _, _, _ in rows:
        key = code_key(facts.code, code_format)
        if key in entries or key in shipped_keys:
            replaced += 1
        else:
            added += 1
        if entries.get(key) != facts:
            changed_codes.add(key)
        entries[key] = facts
    name = code_set.name if code_set else vendor.strip()
    aliases = list(existing.aliases) if existing else []
    if vendor.strip() not in aliases and (code_set is None or vendor.strip() != code_set.name):
        aliases.append(vendor.strip())
    codes_doc = {
        "set": set_id,
        "name": name,
        "kind": (code_set.kind if code_set else SetKind.VENDOR).value,
        "aliases": aliases,
        "code_format": code_format.value,
        "public_list": code_set.public_list if code_set else False,
        "entries": [e.model_dump(exclude_none=True, mode="json") for e in entries.values()],
    }
    files: dict[Path, str] = {codes_path: _dump(codes_doc)}
    by_language: dict[str, dict[str, EntryText]] = {}
    for facts, row_language, text, _ in rows:
        by_language.setdefault(row_language, {})[facts.code] = text
    text_root = overlay / "text"
    languages = set(by_language)
    if text_root.is_dir():
        languages |= {p.name for p in text_root.iterdir() if (p / f"{set_id}.yaml").exists()}
    for row_language in sorted(languages):
        text_path = text_root / row_language / f"{set_id}.yaml"
        current: dict[str, Any] = {}
        if text_path.exists():
            current = yaml.safe_load(text_path.read_text(encoding="utf-8")) or {}
        texts = {
            str(code): value
            for code, value in (current.get("entries") or {}).items()
            # New facts make the words of other languages stale: drop them.
            if code_key(str(code), code_format) not in changed_codes
        }
        for code, text in by_language.get(row_language, {}).items():
            texts[code] = text.model_dump()
        about = current.get("about") or f"{name}: operator table imported from {table.name}"
        files[text_path] = _dump({"about": about, "entries": texts})

    _check_then_write(overlay, files)
    return ImportResult(
        set_id=set_id,
        vendor_name=name,
        new_set=code_set is None,
        added=added,
        replaced=replaced,
        files=tuple(files),
    )


def load_catalog_file(path: Path) -> CodeSetFile:
    """One overlay ``codes/<set>.yaml``; raise :class:`ConfigError` with located problems."""
    data, node = read_yaml(path)
    try:
        return CodeSetFile.model_validate(data or {})
    except ValidationError as exc:
        raise ConfigError(path, validation_problems(path, node, exc)) from None


def _check_then_write(overlay: Path, files: Mapping[Path, str]) -> None:
    """Load the overlay as it would be; only then replace the real files, one by one."""
    with tempfile.TemporaryDirectory(prefix="ck-overlay-") as scratch:
        trial = Path(scratch) / "overlay"
        if overlay.is_dir():
            shutil.copytree(overlay, trial)
        for path, text in files.items():
            target = trial / path.relative_to(overlay)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        try:
            load_catalog([trial])
        except CatalogError as exc:
            problems = [p.replace(str(trial), str(overlay)) for p in exc.problems]
            raise TableImportError(problems) from None
    for path, text in files.items():
        _write_atomically(path, text)

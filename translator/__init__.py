"""The translator: OCPP and manufacturer codes in the technician's language.

Load once, look up many times::

    translator = Translator.load()
    result = translator.translate(vendor="Alfen BV", vendor_error_code="210",
                                  error_code="OtherError", language="fr")

The catalog is data (``translator/catalog/``); see ``translator/README.md``.
"""

from translator.catalog import Catalog, CodeSet, Entry, load_catalog
from translator.errors import BadInputError, CatalogError, TableImportError, TranslatorError
from translator.lookup import Translator
from translator.render import render_text
from translator.result import Meaning, Received, Translation
from translator.schema import Category, Responsible, Severity
from translator.table_import import ImportResult, import_table
from translator.unknown import (
    MemoryUnknownCodeStore,
    SqliteUnknownCodeStore,
    UnknownCode,
    UnknownCodeRecorder,
    UnknownCodeStore,
    default_store_path,
)
from translator.unknown_ranking import ManufacturerGap, rank_by_manufacturer

__all__ = [
    "BadInputError",
    "Catalog",
    "CatalogError",
    "Category",
    "CodeSet",
    "Entry",
    "ImportResult",
    "ManufacturerGap",
    "Meaning",
    "MemoryUnknownCodeStore",
    "Received",
    "Responsible",
    "Severity",
    "SqliteUnknownCodeStore",
    "TableImportError",
    "Translation",
    "Translator",
    "TranslatorError",
    "UnknownCode",
    "UnknownCodeRecorder",
    "UnknownCodeStore",
    "default_store_path",
    "import_table",
    "load_catalog",
    "rank_by_manufacturer",
    "render_text",
]

"""The translator's exceptions: all permanent (a retry does not fix a broken file)."""

from __future__ import annotations

from chargekeeper.config.loader import ConfigError


class TranslatorError(Exception):
    """Base class for every error the translator raises on purpose."""


class CatalogError(ConfigError, TranslatorError):
    """A catalog or overlay file is unreadable or invalid; ``problems`` says where and what."""


class TableImportError(TranslatorError):
    """An operator's table has bad rows; ``problems`` lists ``file:line: field: message``."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class BadInputError(TranslatorError, ValueError):
    """A caller passed something that is not a vendor, code or language."""

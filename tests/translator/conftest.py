from __future__ import annotations

import pytest

from translator import Translator


@pytest.fixture(scope="session")
def translator() -> Translator:
    """The shipped catalog, loaded once for the whole session (lookups never mutate it)."""
    return Translator.load()

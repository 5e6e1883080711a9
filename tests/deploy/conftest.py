"""The compose file, loaded once per module."""

from __future__ import annotations

import pytest

from tests.deploy.compose import Compose, load


@pytest.fixture(scope="module")
def compose() -> Compose:
    return load()

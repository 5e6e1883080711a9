"""A reference central system (the ``ocpp`` library over real websockets) for each test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.simulator.central import CentralSystem


@pytest.fixture
async def central() -> AsyncIterator[CentralSystem]:
    system = CentralSystem()
    async with system.running():
        yield system

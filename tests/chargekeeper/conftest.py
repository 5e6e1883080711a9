"""Fixtures of the kernel's configuration and routing tests: the demo fleet and routing policy,
and a webhook token file."""

from __future__ import annotations

from pathlib import Path

import pytest

from chargekeeper.config.fleet import Fleet, load_fleet
from chargekeeper.config.routing import RoutingPolicy, load_routing
from tests.chargekeeper.routing.routing_support import DEMO


@pytest.fixture(scope="module")
def fleet() -> Fleet:
    return load_fleet(DEMO / "fleet.yaml")


@pytest.fixture(scope="module")
def demo(fleet: Fleet) -> RoutingPolicy:
    return load_routing(DEMO / "routing.yaml", fleet)


@pytest.fixture(scope="module")
def token_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("secrets") / "webhook-token"
    path.write_text("s3cret-token\n")
    return path

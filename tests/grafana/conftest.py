"""Real servers shared by the dashboard and report tests: one influxd per test session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.exporter.test_influx_influxd import Influxd


@pytest.fixture(scope="session")
def influxd_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Influxd]:
    """Debian's influxd 1.x (InfluxQL) with an empty ``chargekeeper`` database."""
    server = Influxd(tmp_path_factory.mktemp("influxd"))
    yield server
    server.proc.stop()

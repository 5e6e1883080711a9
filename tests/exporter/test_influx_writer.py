"""InfluxWriter lifecycle without a server: configuration errors and what stop() accounts for."""

from __future__ import annotations

import time
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from chargekeeper.net import free_port
from exporter.events import ChargerRef, MeterSample
from exporter.influx import InfluxWriter
from exporter.selfmetrics import ExporterMetrics

SAMPLE = MeterSample(ChargerRef("CP-1", "s", "c"), time.time(), 1, "SoC", "", 0.5, "ratio")


def dropped(registry: CollectorRegistry) -> float | None:
    return registry.get_sample_value("chargekeeper_exporter_influxdb_points_dropped_total")


@pytest.mark.parametrize("option", ["batch_size", "max_buffer"])
def test_sizes_below_one_are_refused_with_the_values(option: str) -> None:
    options: dict[str, Any] = {option: 0}
    with pytest.raises(ValueError, match=f"{option}=0"):
        InfluxWriter(
            "http://127.0.0.1:1", "", "o", "b", ExporterMetrics(CollectorRegistry()), **options
        )


async def test_stop_without_start_counts_what_was_buffered_as_dropped() -> None:
    registry = CollectorRegistry()
    url = f"http://127.0.0.1:{free_port()}"
    writer = InfluxWriter(url, "", "o", "b", ExporterMetrics(registry))
    for _ in range(3):
        writer.emit(SAMPLE)
    assert registry.get_sample_value("chargekeeper_exporter_influxdb_buffer_points") == 3
    await writer.stop()
    assert dropped(registry) == 3
    assert registry.get_sample_value("chargekeeper_exporter_influxdb_buffer_points") == 0
    writer.emit(SAMPLE)  # after stop: counted, never raised
    assert dropped(registry) == 4

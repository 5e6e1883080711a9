"""The GC schedule against CPython's real collector: what it freezes, frees and defers."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
import weakref
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from prometheus_client import CollectorRegistry

from chargekeeper.net import free_port
from exporter.cli import run_exporter
from exporter.gcschedule import MIN_CLOSED, GcSchedule
from exporter.selfmetrics import ExporterMetrics
from exporter.settings import ExporterSettings


class Cycle:
    """An object that references itself: only the cyclic collector can free it."""

    def __init__(self) -> None:
        self.me = self


class Connections:
    def __init__(self) -> None:
        self.open = 0
        self.closed = 0


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


@pytest.fixture
def connections() -> Connections:
    return Connections()


@contextlib.contextmanager
def running_schedule(
    connections: Connections, registry: CollectorRegistry | None = None, **options: Any
) -> Iterator[GcSchedule]:
    """A schedule over ``connections``' counts, its frozen objects handed back at the end."""
    gc.collect()
    schedule = GcSchedule(
        ExporterMetrics(registry or CollectorRegistry()),
        open_connections=lambda: connections.open,
        closed_connections=lambda: connections.closed,
        **options,
    )
    try:
        yield schedule
    finally:
        schedule.close()


@pytest.fixture
def schedule(registry: CollectorRegistry, connections: Connections) -> Iterator[GcSchedule]:
    with running_schedule(connections, registry, min_spacing=0) as schedule:
        yield schedule


def frozen_cycle(schedule: GcSchedule) -> weakref.ref[Cycle]:
    """A cycle that was alive at a tick (so frozen) and is garbage now."""
    cycle = Cycle()
    schedule.tick()
    ref = weakref.ref(cycle)
    del cycle
    return ref


def test_young_cycles_are_collected_before_freezing(schedule: GcSchedule) -> None:
    cycle = Cycle()
    ref = weakref.ref(cycle)
    del cycle
    schedule.tick()
    assert ref() is None
    assert gc.get_freeze_count() > 0


def test_a_frozen_cycle_waits_for_the_full_collection(schedule: GcSchedule) -> None:
    ref = frozen_cycle(schedule)
    gc.collect()  # CPython's own full collection skips the frozen objects
    schedule.tick()
    assert ref() is not None
    schedule.collect_all()
    assert ref() is None


def test_closed_connections_make_a_full_collection_due(
    schedule: GcSchedule, connections: Connections, registry: CollectorRegistry
) -> None:
    ref = frozen_cycle(schedule)
    connections.closed = MIN_CLOSED - 1
    schedule.tick()
    assert ref() is not None and not schedule.full_collection_due()
    connections.closed = MIN_CLOSED
    schedule.tick()
    assert ref() is None
    assert registry.get_sample_value("chargekeeper_exporter_gc_full_collections_total") == 1

    # The next allowance is a quarter of the connections open after that collection.
    connections.open = 4000
    schedule.collect_all()
    connections.closed += 999
    assert not schedule.full_collection_due()
    connections.closed += 1
    assert schedule.full_collection_due()


def test_the_interval_bounds_the_time_between_full_collections(connections: Connections) -> None:
    with running_schedule(connections, full_interval=0.2, min_spacing=60) as schedule:
        connections.closed = 10 * MIN_CLOSED  # within min_spacing: not yet
        assert not schedule.full_collection_due()
        time.sleep(0.2)
        assert schedule.full_collection_due()
        schedule.tick()
        assert not schedule.full_collection_due()


def test_a_scrape_defers_the_full_collection_up_to_the_limit(connections: Connections) -> None:
    scraping = True
    with running_schedule(
        connections, busy=lambda: scraping, min_spacing=0, max_deferral=0.3
    ) as schedule:
        ref = frozen_cycle(schedule)
        connections.closed = MIN_CLOSED
        schedule.tick()
        assert ref() is not None  # due, but a scrape is being served
        time.sleep(0.3)
        schedule.tick()
        assert ref() is None  # waited long enough: collected despite the scrape

        ref = frozen_cycle(schedule)
        connections.closed += MIN_CLOSED
        schedule.tick()
        assert ref() is not None
        scraping = False
        schedule.tick()
        assert ref() is None


def test_pauses_are_observed_and_close_hands_the_gc_back(
    registry: CollectorRegistry, connections: Connections
) -> None:
    count = "chargekeeper_exporter_gc_pause_seconds_count"
    with running_schedule(connections, registry) as schedule:
        schedule.tick()
        schedule.collect_all()
        assert (registry.get_sample_value(count, {"generation": "1"}) or 0) >= 1
        assert (registry.get_sample_value(count, {"generation": "2"}) or 0) >= 1
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0
    before = registry.get_sample_value(count, {"generation": "2"})
    gc.collect()
    assert registry.get_sample_value(count, {"generation": "2"}) == before


async def test_the_collector_runs_the_schedule_and_hands_the_gc_back() -> None:
    ocpp, metrics = free_port(), free_port()
    settings = ExporterSettings.from_options(
        ocpp_listen=f"127.0.0.1:{ocpp}", metrics_listen=f"127.0.0.1:{metrics}"
    )
    stop = asyncio.Event()
    collector = asyncio.create_task(run_exporter(settings, stop))
    try:
        async with httpx.AsyncClient(timeout=5) as client:
            await asyncio.sleep(1.5)  # at least one tick
            text = (await client.get(f"http://127.0.0.1:{metrics}/metrics")).text
        assert gc.get_freeze_count() > 0
        assert 'chargekeeper_exporter_gc_pause_seconds_count{generation="1"}' in text
    finally:
        stop.set()
        await collector
    assert gc.get_freeze_count() == 0

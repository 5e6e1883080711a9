"""Fast path against full path: a session with the fast paths and one without, fed the same
frames, and everything a frame leaves behind in each."""

from __future__ import annotations

import copy
import json
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest

from exporter import schemas
from exporter.events import Event
from exporter.fastpath import FAST_PATHS
from exporter.lenient import Unintelligible
from exporter.metrics import iter_exposition
from exporter.selfmetrics import ExporterMetrics
from exporter.session import HANDLER_CLASSES, Session
from exporter.state import FleetState
from tests.exporter.sessions import NOW
from tests.support.fakes import RecordingSink


class Collector:
    """One session over its own fleet state, metrics registry and event sink."""

    def __init__(self, version: str, *, fast: bool) -> None:
        self.registry = CollectorRegistry()
        metrics = ExporterMetrics(self.registry)
        self.sink = RecordingSink()
        self.state = FleetState(None, metrics, self.sink, clock=lambda: NOW)
        self.state.connected("CP-1", version)
        self.session = Session("CP-1", version, self.state, metrics, None if fast else {})

    def outcome(self) -> tuple[list[Event], bytes, list[bytes]]:
        """Everything observable that a frame changes (replies are compared per frame)."""
        fleet = b"".join(iter_exposition(self.state))
        # Counter creation times differ between two registries; their values must not.
        own = [
            line for line in generate_latest(self.registry).split(b"\n") if b"_created" not in line
        ]
        return self.sink.events, fleet, own


def assert_same_outcome(version: str, frames: list[str]) -> None:
    fast, full = Collector(version, fast=True), Collector(version, fast=False)
    for frame in frames:
        assert fast.session.handle(frame) == full.session.handle(frame), frame
    assert fast.outcome() == full.outcome()


def recognised(version: str, action: str, payload: Any) -> bool:
    """Whether the fast path answers ``payload``, with a reply or with the handler's refusal
    (on a scratch state, so nothing leaks)."""
    state = Collector(version, fast=True).state
    handlers = HANDLER_CLASSES[version](state, state.charger("CP-1"))
    try:
        return FAST_PATHS[version][action](handlers, copy.deepcopy(payload)) is not None
    except Unintelligible:
        return True


def schema_accepts(version: str, action: str, payload: Any) -> bool:
    try:
        schemas.request_validator(version, action)(copy.deepcopy(payload))
    except schemas.SchemaError:
        return False
    return True


def call(action: str, payload: Any, message_id: str = "m1") -> str:
    return json.dumps([2, message_id, action, payload])

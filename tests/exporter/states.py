"""A fleet state fed raw frames through a session, with a manual clock and a recording sink."""

from __future__ import annotations

import json
from typing import Any

from prometheus_client import CollectorRegistry

from chargekeeper.config.fleet import Fleet
from exporter.records import ConnectorState
from exporter.selfmetrics import ExporterMetrics
from exporter.session import Session
from exporter.state import FleetState
from tests.support.fakes import ManualClock, RecordingSink

START = 1_764_000_000.0


def iso(seconds: float) -> str:
    from exporter.lenient import iso_utc

    return iso_utc(seconds)


FLEET = Fleet.model_validate(
    {
        "unknown_chargers": "refuse",
        "clients": [{"id": "acme"}],
        "sites": [{"id": "depot", "client": "acme"}],
        "chargers": [{"id": "CP1", "site": "depot", "group": "dc", "vendor": "Alfen BV"}],
    }
)


class Fixture:
    def __init__(self, version: str = "1.6", fleet: Fleet | None = None) -> None:
        self.clock = ManualClock(START)
        self.sink = RecordingSink()
        self.registry = CollectorRegistry()
        self.metrics = ExporterMetrics(self.registry)
        self.state = FleetState(fleet, self.metrics, self.sink, self.clock)
        self.version = version
        self.session: Session | None = None

    def connect(self, charge_point_id: str = "CP1") -> None:
        self.state.connected(charge_point_id, self.version)
        self.session = Session(charge_point_id, self.version, self.state, self.metrics)

    def call(self, action: str, payload: dict[str, Any]) -> list[Any]:
        assert self.session is not None
        (reply,) = self.session.handle(json.dumps([2, "id", action, payload]))
        decoded: list[Any] = json.loads(reply)
        assert decoded[0] == 3, decoded
        return decoded

    def status16(
        self, status: str, error: str = "NoError", connector: int = 1, **extra: Any
    ) -> None:
        self.call(
            "StatusNotification",
            {"connectorId": connector, "errorCode": error, "status": status, **extra},
        )

    def connector(self, connector_id: int = 1, charge_point_id: str = "CP1") -> ConnectorState:
        return self.state.chargers[charge_point_id].connectors[connector_id]

    def events(self, kind: type) -> list[Any]:
        return [event for event in self.sink.events if isinstance(event, kind)]

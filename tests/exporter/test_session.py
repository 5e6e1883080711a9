"""Session.handle with raw frames: a schema-valid reply to every action of both versions."""

from __future__ import annotations

import inspect
import json
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from exporter import schemas
from exporter.handlers import method_name
from exporter.handlers16 import CentralSystem16
from exporter.handlers201 import CentralSystem201
from exporter.selfmetrics import ExporterMetrics
from exporter.session import Session
from exporter.state import FleetState
from tests.exporter.sessions import NOW, NOW_ISO, REQUESTS, REQUESTS_16, REQUESTS_201, Setup


def test_every_handler_method_is_routed_and_every_routed_action_is_charger_initiated() -> None:
    for cls, requests in ((CentralSystem16, REQUESTS_16), (CentralSystem201, REQUESTS_201)):
        handlers = {name for name, _ in inspect.getmembers(cls) if name.startswith("on_")}
        assert handlers == {method_name(action) for action in cls.routes}
        assert set(cls.routes) == set(requests)
        assert cls.lenient_actions <= set(cls.routes)


@pytest.mark.parametrize(
    ("version", "action"),
    [(version, action) for version, requests in REQUESTS.items() for action in requests],
)
def test_every_action_gets_a_schema_valid_reply(version: str, action: str) -> None:
    payload = REQUESTS[version][action]
    schemas.request_validator(version, action)(payload)  # the fixture itself is spec-valid
    setup = Setup(version)
    reply = setup.call(action, payload, msg_id="abc")
    assert reply[:2] == [3, "abc"], reply
    schemas.response_validator(version, action)(reply[2])
    assert setup.sample("chargekeeper_exporter_noncompliant_frames_total") is None
    assert (
        setup.sample("chargekeeper_exporter_messages_total", ocpp_version=version, action=action)
        == 1
    )


@pytest.mark.parametrize(
    ("version", "action", "reply"),
    [
        (
            "1.6",
            "BootNotification",
            {"status": "Accepted", "currentTime": NOW_ISO, "interval": 300},
        ),
        ("1.6", "Heartbeat", {"currentTime": NOW_ISO}),
        ("1.6", "StartTransaction", {"transactionId": 1, "idTagInfo": {"status": "Accepted"}}),
        ("1.6", "StopTransaction", {}),  # no idTag in the request: no idTagInfo
        ("1.6", "Authorize", {"idTagInfo": {"status": "Accepted"}}),
        ("1.6", "DataTransfer", {"status": "UnknownVendorId"}),
        ("1.6", "SignCertificate", {"status": "Rejected"}),
        (
            "2.0.1",
            "BootNotification",
            {"currentTime": NOW_ISO, "interval": 300, "status": "Accepted"},
        ),
        ("2.0.1", "TransactionEvent", {"idTokenInfo": {"status": "Accepted"}}),
        ("2.0.1", "NotifyEVChargingNeeds", {"status": "Rejected"}),
        ("2.0.1", "Get15118EVCertificate", {"status": "Failed", "exiResponse": ""}),
        ("2.0.1", "GetCertificateStatus", {"status": "Failed"}),
    ],
)
def test_reply_values(version: str, action: str, reply: dict[str, Any]) -> None:
    assert Setup(version).call(action, REQUESTS[version][action])[2] == reply


def test_transaction_ids_are_assigned_in_sequence() -> None:
    setup = Setup("1.6")
    first = setup.call("StartTransaction", REQUESTS_16["StartTransaction"])[2]
    second = setup.call("StartTransaction", {**REQUESTS_16["StartTransaction"], "connectorId": 2})
    assert (first["transactionId"], second[2]["transactionId"]) == (1, 2)


def test_heartbeat_interval_comes_from_the_state() -> None:
    metrics = ExporterMetrics(CollectorRegistry())
    state = FleetState(None, metrics, clock=lambda: NOW, heartbeat_interval=42)
    session = Session("CP9", "1.6", state, metrics)
    (reply,) = session.handle(
        json.dumps([2, "b", "BootNotification", REQUESTS_16["BootNotification"]])
    )
    assert json.loads(reply)[2]["interval"] == 42


def test_internal_errors_cost_one_callerror_not_the_connection() -> None:
    setup = Setup("1.6")

    def broken(self: object, payload: dict[str, Any]) -> dict[str, Any]:
        raise RuntimeError("bug")

    # Authorize: an action without a fast path (exporter.fastpath), so its route is used.
    setup.session._routes = {**setup.session._routes, "Authorize": broken}
    (reply,) = setup.session.handle('[2,"z","Authorize",{"idTag":"T"}]')
    assert json.loads(reply)[:3] == [4, "z", "InternalError"]
    assert json.loads(setup.session.handle('[2,"y","Heartbeat",{}]')[0])[0] == 3

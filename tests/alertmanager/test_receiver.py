"""The webhook's HTTP contract: auth, lenient parsing, 4xx vs 5xx, the API and metrics."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from alertmanager.payload import WebhookPayload
from chargekeeper.routing import WEBHOOK_PATH
from console.auth import Role, create_user, issue_api_token
from tests.alertmanager.receiver_support import (
    AUTH,
    LYON_TEAM,
    TOKEN,
    ThreadedReceiver,
    alert,
    fixture_payload,
    running_receiver,
    wait_until,
    webhook,
    write_config,
)
from tests.support.paths import ALERTMANAGER_PAYLOADS
from tests.support.procs import free_port


class Client:
    """httpx against the receiver served by uvicorn in a thread."""

    def __init__(self, receiver: ThreadedReceiver) -> None:
        self.receiver = receiver
        self.http = httpx.Client(base_url=receiver.url, timeout=5)

    def get(
        self, path: str, params: dict[str, str] | None = None, headers: dict[str, str] = AUTH
    ) -> httpx.Response:
        return self.http.get(path, params=params, headers=headers)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.post(path, **kwargs)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[Client]:
    config = write_config(tmp_path / "config", free_port())
    with running_receiver(config, tmp_path / "state") as receiver:
        client = Client(receiver)
        yield client
        client.http.close()


def post(client: Client, body: Any, headers: dict[str, str] = AUTH) -> httpx.Response:
    return client.post(WEBHOOK_PATH, json=body, headers=headers)


@pytest.mark.parametrize("path", sorted(ALERTMANAGER_PAYLOADS.glob("*.json")), ids=lambda p: p.name)
def test_shared_fixture_payloads_fit_the_schema(path: Path) -> None:
    payload = WebhookPayload.model_validate_json(path.read_text())
    assert payload.version == "4" and payload.truncated_alerts == 0
    [only] = payload.alerts
    assert only.fingerprint == "45ac2954b3daf923"
    assert only.labels["vendor_error_code"] == "210"
    assert only.starts_at.isoformat() == "2026-11-24T13:23:06+00:00"
    # Go's zero time means "no end yet".
    assert (only.ends_at is None) == (payload.status == "firing")


def test_bearer_token_is_required(client: Client) -> None:
    body = fixture_payload("firing_one_alert.json")
    assert post(client, body, headers={}).status_code == 401
    assert post(client, body, headers={"Authorization": "Bearer nope"}).status_code == 401
    assert post(client, body, headers={"Authorization": f"Basic {TOKEN}"}).status_code == 401
    assert post(client, body).status_code == 200
    # The scheme's case does not matter (RFC 7235).
    lowercase = {"Authorization": f"bearer {TOKEN}"}
    assert post(client, webhook([alert("CP-2")]), headers=lowercase).status_code == 200


def test_malformed_bodies_are_400_with_the_field_named(client: Client) -> None:
    response = client.post(WEBHOOK_PATH, content=b"{not json", headers=AUTH)
    assert response.status_code == 400 and "not JSON" in response.json()["detail"]
    missing = post(client, {"receiver": "x", "status": "firing"})
    assert missing.status_code == 400
    assert "alerts: Field required" in missing.json()["detail"]
    bad_alert = post(client, webhook([dict(alert("CP-1"), startsAt="yesterday")]))
    assert bad_alert.status_code == 400 and "alerts.0.startsAt" in bad_alert.json()["detail"][0]
    assert client.get("/api/v1/alerts").json() == []


def test_unknown_keys_and_missing_optional_fields_are_accepted(client: Client) -> None:
    minimal = {
        "receiver": LYON_TEAM,
        "status": "firing",
        "alerts": [
            {
                "status": "firing",
                "startsAt": "2026-11-24T13:23:06.123456789Z",
                "fingerprint": "abc",
                "somethingNew": {"nested": True},
            }
        ],
        "futureField": 1,
    }
    response = post(client, minimal)
    assert response.status_code == 200, response.text
    assert response.json()["alerts"] == 1
    [stored] = client.get("/api/v1/alerts").json()
    assert stored["fingerprint"] == "abc" and stored["labels"] == {}


def test_truncated_alerts_are_stored_flagged_and_counted(client: Client) -> None:
    body = webhook([alert("CP-1")], truncatedAlerts=12)
    assert post(client, body).json()["truncated_alerts"] == 12
    [stored] = client.get("/api/v1/alerts").json()
    assert stored["truncated"] is True
    assert "chargekeeper_receiver_truncated_alerts_total 12.0" in client.get("/metrics").text


def test_store_failure_is_503_so_alertmanager_retries(client: Client) -> None:
    engine = client.receiver.built.service.pipeline.sessions.kw["bind"]
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE delivery_alerts"))
        connection.execute(text("DROP TABLE notified_alert_states"))
        connection.execute(text("DROP TABLE deliveries"))
        connection.execute(text("DROP TABLE webhook_receipts"))
    response = post(client, webhook([alert("CP-1")]))
    assert response.status_code == 503 and "retry" in response.json()["error"]


def test_alert_list_filters_and_delivery_log(client: Client) -> None:
    post(
        client, webhook([alert("CP-1"), alert("CP-2", family="soc", alertname="ChargerSocStalled")])
    )
    assert len(client.get("/api/v1/alerts").json()) == 2
    [soc] = client.get("/api/v1/alerts", params={"family": "soc"}).json()
    assert soc["charge_point_id"] == "CP-2" and soc["starts_at"].endswith("Z")
    assert client.get("/api/v1/alerts", params={"status": "bogus"}).status_code == 422
    # 13:23Z starts; an offset in the filter is honoured.
    assert (
        len(client.get("/api/v1/alerts", params={"since": "2026-11-24T15:20:00+02:00"}).json()) == 2
    )
    assert client.get("/api/v1/alerts", params={"since": "2026-11-24T13:30:00Z"}).json() == []
    log = wait_until(
        lambda: (rows := client.get("/api/v1/notifications").json()) and len(rows) == 4 and rows,
        10,
        "4 deliveries logged",
    )
    assert {(d["recipient_id"], d["channel"]) for d in log} == {
        ("alice", "email"),
        ("alice", "sms"),
        ("dan", "email"),
        ("dan", "sms"),
    }
    only_sms = client.get("/api/v1/notifications", params={"channel": "sms"}).json()
    assert {d["channel"] for d in only_sms} == {"sms"} and all(d["alert_ids"] for d in only_sms)


def test_metrics_and_openapi(client: Client) -> None:
    metrics = client.get("/metrics").text
    assert 'chargekeeper_notifications_sent_total{channel="email"}' in metrics
    assert 'chargekeeper_notifications_failed_total{channel="sms",reason="connection"}' in metrics
    assert "process_start_time_seconds" in metrics
    document = client.get("/openapi.json").json()
    paths = document["paths"]
    assert {WEBHOOK_PATH, "/api/v1/alerts", "/api/v1/notifications"} <= set(paths)
    schemes = document["components"]["securitySchemes"]
    assert schemes["ReadToken"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "A console API token (ck_..., any role) or the webhook's bearer token.",
    }
    assert schemes["WebhookToken"]["scheme"] == "bearer"
    for path in ("/api/v1/alerts", "/api/v1/notifications"):
        assert paths[path]["get"]["security"] == [{"ReadToken": []}]
        assert "401" in paths[path]["get"]["responses"]
    assert paths[WEBHOOK_PATH]["post"]["security"] == [{"WebhookToken": []}]


def test_read_apis_take_a_console_api_token_or_the_webhook_token(client: Client) -> None:
    sessions = client.receiver.built.service.pipeline.sessions
    create_user(sessions, "victor", "victor-password-1", Role.VIEWER)
    console_token = issue_api_token(sessions, "victor", "script")
    post(client, webhook([alert("CP-1")]))
    wait_until(lambda: len(client.get("/api/v1/notifications").json()) == 4, 10, "4 deliveries")
    for path, expected in (("/api/v1/alerts", 1), ("/api/v1/notifications", 4)):
        for refused in (
            {},
            {"Authorization": "Bearer nope"},
            {"Authorization": "Bearer ck_" + "x" * 43},
            {"Authorization": f"Basic {TOKEN}"},
            {"Authorization": f"Bearer {console_token}x"},
        ):
            response = client.get(path, headers=refused)
            assert response.status_code == 401, (path, refused)
            assert response.headers["WWW-Authenticate"] == "Bearer"
            assert "Bearer ck_" in response.json()["detail"]
        for accepted in (AUTH, {"Authorization": f"Bearer {console_token}"}):
            response = client.get(path, headers=accepted)
            assert response.status_code == 200, response.text
            assert len(response.json()) == expected

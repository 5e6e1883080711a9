"""The console's JSON API: bearer tokens, the filtered list, ack/unack, chargers, OpenAPI."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from chargekeeper.receiver import Receiver
from console.auth import issue_api_token
from tests.alertmanager.receiver_support import alert, webhook
from tests.console.support import ADMIN, TECH, VIEWER, client_for, log_in, post_webhook


@pytest.fixture
def client(built: Receiver) -> Iterator[httpx.Client]:
    with client_for(built) as client:
        post_webhook(
            client,
            webhook(
                [
                    alert("CP-2", starts_at="2026-11-24T13:00:00Z"),
                    alert("CP-ALFEN-01", severity="warning", starts_at="2026-11-24T13:05:00Z"),
                ]
            ),
        )
        post_webhook(client, webhook([alert("CP-3", site="leeds")]))
        yield client


def bearer(built: Receiver, username: str) -> dict[str, str]:
    token = issue_api_token(built.service.pipeline.sessions, username, "tests")
    return {"Authorization": f"Bearer {token}"}


def test_every_console_endpoint_needs_a_known_token(client: httpx.Client) -> None:
    for method, path in (
        ("GET", "/api/v1/console/alerts"),
        ("GET", "/api/v1/alerts/1"),
        ("POST", "/api/v1/alerts/1/ack"),
        ("DELETE", "/api/v1/alerts/1/ack"),
        ("GET", "/api/v1/chargers"),
        ("GET", "/api/v1/chargers/CP-2"),
    ):
        for headers in ({}, {"Authorization": "Bearer ck_not-a-real-token"}):
            response = client.request(method, path, headers=headers, json={})
            assert response.status_code == 401, (method, path, headers)
            assert response.headers["www-authenticate"] == "Bearer"


def test_list_filters_and_counts(client: httpx.Client, built: Receiver) -> None:
    auth = bearer(built, VIEWER[0])
    body = client.get("/api/v1/console/alerts", headers=auth).json()
    assert [a["charge_point_id"] for a in body["alerts"]] == ["CP-3", "CP-ALFEN-01", "CP-2"]
    assert body["counts"]["severity"] == {"critical": 2, "warning": 1}
    assert body["counts"]["client"] == {"retailco": 3}
    lyon = client.get("/api/v1/console/alerts", params={"site": "lyon"}, headers=auth).json()
    assert {a["charge_point_id"] for a in lyon["alerts"]} == {"CP-2", "CP-ALFEN-01"}
    assert lyon["counts"]["site"] == {"lyon": 2, "leeds": 1}
    bad = client.get("/api/v1/console/alerts", params={"period": "forever"}, headers=auth)
    assert bad.status_code == 422


def test_technician_acks_and_unacks_viewer_cannot(client: httpx.Client, built: Receiver) -> None:
    viewer, tech = bearer(built, VIEWER[0]), bearer(built, TECH[0])
    alerts = client.get("/api/v1/console/alerts", headers=viewer).json()["alerts"]
    alert_id = alerts[0]["id"]
    path = f"/api/v1/alerts/{alert_id}/ack"
    assert client.post(path, json={}, headers=viewer).status_code == 403
    acked = client.post(path, json={"note": "driving there"}, headers=tech)
    assert acked.status_code == 200
    assert acked.json()["ack"] | {"at": None} == {
        "by": "alice",
        "via": "console",
        "note": "driving there",
        "at": None,
    }
    assert client.get(f"/api/v1/alerts/{alert_id}", headers=viewer).json()["ack"]["by"] == "alice"
    assert client.delete(path, headers=tech).json()["ack"] is None
    assert client.post("/api/v1/alerts/999999/ack", json={}, headers=tech).status_code == 404
    too_long = client.post(path, json={"note": "x" * 2001}, headers=tech)
    assert too_long.status_code == 422
    past = client.post(path, json={"until": "2020-01-01T00:00:00"}, headers=tech)
    assert past.status_code == 422 and "not in the future" in past.text


def test_chargers_and_maintenance_record(client: httpx.Client, built: Receiver) -> None:
    auth = bearer(built, VIEWER[0])
    chargers = {c["id"]: c for c in client.get("/api/v1/chargers", headers=auth).json()}
    assert chargers["CP-2"] == {
        "id": "CP-2",
        "site": "lyon",
        "client": "retailco",
        "group": "default",
        "vendor": "",
        "model": "",
        "firing_alerts": 1,
    }
    record = client.get("/api/v1/chargers/CP-3", headers=auth).json()
    assert record["charger"]["site"] == "leeds"
    assert [i["alert"]["alertname"] for i in record["incidents"]] == ["ChargerFaulted"]
    assert record["incidents"][0]["duration"] == ""  # still firing
    assert client.get("/api/v1/chargers/NOPE", headers=auth).status_code == 404


def test_openapi_documents_the_console_api_with_bearer_auth(client: httpx.Client) -> None:
    document = client.get("/openapi.json").json()
    for path in (
        "/api/v1/console/alerts",
        "/api/v1/alerts/{alert_id}",
        "/api/v1/alerts/{alert_id}/ack",
        "/api/v1/chargers",
        "/api/v1/chargers/{charge_point_id}",
    ):
        assert path in document["paths"], path
    assert set(document["paths"]["/api/v1/alerts/{alert_id}/ack"]) == {"post", "delete"}
    assert document["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert "/api/v1/alertmanager/webhook" in document["paths"]  # the receiver's, still there
    assert "/alerts" not in document["paths"]  # pages stay out of the API document


def test_a_user_issues_uses_and_revokes_a_token_from_the_tokens_page(
    client: httpx.Client,
) -> None:
    csrf = log_in(client, TECH)
    page = client.post("/tokens", data={"csrf": csrf, "name": "phone app"})
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    match = re.search(r'<code id="new-token">(ck_[A-Za-z0-9_-]+)</code>', page.text)
    assert match, page.text
    auth = {"Authorization": f"Bearer {match.group(1)}"}
    assert client.get("/api/v1/chargers", headers=auth).status_code == 200
    listing = client.get("/tokens").text
    assert "phone app" in listing and match.group(1) not in listing  # shown once only
    token_id = re.search(r'action="/tokens/(\d+)/revoke"', listing)
    assert token_id
    assert client.post("/tokens", data={"csrf": "forged", "name": "x"}).status_code == 403
    revoked = client.post(f"/tokens/{token_id.group(1)}/revoke", data={"csrf": csrf})
    assert revoked.status_code == 303
    assert client.get("/api/v1/chargers", headers=auth).status_code == 401


def test_only_an_admin_acknowledges_the_stack_s_own_alerts(
    client: httpx.Client, built: Receiver
) -> None:
    # Acknowledging silences: a silenced Watchdog is a dead-man switch that cannot fire.
    watchdog = alert("", alertname="Watchdog", severity="info", family="fleet", site="")
    post_webhook(client, webhook([watchdog], receiver="deadman"))
    viewer, tech = bearer(built, VIEWER[0]), bearer(built, TECH[0])
    listed = client.get("/api/v1/console/alerts", params={"family": "fleet"}, headers=viewer)
    (found,) = listed.json()["alerts"]
    path = f"/api/v1/alerts/{found['id']}/ack"
    refused = client.post(path, json={}, headers=tech)
    assert refused.status_code == 403 and "only an admin" in refused.json()["detail"]
    assert client.get(f"/api/v1/alerts/{found['id']}", headers=tech).json()["ack"] is None
    admin = bearer(built, ADMIN[0])
    assert (
        client.post(path, json={"note": "pipeline work"}, headers=admin).json()["ack"]["by"]
        == (ADMIN[0])
    )

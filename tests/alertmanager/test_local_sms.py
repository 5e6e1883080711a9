"""The local Messages endpoint's wire format, spoken to with plain HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from alertmanager.localsms import LocalSmsServer

SID = "AC" + "3" * 32
PATH = f"/2010-04-01/Accounts/{SID}/Messages.json"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LocalSmsServer]:
    server = LocalSmsServer(tmp_path, SID, "tok").start()
    try:
        yield server
    finally:
        server.stop()


def test_created_message_answers_like_twilio_and_is_kept_on_disk(server: LocalSmsServer) -> None:
    response = httpx.post(
        server.url + PATH,
        data={"To": "+33612345001", "From": "+15005550006", "Body": "€" * 100},
        auth=(SID, "tok"),
    )
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "queued" and body["num_segments"] == "2"  # 200 septets
    assert body["uri"] == f"/2010-04-01/Accounts/{SID}/Messages/{body['sid']}.json"
    assert [m["sid"] for m in server.messages()] == [body["sid"]]
    assert (server.path.parent.name, server.path.name) == ("sms", "messages.jsonl")


@pytest.mark.parametrize(
    ("auth", "path", "status", "code"),
    [
        ((SID, "wrong"), PATH, 401, 20003),
        (("AC" + "4" * 32, "tok"), PATH.replace("3" * 32, "4" * 32), 401, 20003),
        ((SID, "tok"), "/2010-04-01/Accounts/nope/Calls.json", 404, 20404),
    ],
)
def test_auth_and_unknown_paths_are_refused(
    server: LocalSmsServer, auth: tuple[str, str], path: str, status: int, code: int
) -> None:
    response = httpx.post(server.url + path, data={"To": "+33612345001", "Body": "x"}, auth=auth)
    assert response.status_code == status and response.json()["code"] == code
    assert server.messages() == []


def test_missing_sender_and_body_get_twilio_codes(server: LocalSmsServer) -> None:
    no_sender = httpx.post(
        server.url + PATH, data={"To": "+33612345001", "Body": "x"}, auth=(SID, "tok")
    )
    assert no_sender.json()["code"] == 21603
    no_body = httpx.post(
        server.url + PATH, data={"To": "+33612345001", "From": "+15005550006"}, auth=(SID, "tok")
    )
    assert no_body.json()["code"] == 21602

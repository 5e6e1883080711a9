"""Twilio's callbacks: signed status updates (failover on undelivered) and SMS reply acks."""

from __future__ import annotations

from pathlib import Path

import httpx
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from alertmanager.settings import local_auth_token
from alertmanager.smshooks import INBOUND_PATH, STATUS_PATH
from chargekeeper.store import Acknowledgement
from tests.alertmanager.receiver_support import (
    LENA_SMS,
    ThreadedReceiver,
    alert,
    running_receiver,
    wait_until,
    webhook,
    write_config,
)
from tests.support.procs import free_port


def signed_post(
    receiver: ThreadedReceiver, path: str, form: dict[str, str], token: str
) -> httpx.Response:
    url = receiver.url + path
    signature = RequestValidator(token).compute_signature(url, form)
    return httpx.post(url, data=form, headers={"X-Twilio-Signature": signature}, timeout=5)


def sent(receiver: ThreadedReceiver, count: int) -> list[dict[str, object]]:
    def check() -> list[dict[str, object]] | None:
        rows: list[dict[str, object]] = receiver.get("/api/v1/notifications", state="sent")
        return rows if len(rows) == count else None

    result: list[dict[str, object]] = wait_until(check, 10, f"{count} deliveries sent")
    return result


def acks(receiver: ThreadedReceiver) -> list[Acknowledgement]:
    with receiver.built.service.pipeline.sessions() as session:
        return list(session.scalars(select(Acknowledgement)))


def test_reply_from_the_technician_acknowledges_with_a_valid_signature(tmp_path: Path) -> None:
    config = write_config(tmp_path / "config", free_port())
    with running_receiver(config, tmp_path / "state") as receiver:
        receiver.post(webhook([alert("CP-1"), alert("CP-2")]))
        sent(receiver, 4)
        form = {"From": "+33612345001", "To": "+15005550006", "Body": " OK ", "MessageSid": "SMx"}

        forged = httpx.post(
            receiver.url + INBOUND_PATH, data=form, headers={"X-Twilio-Signature": "bm9wZQ=="}
        )
        assert forged.status_code == 403 and acks(receiver) == []
        assert signed_post(receiver, INBOUND_PATH, form, token="other").status_code == 403

        token = local_auth_token(tmp_path / "state")  # the local SMS endpoint's, made there
        stranger = signed_post(receiver, INBOUND_PATH, dict(form, From="+33699999999"), token)
        assert stranger.status_code == 200 and "<Message>" not in stranger.text
        assert acks(receiver) == []

        reply = signed_post(receiver, INBOUND_PATH, form, token)
        assert reply.status_code == 200
        assert "<Message>Pris en charge : CP-1, CP-2</Message>" in reply.text  # alice is French
        assert sorted((a.by, a.via) for a in acks(receiver)) == [("alice", "sms")] * 2


def test_undelivered_status_fails_over_to_email(tmp_path: Path) -> None:
    config = write_config(tmp_path / "config", free_port())
    with running_receiver(config, tmp_path / "state") as receiver:
        receiver.post(webhook([alert("CP-3", site="leeds")], receiver=LENA_SMS))
        [sms] = sent(receiver, 1)
        form = {
            "MessageSid": str(sms["provider_id"]),
            "MessageStatus": "undelivered",
            "ErrorCode": "30006",
        }
        forged = httpx.post(
            receiver.url + STATUS_PATH, data=form, headers={"X-Twilio-Signature": "x"}
        )
        assert forged.status_code == 403
        token = local_auth_token(tmp_path / "state")
        assert signed_post(receiver, STATUS_PATH, form, token).status_code == 204
        rows = wait_until(
            lambda: (r := receiver.get("/api/v1/notifications")) and len(r) == 2 and r,
            10,
            "a failover delivery",
        )
        email, failed = rows
        assert failed["state"] == "failed" and failed["failure_reason"] == "invalid_address"
        assert email["channel"] == "email" and email["failover_of_id"] == failed["id"]
        assert email["address"] == "lena@example.test"
        wait_until(
            lambda: receiver.get("/api/v1/notifications", channel="email")[0]["state"] == "sent",
            10,
            "failover email sent",
        )

"""Standalone mode's answer to a driver's idTag, from raw frames: the fleet file's id_tags."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from chargekeeper.config.fleet import Fleet, id_tag_digest
from exporter import idtags
from exporter.limits import LimitedLog
from tests.exporter.states import START, Fixture, iso

TS = iso(START)
BASE: dict[str, Any] = {
    "clients": [{"id": "acme"}],
    "sites": [{"id": "depot", "client": "acme"}],
    "chargers": [{"id": "CP1", "site": "depot"}],
}
NO_SECTION = Fleet.model_validate(BASE)
ACCEPT_ALL = Fleet.model_validate({**BASE, "id_tags": {"unknown": "accept"}})
# One tag listed as itself (in lower case), one as its digest.
LISTED = Fleet.model_validate(
    {
        **BASE,
        "id_tags": {"unknown": "reject", "accepted": ["04a2b3c4", id_tag_digest("BADGE-7")]},
    }
)


def frames16(tag: str) -> list[tuple[str, str]]:
    """(request, exact reply) of the three 1.6 calls that carry an idTag, for a tag whose
    status is filled in by the caller."""
    return [
        (
            json.dumps([2, "a1", "Authorize", {"idTag": tag}]),
            '[3,"a1",{"idTagInfo":{"status":"%s"}}]',
        ),
        (
            json.dumps(
                [
                    2,
                    "s1",
                    "StartTransaction",
                    {"connectorId": 1, "idTag": tag, "meterStart": 0, "timestamp": TS},
                ]
            ),
            '[3,"s1",{"transactionId":1,"idTagInfo":{"status":"%s"}}]',
        ),
        (
            json.dumps(
                [
                    2,
                    "t1",
                    "StopTransaction",
                    {"transactionId": 1, "idTag": tag, "meterStop": 5, "timestamp": TS},
                ]
            ),
            '[3,"t1",{"idTagInfo":{"status":"%s"}}]',
        ),
    ]


def transaction_event(tag: Any) -> dict[str, Any]:
    return {
        "eventType": "Started",
        "timestamp": TS,
        "triggerReason": "Authorized",
        "seqNo": 0,
        "transactionInfo": {"transactionId": "tx-1", "chargingState": "Charging"},
        "evse": {"id": 1, "connectorId": 1},
        "idToken": tag,
    }


def frames201(tag: str) -> list[tuple[str, str]]:
    token = {"idToken": tag, "type": "ISO14443"}
    return [
        (
            json.dumps([2, "a1", "Authorize", {"idToken": token}]),
            '[3,"a1",{"idTokenInfo":{"status":"%s"}}]',
        ),
        (
            json.dumps([2, "e1", "TransactionEvent", transaction_event(token)]),
            '[3,"e1",{"idTokenInfo":{"status":"%s"}}]',
        ),
    ]


FRAMES = {"1.6": frames16, "2.0.1": frames201}


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
@pytest.mark.parametrize(
    ("fleet", "tag", "status"),
    [
        (None, "ANYONE", "Accepted"),  # no fleet file: the try-out mode admits everything
        (NO_SECTION, "04A2B3C4", "Invalid"),  # a fleet file must say who may charge
        (ACCEPT_ALL, "ANYONE", "Accepted"),
        (LISTED, "04A2B3C4", "Accepted"),  # listed in lower case: OCPP ignores case
        (LISTED, "badge-7", "Accepted"),  # listed as a digest
        (LISTED, "04A2B3C5", "Invalid"),
        (LISTED, "", "Invalid"),
    ],
    ids=["no-fleet", "no-section", "accept", "listed", "digest", "unlisted", "empty"],
)
def test_every_call_carrying_a_tag_answers_as_the_fleet_says(
    version: str, fleet: Fleet | None, tag: str, status: str
) -> None:
    fixture = Fixture(version, fleet)
    fixture.connect()
    assert fixture.session is not None
    for request, reply in FRAMES[version](tag):
        assert fixture.session.handle(request) == [reply % status]


def test_an_invalid_tag_still_opens_the_transaction_it_started_and_its_stop_closes_it() -> None:
    # The 1.6 charger has already started; it ends the session with a StopTransaction
    # (reason DeAuthorized), which must find the transaction to place its readings.
    fixture = Fixture("1.6", LISTED)
    fixture.connect()
    request, _ = frames16("STRANGER")[1]
    fixture.session.handle(request)  # type: ignore[union-attr]
    charger = fixture.state.chargers["CP1"]
    assert fixture.state.transaction_connector(charger, 1) == 1
    stop = [
        2,
        "t2",
        "StopTransaction",
        {"transactionId": 1, "meterStop": 7, "timestamp": TS, "reason": "DeAuthorized"},
    ]
    assert fixture.session.handle(json.dumps(stop)) == ['[3,"t2",{}]']  # type: ignore[union-attr]
    assert fixture.state.transaction_connector(charger, 1) is None


@pytest.mark.parametrize(
    "token", ["04A2B3C4", 42, ["04A2B3C4"], {"idToken": "", "type": "NoAuthorization"}]
)
def test_an_unreadable_id_token_in_a_transaction_event_is_an_unknown_tag(token: Any) -> None:
    # The event has updated the state before the token is read: a CALLERROR would make the
    # charger resend what was already applied. A listed tag sent as a bare string is no
    # idToken object: unknown too.
    fixture = Fixture("2.0.1", LISTED)
    fixture.connect()
    payload = transaction_event(token)
    (reply,) = fixture.session.handle(json.dumps([2, "e", "TransactionEvent", payload]))  # type: ignore[union-attr]
    assert json.loads(reply) == [3, "e", {"idTokenInfo": {"status": "Invalid"}}]
    charger = fixture.state.chargers["CP1"]
    assert fixture.state.transaction_connector(charger, "tx-1") == 1


def test_a_refused_tag_is_logged_as_its_digest_only(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A fresh limiter: the module's one is process-wide and other tests may have used it up.
    monkeypatch.setattr(idtags, "_refusals", LimitedLog(lambda: START))
    fixture = Fixture("1.6", LISTED)
    fixture.connect()
    with caplog.at_level(logging.DEBUG):
        fixture.session.handle('[2,"a","Authorize",{"idTag":"Secret-Tag"}]')  # type: ignore[union-attr]
        fixture.session.handle('[2,"b","Authorize",{"idTag":"04A2B3C4"}]')  # type: ignore[union-attr]
    (record,) = [r for r in caplog.records if "refused" in r.getMessage()]
    assert record.levelno == logging.WARNING
    assert record.getMessage() == (
        f"id tag {id_tag_digest('SECRET-TAG')} refused at charger CP1 (Invalid): "
        "not in the fleet file's id_tags.accepted"
    )
    assert not [r for r in caplog.records if "secret" in r.getMessage().lower()]


@pytest.mark.parametrize(
    ("fleet", "level", "says"),
    [
        (None, logging.WARNING, "free charging for anyone"),
        (NO_SECTION, logging.WARNING, "every driver's id tag is answered Invalid"),
        (ACCEPT_ALL, logging.WARNING, "free charging for anyone"),
        (LISTED, logging.INFO, "2 listed id tag(s) are Accepted, any other is answered Invalid"),
    ],
    ids=["no-fleet", "no-section", "accept", "listed"],
)
def test_startup_says_what_a_driver_gets(
    caplog: pytest.LogCaptureFixture, fleet: Fleet | None, level: int, says: str
) -> None:
    with caplog.at_level(logging.INFO, "exporter.idtags"):
        idtags.announce_id_tag_policy(fleet)
    (record,) = caplog.records
    assert record.levelno == level
    assert says in record.getMessage()

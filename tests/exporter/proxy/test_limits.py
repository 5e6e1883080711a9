"""The rules standalone mode applies to what a charger sends, on the relayed path, where the
CSMS answers: a reused message id is relayed (the CSMS decides) and watched without confusing
the pairing; the 1.6 transaction the CSMS numbers is tracked under the CSMS's number. (The
size bound on both legs is in test_close.)"""

from __future__ import annotations

import json
import logging

import pytest
from prometheus_client import CollectorRegistry

from exporter.proxy.metrics import ProxyMetrics
from exporter.proxy.observe import Observer, UpstreamAnswer
from exporter.selfmetrics import ExporterMetrics
from exporter.session import Session
from exporter.state import FleetState
from tests.exporter.conftest import charger, eventually, heartbeat_frame, receive_text
from tests.exporter.proxy.conftest import library_csms, running_proxy

MESSAGES = "chargekeeper_exporter_messages_total"
AT = "2026-12-07T03:00:00Z"


def watched() -> tuple[Observer, FleetState, CollectorRegistry, list[UpstreamAnswer]]:
    registry = CollectorRegistry()
    metrics = ExporterMetrics(registry)
    state = FleetState(None, metrics)
    answers: list[UpstreamAnswer] = []
    session = Session("CP-1", "1.6", state, metrics)
    return Observer(session, ProxyMetrics(registry), answers.append), state, registry, answers


def start(msg_id: str, connector: int = 1) -> str:
    payload = {"connectorId": connector, "idTag": "TAG-1", "meterStart": 0, "timestamp": AT}
    return json.dumps([2, msg_id, "StartTransaction", payload])


def stop(msg_id: str, transaction_id: int) -> str:
    payload = {"transactionId": transaction_id, "meterStop": 10, "timestamp": AT}
    return json.dumps([2, msg_id, "StopTransaction", payload])


def active(state: FleetState, connector: int = 1) -> bool:
    return state.charger("CP-1").connectors[connector].transaction_id is not None


def test_a_reused_message_id_is_watched_once_and_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    watcher, _, registry, answers = watched()
    with caplog.at_level(logging.INFO, logger="exporter.proxy.observe"):
        watcher.observe("charger", heartbeat_frame("same"), 10.0)
        watcher.observe("charger", '[2,"same","DataTransfer",{"vendorId":"x"}]', 11.0)
        watcher.observe("charger", heartbeat_frame("same"), 11.5)
        watcher.observe("csms", f'[3,"same",{{"currentTime":"{AT}"}}]', 12.0)
        watcher.observe("csms", f'[3,"same",{{"currentTime":"{AT}"}}]', 12.5)
    # Paired with the CALL it was sent for first; the CSMS's second answer pairs with nothing.
    assert answers == [UpstreamAnswer("CP-1", "Heartbeat", 2.0, {"currentTime": AT}, None)]
    reused = [r for r in caplog.records if "reused" in r.getMessage()]
    assert len(reused) == 1 and "'same'" in reused[0].getMessage()
    # The fleet state saw every frame, as standalone mode would have.
    assert registry.get_sample_value(MESSAGES, {"ocpp_version": "1.6", "action": "Heartbeat"}) == 2


def test_calls_unanswered_too_long_expire_oldest_first_and_are_not_paired_later() -> None:
    registry = CollectorRegistry()
    metrics = ExporterMetrics(registry)
    now = [100.0]
    answers: list[UpstreamAnswer] = []
    session = Session("CP-1", "1.6", FleetState(None, metrics), metrics)
    watcher = Observer(session, ProxyMetrics(registry), answers.append, clock=lambda: now[0])
    watcher.observe("charger", heartbeat_frame("old"), 60.0)
    watcher.observe("charger", '[2,"older","DataTransfer",{"vendorId":"x"}]', 50.0)
    watcher.observe("charger", heartbeat_frame("recent"), 95.0)
    assert watcher.expire(30.0) == ["Heartbeat", "DataTransfer"]  # forwarding order
    assert watcher.expire(30.0) == []
    watcher.observe("csms", f'[3,"old",{{"currentTime":"{AT}"}}]', 101.0)
    watcher.observe("csms", f'[3,"recent",{{"currentTime":"{AT}"}}]', 101.0)
    assert [(a.action, a.seconds) for a in answers] == [("Heartbeat", 6.0)]


def test_a_1_6_transaction_is_tracked_under_the_number_the_csms_gave_it() -> None:
    watcher, state, _, _ = watched()
    watcher.observe("charger", start("s-1"), 1.0)
    assert active(state)
    watcher.observe("csms", '[3,"s-1",{"transactionId":4242,"idTagInfo":{"status":"Accepted"}}]', 2)
    watcher.observe("charger", stop("e-1", 4242), 3.0)
    assert not active(state)


@pytest.mark.parametrize(
    "answer",
    [
        '[4,"s-1","InternalError","",{}]',  # no number from the CSMS
        '[3,"s-1",{"transactionId":"4242","idTagInfo":{"status":"Accepted"}}]',  # not an integer
        '[3,"s-1",{"transactionId":true,"idTagInfo":{"status":"Accepted"}}]',
    ],
)
def test_a_start_the_csms_numbers_no_usable_way_keeps_the_collector_s_number(answer: str) -> None:
    watcher, state, _, _ = watched()
    watcher.observe("charger", start("s-1"), 1.0)
    own = state.charger("CP-1").connectors[1].transaction_id
    watcher.observe("csms", answer, 2.0)
    assert state.charger("CP-1").connectors[1].transaction_id == own
    watcher.observe("charger", stop("e-1", 4242), 3.0)
    assert active(state)  # a stop for a number never given finds nothing, as standalone


async def test_a_reused_message_id_reaches_the_csms_and_both_answers_come_back() -> None:
    async with (
        library_csms() as csms,
        running_proxy(csms.url) as proxy,
        charger(proxy.url("CP-1"), "ocpp1.6") as ws,
    ):
        frames = [heartbeat_frame("dup"), heartbeat_frame("dup")]
        for frame in frames:
            await ws.send(frame)
        replies = [await receive_text(ws) for _ in frames]
        assert [json.loads(reply)[:2] for reply in replies] == [[3, "dup"], [3, "dup"]]
        assert csms.wires["CP-1"].received == frames
        assert csms.wires["CP-1"].sent == replies

        async def counted() -> bool:
            return proxy.counter(MESSAGES, ocpp_version="1.6", action="Heartbeat") == 2

        await eventually(counted)

"""Watching relayed frames: lost observations are counted, never frames, and nothing the
observer does reaches the relay."""

from __future__ import annotations

import json
import logging

import pytest
from prometheus_client import CollectorRegistry

from exporter.proxy.metrics import ProxyMetrics
from exporter.proxy.observe import MAX_PENDING_CALLS, AnswerSink, Observer, UpstreamAnswer
from exporter.selfmetrics import ExporterMetrics
from exporter.session import Session
from exporter.state import FleetState
from tests.exporter.conftest import boot_frame, charger, eventually, heartbeat_frame, receive_text
from tests.exporter.proxy.conftest import library_csms, running_proxy

LOST = "chargekeeper_exporter_proxy_observations_lost_total"
MESSAGES = "chargekeeper_exporter_messages_total"


def observer(
    queue_size: int = 64, on_answer: AnswerSink | None = None
) -> tuple[Observer, CollectorRegistry]:
    registry = CollectorRegistry()
    metrics = ExporterMetrics(registry)
    session = Session("CP-1", "1.6", FleetState(None, metrics), metrics)
    watcher = Observer(session, ProxyMetrics(registry), on_answer, queue_size=queue_size)
    return watcher, registry


def value(registry: CollectorRegistry, name: str, **labels: str) -> float:
    return registry.get_sample_value(name, labels) or 0.0


def test_a_full_queue_drops_observations_and_counts_them() -> None:
    watcher, registry = observer(queue_size=2)
    for n in range(5):
        watcher.from_charger(heartbeat_frame(f"hb-{n}"))
    watcher.drain()
    assert value(registry, LOST, reason="queue_full") == 3
    assert value(registry, MESSAGES, ocpp_version="1.6", action="Heartbeat") == 2


def test_answers_are_paired_with_calls_by_message_id() -> None:
    answers: list[UpstreamAnswer] = []
    watcher, _ = observer(on_answer=answers.append)
    watcher.observe("charger", boot_frame("1.6", "b-1"), 10.0)
    watcher.observe("charger", heartbeat_frame("h-1"), 10.5)
    watcher.observe("csms", '[3,"h-1",{"currentTime":"2026-12-07T03:00:00Z"}]', 10.75)
    watcher.observe("csms", '[4,"b-1","SecurityError","\\u001b[31mno",{}]', 12.0)
    watcher.observe("csms", '[3,"never-called",{}]', 13.0)
    assert answers == [
        UpstreamAnswer("CP-1", "Heartbeat", 0.25, {"currentTime": "2026-12-07T03:00:00Z"}, None),
        UpstreamAnswer("CP-1", "BootNotification", 2.0, None, "SecurityError"),
    ]


def test_a_csms_error_code_is_sanitised_before_anyone_sees_it() -> None:
    answers: list[UpstreamAnswer] = []
    watcher, _ = observer(on_answer=answers.append)
    watcher.observe("charger", heartbeat_frame("h-1"), 1.0)
    watcher.observe("csms", json.dumps([4, "h-1", "Bad\nCode\u202e" + "x" * 500, "", {}]), 2.0)
    code = answers[0].error_code
    assert code is not None and "\n" not in code and "\u202e" not in code and len(code) <= 100


def test_pending_calls_are_bounded() -> None:
    answers: list[UpstreamAnswer] = []
    watcher, _ = observer(on_answer=answers.append)
    for n in range(MAX_PENDING_CALLS + 1):
        watcher.observe("charger", heartbeat_frame(f"h-{n}"), float(n))
    watcher.observe("csms", '[3,"h-0",{}]', 100.0)  # forgotten: the oldest of too many
    watcher.observe("csms", f'[3,"h-{MAX_PENDING_CALLS}",{{}}]', 100.0)
    assert [a.seconds for a in answers] == [100.0 - MAX_PENDING_CALLS]


def test_an_unparsable_csms_frame_or_an_observer_bug_is_counted_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(answer: UpstreamAnswer) -> None:
        raise RuntimeError("bug")

    watcher, registry = observer(on_answer=broken)
    with caplog.at_level(logging.INFO, logger="exporter.proxy.observe"):
        watcher.observe("csms", "<html>", 1.0)
        watcher.observe("csms", '[7,"x"]', 1.0)
        watcher.observe("charger", heartbeat_frame("h-1"), 1.0)
        watcher.observe("csms", '[3,"h-1",{}]', 2.0)
    assert value(registry, LOST, reason="unparsable") == 2
    assert value(registry, LOST, reason="observer_error") == 1
    assert "is not OCPP-J" in caplog.text and "watching a relayed frame failed" in caplog.text


async def test_an_observer_bug_never_touches_the_relayed_frames() -> None:
    def broken(answer: UpstreamAnswer) -> None:
        raise RuntimeError("bug in a metrics hook")

    async with (
        library_csms() as csms,
        running_proxy(csms.url, on_answer=broken) as proxy,
        charger(proxy.url("CP-1"), "ocpp1.6") as ws,
    ):
        received = []
        for n in range(3):
            await ws.send(heartbeat_frame(f"hb-{n}"))
            received.append(await receive_text(ws))

        async def counted() -> bool:
            return proxy.counter(LOST, reason="observer_error") == 3

        await eventually(counted)
        assert received == csms.wires["CP-1"].sent
        assert [json.loads(frame)[1] for frame in received] == ["hb-0", "hb-1", "hb-2"]

"""Issue 15, finding 5: nobody was told when the pipeline itself broke.

Replayed here: Alertmanager (or Prometheus) dies, so no Watchdog reaches the receiver, which
must tell the operations contacts itself by email and SMS, once, and again on recovery; SMTP
dies, so a meta alert routed to the desk by email alone would reach nobody; a child of
``chargekeeper up`` dies, and ``up`` must notice (``test_pipeline_watch_up.py``).
"""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alertmanager.localsms import LocalSmsServer
from alertmanager.localsmtp import LocalSmtpServer
from alertmanager.messages import Renderer
from alertmanager.metrics import ReceiverMetrics
from alertmanager.notify import Notifier, SmtpNotifier, TwilioNotifier
from alertmanager.notify.email import SmtpSettings
from alertmanager.notify.sms import TwilioSettings
from alertmanager.outbox import Outbox, RetryPolicy
from alertmanager.payload import WebhookPayload
from alertmanager.pipeline import Pipeline
from alertmanager.service import ReceiverService
from alertmanager.stages.deliver import OutboxWorker
from alertmanager.watchdog import WatchdogMonitor
from chargekeeper.config.fleet import Fleet
from chargekeeper.config.loader import ConfigError
from chargekeeper.config.routing import RoutingPolicy
from chargekeeper.render.prometheus import dump_yaml
from chargekeeper.routing import (
    DEAD_MANS_SWITCH_RECEIVER,
    LiveRouting,
    WebhookTarget,
    alertmanager_config,
    coverage_gaps,
    routing_resolver,
    who_is_told,
)
from chargekeeper.store import Delivery, create_schema, make_engine, make_sessionmaker, sqlite_url
from tests.alertmanager.receiver_support import alert, webhook
from tests.support.fakes import ManualClock
from tests.support.postgres import PostgresServer
from tests.support.procs import free_port, require_binary
from translator import Translator

SID = "AC" + "4" * 32
SMS_TOKEN = "watch-test-token"
TIMEOUT = 180.0
CHECK = 0.1

# The desk reads mail only; Alice has a phone; Bob covers sites and is no operations contact.
POLICY: dict[str, Any] = {
    "technicians": [
        {"id": "noc", "name": "Desk", "email": "noc@example.test"},
        {"id": "alice", "name": "Alice", "email": "alice@example.test", "phone": "+33612345001"},
        {"id": "bob", "name": "Bob", "email": "bob@example.test", "phone": "+33612345002"},
    ],
    "coverage": [
        {
            "id": "desk",
            "technicians": ["noc"],
            "subscriptions": [{"channels": "email"}],
        },
        {
            "id": "field",
            "technicians": ["bob"],
            "subscriptions": [{"families": ["error"], "channels": "sms"}],
        },
    ],
    "operations": {"technicians": ["noc", "alice"]},
}


def policy(**changes: Any) -> RoutingPolicy:
    return RoutingPolicy.model_validate(POLICY | changes)


# --- the receiver expects the Watchdog ----------------------------------------------------------


@dataclass
class Watched:
    service: ReceiverService
    clock: ManualClock[datetime]
    mail: LocalSmtpServer
    sms: LocalSmsServer
    sessions: sessionmaker[Session]

    def sent(self) -> list[tuple[str, str]]:
        """(channel, address) of every message the local providers accepted."""
        mails = [("email", m["To"].addresses[0].addr_spec) for m in self.mail.messages()]
        return sorted(mails + [("sms", m["to"]) for m in self.sms.messages()])

    def told(self) -> list[tuple[str, str, str]]:
        """(channel, address, firing or resolved) of every message sent, from the store."""
        with self.sessions() as session:
            rows = session.execute(
                select(Delivery.channel, Delivery.address, Delivery.status).where(
                    Delivery.state == "sent"
                )
            ).all()
        return sorted((channel, address, status) for channel, address, status in rows)

    def texts(self) -> list[str]:
        plain = [m.get_body(("plain",)) for m in self.mail.messages()]
        mails = [part.get_content() for part in plain if part is not None]
        return mails + [m["body"] for m in self.sms.messages()]

    async def watchdog_arrives(self) -> None:
        body = webhook(
            [alert("", alertname="Watchdog", severity="info", family="fleet", site="")],
            receiver=DEAD_MANS_SWITCH_RECEIVER,
        )
        await self.service.store(WebhookPayload.model_validate(body), body)


async def settle(watched: Watched, count: int, within: float = 20.0) -> list[tuple[str, str]]:
    """The messages sent once ``count`` have arrived, after a pause in which no more came."""
    deadline = asyncio.get_running_loop().time() + within
    while len(watched.sent()) < count:
        assert asyncio.get_running_loop().time() < deadline, watched.sent()
        await asyncio.sleep(0.1)
    await asyncio.sleep(20 * CHECK)  # several checks: none may add a message
    return watched.sent()


@pytest.fixture
async def watched(tmp_path: Path) -> AsyncIterator[Watched]:
    engine = make_engine(sqlite_url(tmp_path / "receiver.sqlite3"))
    create_schema(engine)
    sessions = make_sessionmaker(engine)
    mail = LocalSmtpServer(tmp_path, port=free_port()).start()
    sms = LocalSmsServer(tmp_path, SID, SMS_TOKEN).start()
    # In the past, so the outbox (on the real clock) finds every delivery due at once.
    clock = ManualClock(datetime.now(UTC) - timedelta(hours=1))
    routing = LiveRouting(policy())
    service = receiver_service(sessions, routing, clock, mail, sms)
    await service.start()
    await asyncio.sleep(0.2)  # the store's writer runs
    try:
        yield Watched(service, clock, mail, sms, sessions)
    finally:
        await service.stop()
        mail.stop()
        sms.stop()
        engine.dispose()


def receiver_service(
    sessions: sessionmaker[Session],
    routing: LiveRouting,
    clock: Callable[[], datetime],
    mail: LocalSmtpServer,
    sms: LocalSmsServer,
    replica: str = "replica-1",
) -> ReceiverService:
    pipeline = Pipeline(
        sessions, Translator.load(), routing_resolver(routing), Renderer(), clock=clock
    )
    notifiers: dict[str, Notifier] = {
        "email": SmtpNotifier(SmtpSettings(port=mail.port, timeout=2)),
        "sms": TwilioNotifier(
            TwilioSettings(SID, SMS_TOKEN, from_number="+15005550006", base_url=sms.url)
        ),
    }
    retry = RetryPolicy(base_delay=0.2, max_delay=1)
    outbox = Outbox(sessions, retry, failover=pipeline.failover, owner=replica)
    metrics = ReceiverMetrics()
    worker = OutboxWorker(outbox, notifiers, metrics, poll_interval=0.1)
    monitor = WatchdogMonitor(sessions, routing, TIMEOUT, clock=clock, check_interval=CHECK)
    return ReceiverService(pipeline, worker, metrics, poll_interval=0.1, watchdog=monitor)


# The desk by email, Alice by email and SMS; never Bob.
OUTAGE = [("email", "alice@example.test"), ("email", "noc@example.test"), ("sms", "+33612345001")]


async def test_no_watchdog_for_the_timeout_tells_the_operations_contacts_by_email_and_sms_once(
    watched: Watched,
) -> None:
    await watched.watchdog_arrives()
    watched.clock.advance(TIMEOUT - 10)
    await asyncio.sleep(10 * CHECK)
    assert watched.sent() == []  # not missing yet

    watched.clock.advance(11)  # Alertmanager died: no Watchdog for the whole timeout
    assert await settle(watched, len(OUTAGE)) == OUTAGE
    assert watched.told() == [(*to, "firing") for to in OUTAGE]
    assert all("Watchdog" in text for text in watched.texts()), watched.texts()

    watched.clock.advance(TIMEOUT * 3)  # still missing: the same outage, nobody told again
    assert await settle(watched, len(OUTAGE)) == OUTAGE

    await watched.watchdog_arrives()  # back: told again, once
    assert await settle(watched, 2 * len(OUTAGE)) == sorted(OUTAGE * 2)
    assert watched.told() == sorted(
        [(*to, "firing") for to in OUTAGE] + [(*to, "resolved") for to in OUTAGE]
    )
    watched.clock.advance(TIMEOUT - 10)
    assert len(await settle(watched, 2 * len(OUTAGE))) == 2 * len(OUTAGE)


async def test_replicas_sharing_the_store_tell_an_outage_once(
    tmp_path: Path, postgres_server: PostgresServer
) -> None:
    # Replicas share PostgreSQL (ARCHITECTURE 6): one engine each, as two processes would have.
    url = postgres_server.url(postgres_server.empty_database())
    engines = [make_engine(url), make_engine(url)]
    create_schema(engines[0])
    mail = LocalSmtpServer(tmp_path, port=free_port()).start()
    sms = LocalSmsServer(tmp_path, SID, SMS_TOKEN).start()
    clock = ManualClock(datetime.now(UTC) - timedelta(hours=1))
    services = [
        receiver_service(make_sessionmaker(engine), LiveRouting(policy()), clock, mail, sms, name)
        for engine, name in zip(engines, ("replica-1", "replica-2"), strict=True)
    ]
    for service in services:
        await service.start()
    await asyncio.sleep(0.2)  # the writers run
    watched = Watched(services[0], clock, mail, sms, make_sessionmaker(engines[0]))
    try:
        await watched.watchdog_arrives()
        watched.clock.advance(TIMEOUT + 1)
        assert await settle(watched, len(OUTAGE)) == OUTAGE
        await watched.watchdog_arrives()
        assert await settle(watched, 2 * len(OUTAGE)) == sorted(OUTAGE * 2)
    finally:
        for service in services:
            await service.stop()
        mail.stop()
        sms.stop()
        for engine in engines:
            engine.dispose()


def test_a_timeout_too_short_for_the_watchdogs_repeat_interval_is_refused(tmp_path: Path) -> None:
    sessions = make_sessionmaker(make_engine(sqlite_url(tmp_path / "r.sqlite3")))
    slow = LiveRouting(policy(watchdog={"repeat_interval": "2m"}))
    with pytest.raises(ConfigError) as refused:
        WatchdogMonitor(sessions, slow, timeout=180)
    assert (
        "receiver.yaml watchdog_timeout is 180s, but routing.yaml watchdog.repeat_interval is "
        "120s" in str(refused.value)
    )
    assert "at least 270s" in str(refused.value)
    WatchdogMonitor(sessions, slow, timeout=270)  # twice the interval plus 30 s fits


def test_a_heartbeat_service_expects_the_watchdog_instead(tmp_path: Path) -> None:
    engine = make_engine(sqlite_url(tmp_path / "r.sqlite3"))
    create_schema(engine)
    clock = ManualClock(datetime.now(UTC))
    external = LiveRouting(policy(watchdog={"url": "https://hc.example/ping/abc"}))
    monitor = WatchdogMonitor(make_sessionmaker(engine), external, clock=clock)
    clock.advance(3600)
    assert monitor.due() == []
    engine.dispose()


# --- meta alerts reach every channel of the operations contacts --------------------------------

FAILING_EMAIL = {
    "alertname": "ChargekeeperNotificationsFailing",
    "family": "fleet",
    "severity": "warning",
    "channel": "email",
}


def test_meta_alerts_reach_the_operations_contacts_on_both_channels() -> None:
    told = who_is_told(policy(), Fleet(), FAILING_EMAIL, datetime(2026, 12, 25, 3, tzinfo=UTC))
    assert {r.technician_id: r.channels for r in told} == {
        "noc": ("email",),
        "alice": ("email", "sms"),  # SMTP is down: Alice's phone still rings
    }
    # A charger alert is not for them: Bob's coverage only.
    fault = {"site": "x", "family": "error", "severity": "critical"}
    assert [r.technician_id for r in who_is_told(policy(), Fleet(), fault, datetime.now(UTC))] == [
        "bob",
        "noc",
    ]


def test_without_operations_the_fleet_wide_coverage_of_family_fleet_is_the_operations() -> None:
    implicit = policy(operations=None)
    told = who_is_told(implicit, Fleet(), FAILING_EMAIL, datetime.now(UTC))
    assert {r.technician_id: r.channels for r in told} == {"noc": ("email",)}
    # The desk has no phone: the coverage check says the meta alerts have no second channel.
    assert coverage_gaps(implicit, Fleet(), datetime.now(UTC)) == [
        "Chargekeeper's own alerts reach no operations contact by SMS: when the other channel "
        "fails, nobody is told; add an operations contact with a phone number"
    ]
    assert coverage_gaps(policy(), Fleet(), datetime.now(UTC)) == []


def test_amtool_routes_meta_alerts_to_the_operations_receiver(tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("t\n")
    document = alertmanager_config(policy(), Fleet(), WebhookTarget("http://127.0.0.1:9095", token))
    config = tmp_path / "alertmanager.yml"
    config.write_text(dump_yaml(document, "test"))
    labels = [f"{name}={value}" for name, value in FAILING_EMAIL.items()]
    routed = subprocess.run(
        [require_binary("amtool"), "config", "routes", "test", f"--config.file={config}", *labels],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert routed.returncode == 0, routed.stderr
    assert routed.stdout.split()[0].split(",") == ["record", "tech:noc:email", "operations"]


async def test_with_smtp_down_a_meta_alert_still_reaches_an_operations_contact_by_sms(
    watched: Watched,
) -> None:
    watched.mail.stop()  # the relay is gone
    failing = alert("", site="", severity="warning", family="fleet", channel="email")
    failing["labels"] |= {"alertname": "ChargekeeperNotificationsFailing"}
    body = webhook([failing], receiver="operations")
    await watched.service.store(WebhookPayload.model_validate(body), body)
    deadline = asyncio.get_running_loop().time() + 20
    while not watched.sms.messages():
        assert asyncio.get_running_loop().time() < deadline, "no SMS reached Alice"
        await asyncio.sleep(0.1)
    assert [m["to"] for m in watched.sms.messages()] == ["+33612345001"]

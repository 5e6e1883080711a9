"""An acked alert's resolution, which Alertmanager mutes, learnt by the console's sweeper from a
real Alertmanager and told through the receiver's own pipeline."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from alertmanager.payload import WebhookPayload
from alertmanager.resolution import SYNTHESIZED_KEY
from chargekeeper.blocking import BlockingCalls
from chargekeeper.receiver import Receiver, build_receiver
from chargekeeper.store import Alert, AlertSilence, Delivery, WebhookReceipt
from console.acks import ALERTMANAGER_SETTLE, AckService
from console.app import sweep
from console.silences import SilenceClient, SilenceError
from tests.alertmanager.receiver_support import LYON_TEAM, alert, webhook
from tests.console.support import console_config, running_alertmanager, silences
from tests.support.procs import free_port

pytestmark = pytest.mark.slow

LYON_TEAM_TOLD = {(who, channel) for who in ("alice", "dan") for channel in ("email", "sms")}
# Label values Alertmanager's filter grammar would need escapes for, and one it takes as is.
AWKWARD = {"charge_point_id": 'CP-2 "B" \\ 7', "detail": "quai {2}, porte=~3 é"}


def am_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "am"
    folder.mkdir()
    return folder


async def until(check: Callable[[], bool], what: str, within: float = 10.0) -> None:
    """Wait for ``check`` without blocking the event loop the receiver's service runs on."""
    deadline = asyncio.get_running_loop().time() + within
    while not check():
        assert asyncio.get_running_loop().time() < deadline, what
        await asyncio.sleep(0.02)


@pytest.fixture
def alertmanager_url(tmp_path: Path) -> Iterator[str]:
    with running_alertmanager(am_dir(tmp_path)) as url:
        yield url


def post_to_alertmanager(url: str, labels: dict[str, str], starts: str, ends: datetime) -> None:
    """Post one alert as Prometheus does (an end in the past resolves it)."""
    body = [{"labels": labels, "startsAt": starts, "endsAt": ends.isoformat()}]
    httpx.post(f"{url}/api/v2/alerts", json=body, timeout=5).raise_for_status()


def listed_by_alertmanager(url: str) -> dict[str, str]:
    """The fingerprints of the alerts ``GET /api/v2/alerts`` lists, by charge_point_id."""
    listed = httpx.get(f"{url}/api/v2/alerts", timeout=5).json()
    return {a["labels"]["charge_point_id"]: a["fingerprint"] for a in listed}


@dataclass
class Acked:
    """A receiver (store, pipeline, outbox) and the console's acks over one Alertmanager."""

    built: Receiver
    acks: AckService
    alertmanager: str
    # What Alertmanager holds, and the stored alerts' ids, by charge_point_id.
    alerts: dict[str, dict[str, Any]] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)
    blocking: BlockingCalls = field(default_factory=lambda: BlockingCalls("test-sweeper"))

    async def store(self, body: dict[str, Any]) -> int:
        """Store and process a webhook as if Alertmanager had sent it."""
        receipt_id: int = await self.built.service.store(WebhookPayload.model_validate(body), body)
        await self.processed(receipt_id)
        return receipt_id

    async def sweep(self) -> None:
        """One run of the console's sweeper over the receiver's service, then let the service
        process what it stored."""
        await sweep(self.acks, self.built.service, self.blocking)
        pipeline = self.built.service.pipeline
        await until(lambda: not pipeline.pending(), "stored webhooks were not processed")

    async def processed(self, receipt_id: int) -> None:
        def done() -> bool:
            with self.sessions() as session:
                return session.get_one(WebhookReceipt, receipt_id).processed_at is not None

        await until(done, f"webhook {receipt_id} was not processed")

    @property
    def sessions(self) -> sessionmaker[Session]:
        return self.built.service.pipeline.sessions

    def resolve_in_alertmanager(self, charge_point_id: str) -> datetime:
        sent = self.alerts[charge_point_id]
        ends = datetime.now(UTC) - timedelta(seconds=1)
        post_to_alertmanager(self.alertmanager, sent["labels"], sent["startsAt"], ends)
        # Alertmanager still holds it (resolved), but lists only alerts whose end is ahead.
        assert charge_point_id not in listed_by_alertmanager(self.alertmanager)
        return ends

    def row(self, charge_point_id: str) -> Alert:
        with self.sessions() as session:
            row: Alert = session.get_one(Alert, self.ids[charge_point_id])
            return row

    def deliveries(self, status: str) -> set[tuple[str, str]]:
        with self.sessions() as session:
            found = session.execute(
                select(Delivery.recipient_id, Delivery.channel).where(Delivery.status == status)
            )
            return {(who, channel) for who, channel in found}

    def receipts(self) -> int:
        with self.sessions() as session:
            return session.scalar(select(func.count()).select_from(WebhookReceipt)) or 0


@asynccontextmanager
async def acked_alerts(
    tmp_path: Path,
    alertmanager_url: str,
    receiver_yaml: str = "",
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> AsyncIterator[Acked]:
    """Two alerts firing in Alertmanager, stored from a webhook and acked in the console (each
    silenced); the receiver's service running, the console's sweeper not (the tests sweep).

    ``receiver_yaml`` is added to receiver.yaml (say, ``notify_resolved``).
    """
    config_dir, state_dir = console_config(tmp_path, f"alertmanager_url: {alertmanager_url}\n")
    receiver = config_dir / "receiver.yaml"
    receiver.write_text(receiver.read_text() + receiver_yaml)
    built = build_receiver(config_dir, state_dir)
    starts = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    later = datetime.now(UTC) + timedelta(hours=1)
    alerts = {}
    for charge_point_id, extra in (("CP-1", {}), (AWKWARD["charge_point_id"], AWKWARD)):
        sent = alert(charge_point_id, starts_at=starts)
        sent["labels"] |= extra
        post_to_alertmanager(alertmanager_url, sent["labels"], starts, later)
        sent["fingerprint"] = listed_by_alertmanager(alertmanager_url)[charge_point_id]
        alerts[charge_point_id] = sent
    sessions = built.service.pipeline.sessions
    acks = AckService(sessions, SilenceClient(alertmanager_url), clock=clock)
    acked = Acked(built, acks, alertmanager_url)
    await built.service.start()
    await asyncio.sleep(0)  # the writer task takes its first step
    try:
        await acked.store(webhook(list(alerts.values())))
        with sessions() as session:
            for charge_point_id, sent in alerts.items():
                acked.alerts[charge_point_id] = sent
                acked.ids[charge_point_id] = session.scalars(
                    select(Alert.id).where(Alert.fingerprint == sent["fingerprint"])
                ).one()
        for alert_id in acked.ids.values():
            acked.acks.acknowledge(alert_id, "alice")
        assert [s["status"]["state"] for s in silences(alertmanager_url)] == ["active"] * 2
        yield acked
    finally:
        acked.acks.close()
        await built.service.stop()
        built.close()


def silence_states(acked: Acked) -> dict[str, str]:
    """Each alert's silence state in Alertmanager, by charge_point_id."""
    return {
        next(m["value"] for m in s["matchers"] if m["name"] == "charge_point_id"): s["status"][
            "state"
        ]
        for s in silences(acked.alertmanager)
    }


@pytest.mark.parametrize(
    ("receiver_yaml", "resolution_told"),
    [("", LYON_TEAM_TOLD), ("notify_resolved: [fleet]\n", set())],
    ids=["family-announces-resolutions", "family-does-not"],
)
async def test_sweep_learns_a_muted_resolution_and_tells_it_once(
    tmp_path: Path,
    alertmanager_url: str,
    receiver_yaml: str,
    resolution_told: set[tuple[str, str]],
) -> None:
    async with acked_alerts(tmp_path, alertmanager_url, receiver_yaml) as acked:
        assert acked.deliveries("firing") == LYON_TEAM_TOLD
        await acked.sweep()  # both still firing in Alertmanager: no change
        assert acked.row("CP-1").status == acked.row(AWKWARD["charge_point_id"]).status == "firing"
        assert set(silence_states(acked).values()) == {"active"}

        ended = acked.resolve_in_alertmanager("CP-1")
        before = datetime.now(UTC)
        await acked.sweep()
        after = datetime.now(UTC)

        row = acked.row("CP-1")
        assert row.status == "resolved" and row.ends_at is not None
        assert before <= row.ends_at <= after  # when the console saw it gone
        assert acked.deliveries("resolved") == resolution_told
        assert silence_states(acked) == {"CP-1": "expired", AWKWARD["charge_point_id"]: "active"}
        assert acked.row(AWKWARD["charge_point_id"]).status == "firing"
        with acked.sessions() as session:
            (made,) = session.scalars(
                select(WebhookReceipt).where(WebhookReceipt.status == "resolved")
            )
            assert made.receiver == LYON_TEAM
            assert made.payload[SYNTHESIZED_KEY]["by"] == "console"
            assert session.scalars(select(AlertSilence.expired_at)).all().count(None) == 1

        # Alertmanager's own resolution of that alert state, late: nothing more is told.
        receipts = acked.receipts()
        resolved = acked.alerts["CP-1"] | {"status": "resolved", "endsAt": ended.isoformat()}
        await acked.store(webhook([resolved]))
        assert acked.receipts() == receipts + 1
        assert acked.deliveries("resolved") == resolution_told
        await acked.sweep()
        assert acked.receipts() == receipts + 1


async def test_sweep_changes_nothing_while_alertmanager_is_unreachable(tmp_path: Path) -> None:
    with contextlib.ExitStack() as alertmanager:
        url = alertmanager.enter_context(running_alertmanager(am_dir(tmp_path)))
        async with acked_alerts(tmp_path, url) as acked:
            acked.resolve_in_alertmanager("CP-1")
            alertmanager.close()  # stops it
            receipts = acked.receipts()
            with pytest.raises(SilenceError, match="unreachable"):
                await acked.sweep()
            assert acked.row("CP-1").status == "firing"
            assert acked.receipts() == receipts
            assert acked.deliveries("resolved") == set()
            with acked.sessions() as session:
                assert session.scalars(select(AlertSilence.expired_at)).all() == [None, None]


async def test_absence_from_a_restarted_alertmanager_waits_for_prometheus(tmp_path: Path) -> None:
    """Alertmanager forgets its alerts when it restarts, until Prometheus resends them: an
    alert acked before the restart and not listed since is not resolved until it has been up
    for ``ALERTMANAGER_SETTLE``."""
    port = free_port()
    ahead = timedelta()

    def clock() -> datetime:
        return datetime.now(UTC) + ahead

    with contextlib.ExitStack() as alertmanager:
        url = alertmanager.enter_context(running_alertmanager(am_dir(tmp_path), port=port))
        async with acked_alerts(tmp_path, url, clock=clock) as acked:
            alertmanager.close()
            with running_alertmanager(tmp_path / "am", port=port):
                assert listed_by_alertmanager(url) == {}  # nothing resent yet
                await acked.sweep()
                assert acked.row("CP-1").status == "firing"
                assert acked.receipts() == 1

                ahead = ALERTMANAGER_SETTLE + timedelta(seconds=1)
                await acked.sweep()
                assert acked.row("CP-1").status == "resolved"
                assert acked.row(AWKWARD["charge_point_id"]).status == "resolved"

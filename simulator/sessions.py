"""A charger's connectors as it reports them: statuses, charging sessions and meter readings.

Functions over ``SessionHost``, the charger seen as its hardware, its RNG, its dialect and its
CALLs. They decide which frames a plug-in, a meter interval, a remote stop or a departing vehicle
sends and in which order, and advance each session's physics; they know nothing about the
connection the frames travel on.
"""

from __future__ import annotations

from typing import Protocol

from simulator.dialects import Dialect
from simulator.identities import Identity
from simulator.model import Connector, ConnectorStatus, JsonObject, StopReason
from simulator.physics import ChargingSession, Sample, idle_sample
from simulator.rng import SeededRng


class SessionHost(Protocol):
    """What session logic uses of the charger."""

    identity: Identity
    rng: SeededRng
    connectors: list[Connector]

    @property
    def dialect(self) -> Dialect: ...
    def timestamp(self) -> str: ...
    async def call(self, action: str, payload: JsonObject) -> JsonObject | None: ...


def reading(charger: SessionHost, connector: Connector, seconds: float) -> Sample:
    """The connector's meter after ``seconds`` more of its session (or idle, without one)."""
    session = connector.session
    if session is None:
        return idle_sample(connector.register_wh, charger.identity, charger.rng)
    session.stalled_soc = connector.soc_stalled
    session.zero_power = connector.power_zero or connector.status is ConnectorStatus.SUSPENDED_EV
    sample = session.advance(seconds, connector.register_wh, charger.rng)
    connector.register_wh = sample.energy_wh
    return sample


async def report_statuses(charger: SessionHost) -> None:
    """Report every connector's current status (after a boot)."""
    now = charger.timestamp()
    for call in charger.dialect.status_whole_charger(now):
        await charger.call(*call)
    for connector in charger.connectors:
        for call in charger.dialect.status(connector, now):
            await charger.call(*call)


async def set_status(charger: SessionHost, connector: Connector, status: ConnectorStatus) -> None:
    """Change a connector's status and report it when the protocol version can tell."""
    old = connector.status
    connector.status = status
    if not charger.dialect.reports(old, status):
        return
    for call in charger.dialect.status(connector, charger.timestamp()):
        await charger.call(*call)


async def start_session(
    charger: SessionHost, connector: Connector, remote_tag: str | None = None
) -> None:
    """A vehicle plugs in and a transaction starts."""
    dialect = charger.dialect
    connector.session = ChargingSession.plug_in(charger.rng, charger.identity)
    connector.id_tag = remote_tag or f"{charger.rng.next_u64() & 0xFFFFFFFF:08X}"
    connector.remote_start_tag = None
    connector.plug_in_requested = False
    connector.transaction_seq = 0
    connector.transaction_id = charger.rng.hex_id() if dialect.version == "2.0.1" else None
    await set_status(charger, connector, ConnectorStatus.PREPARING)
    if dialect.version == "2.0.1":
        connector.status = ConnectorStatus.CHARGING
    sample = reading(charger, connector, 0.0)
    result = await charger.call(
        *dialect.transaction_started(
            connector, connector.id_tag, sample, charger.timestamp(), remote_tag is not None
        )
    )
    connector.transaction_id = dialect.transaction_id_from(result, connector)  # type: ignore[assignment]
    await set_status(charger, connector, ConnectorStatus.CHARGING)


async def end_session(charger: SessionHost, connector: Connector, reason: StopReason) -> None:
    """The transaction ends and the vehicle leaves."""
    sample = reading(charger, connector, 0.0)
    if connector.fault is None:
        await set_status(charger, connector, ConnectorStatus.FINISHING)
    call = charger.dialect.transaction_ended(
        connector, connector.id_tag, sample, charger.timestamp(), reason
    )
    if call is not None:
        await charger.call(*call)
    connector.session = None
    connector.transaction_id = None
    connector.remote_stop = False
    if connector.fault is None:
        await set_status(charger, connector, ConnectorStatus.AVAILABLE)


async def step(
    charger: SessionHost, connector: Connector, seconds: float, plug_in_chance: float = 0.0
) -> None:
    """Advance one connector by ``seconds`` of simulated time and report what happened."""
    session = connector.session
    if connector.fault is not None:
        if session is not None:
            await end_session(charger, connector, StopReason.OTHER)
        return
    if session is None:
        tag = connector.remote_start_tag
        if (
            tag is not None
            or connector.plug_in_requested
            or (plug_in_chance > 0 and charger.rng.chance(plug_in_chance))
        ):
            await start_session(charger, connector, tag)
        return
    if connector.remote_stop:
        await end_session(charger, connector, StopReason.REMOTE)
        return
    if connector.status is ConnectorStatus.SUSPENDED_EV:
        await end_session(charger, connector, StopReason.EV_DISCONNECTED)  # driver comes back
        return
    if seconds <= 0:
        return
    sample = reading(charger, connector, seconds)
    if session.finished:
        await set_status(charger, connector, ConnectorStatus.SUSPENDED_EV)
        sample = reading(charger, connector, 0.0)
    await charger.call(*charger.dialect.transaction_updated(connector, sample, charger.timestamp()))

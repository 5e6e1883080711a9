"""The pieces under the charger: charging curves, the seeded RNG, scenario mix, dialect replies."""

from __future__ import annotations

from typing import Any

import pytest
from ocpp.messages import get_validator

from simulator.charger import SimulatedCharger
from simulator.dialects import CallErrorReply, Followup, Ocpp16, Ocpp201, dialect_for
from simulator.identities import ALL_IDENTITIES, ALPITRONIC_HYC, ZAPTEC_GO, Supply
from simulator.physics import TAPER_START_SOC, ChargingSession
from simulator.rng import SeededRng
from simulator.scenarios import MIXED_ROLES, SCENARIOS, idle, resolve
from simulator.shared import ChargerOptions, FleetStats


def dc_session(soc: float) -> ChargingSession:
    return ChargingSession(
        supply=Supply.DC,
        battery_wh=77_000.0,
        soc=soc,
        target_soc=1.0,
        peak_power_w=150_000.0,
        phases=3,
    )


def test_dc_power_is_flat_to_80_percent_then_tapers() -> None:
    assert dc_session(0.30).power_now() == 150_000.0
    assert dc_session(TAPER_START_SOC).power_now() == 150_000.0
    tapering = [dc_session(soc).power_now() for soc in (0.85, 0.90, 0.95, 0.99)]
    assert tapering == sorted(tapering, reverse=True)
    assert tapering[-1] < 0.2 * 150_000.0


def test_dc_session_reports_rising_soc_and_consistent_energy() -> None:
    rng = SeededRng(1, "t")
    session = dc_session(0.5)
    register = 1_000_000.0
    readings = []
    for _ in range(10):
        reading = session.advance(60.0, register, rng)
        register = reading.energy_wh
        readings.append(reading)
    assert [r.soc_percent for r in readings] == sorted(r.soc_percent or 0 for r in readings)
    # 150 kW for 10 minutes is 25 kWh.
    assert register == pytest.approx(1_025_000.0)
    for reading in readings:
        assert reading.current_a == pytest.approx(reading.power_w / reading.voltage_v)


def test_ac_session_draws_constant_power_without_soc() -> None:
    rng = SeededRng(2, "ac")
    session = ChargingSession.plug_in(rng, ZAPTEC_GO)
    readings = [session.advance(60.0, 0.0, rng) for _ in range(5)]
    assert {r.power_w for r in readings} == {session.peak_power_w}
    assert session.peak_power_w <= ZAPTEC_GO.max_power_w
    assert all(r.soc_percent is None for r in readings)


def test_stalled_and_unpowered_sessions() -> None:
    rng = SeededRng(3, "x")
    stalled = dc_session(0.5)
    stalled.stalled_soc = True
    assert stalled.advance(600.0, 0.0, rng).soc_percent == 50
    unpowered = dc_session(0.5)
    unpowered.zero_power = True
    reading = unpowered.advance(600.0, 1234.0, rng)
    assert (reading.power_w, reading.energy_wh, reading.soc_percent) == (0.0, 1234.0, 50)


def test_seeded_rng_is_reproducible_and_per_stream() -> None:
    first = [SeededRng(7, "CP1").next_u64() for _ in range(3)]
    assert first == [SeededRng(7, "CP1").next_u64() for _ in range(3)]
    assert SeededRng(7, "CP1").next_u64() != SeededRng(7, "CP2").next_u64()
    assert SeededRng(7, "CP1").next_u64() != SeededRng(8, "CP1").next_u64()
    rng = SeededRng(0, "range")
    values = [rng.random() for _ in range(2000)]
    assert min(values) >= 0.0
    assert max(values) < 1.0
    assert 0.45 < sum(values) / len(values) < 0.55
    with pytest.raises(ValueError, match="positive bound"):
        rng.randrange(0)


def test_mixed_fleet_is_mostly_healthy_with_some_of_each_problem() -> None:
    assert sum(weight for weight, _ in MIXED_ROLES) == pytest.approx(1.0)
    chosen = [resolve("mixed", i, SeededRng(1, f"SIM{i}/setup")).name for i in range(2000)]
    assert 0.70 < chosen.count("normal") / len(chosen) < 0.86
    for _, role in MIXED_ROLES:
        assert role in chosen
    assert resolve("soc-stall", 0, SeededRng(1, "x")).name == "soc-stall"


def test_soc_stall_runs_on_dc_hardware_only() -> None:
    picker = SCENARIOS["soc-stall"].pick_identity
    assert {picker(i, SeededRng(1, str(i))).supply for i in range(50)} == {Supply.DC}
    assert {
        SCENARIOS["ac-no-soc"].pick_identity(i, SeededRng(1, str(i))).supply for i in range(50)
    } == {Supply.AC}


def offline_charger(protocol: str) -> SimulatedCharger:
    """A real charger object that was never started: enough to answer CALLs."""
    options = ChargerOptions(
        url="ws://127.0.0.1:1", dialect=dialect_for(protocol), stats=FleetStats()
    )
    return SimulatedCharger("CP-1", ALPITRONIC_HYC, idle, options, seed=1)


def test_a_charger_keeps_its_state_in_slots() -> None:
    # 10,000 chargers in one process: neither layer of the class may add a per-instance __dict__.
    assert not hasattr(offline_charger("1.6"), "__dict__")


def answer(protocol: str, action: str, payload: Any) -> Any:
    charger = offline_charger(protocol)
    return charger.dialect.answer(charger, action, payload)


def valid_reply(protocol: str, action: str, reply: Any) -> bool:
    validator = get_validator(3, action, protocol)
    return not list(validator.iter_errors(reply))


@pytest.mark.parametrize(
    ("protocol", "action", "payload"),
    [
        ("1.6", "GetConfiguration", {"key": ["x" * 200]}),
        ("1.6", "ChangeConfiguration", {"key": "HeartbeatInterval", "value": "-5"}),
        ("1.6", "ChangeConfiguration", {"key": 7, "value": None}),
        ("1.6", "RemoteStartTransaction", {"idTag": 12}),
        ("1.6", "RemoteStopTransaction", {"transactionId": "not-a-number"}),
        ("1.6", "TriggerMessage", {"requestedMessage": "StatusNotification", "connectorId": True}),
        ("1.6", "TriggerMessage", {"requestedMessage": "DiagnosticsStatusNotification"}),
        ("2.0.1", "GetVariables", {"getVariableData": [{"component": {"name": "é" * 80}}]}),
        ("2.0.1", "SetVariables", {"setVariableData": [7, {"variable": None}]}),
        ("2.0.1", "RequestStartTransaction", {"idToken": "flat"}),
        ("2.0.1", "TriggerMessage", {"requestedMessage": "Heartbeat", "evse": {"id": 99}}),
    ],
)
def test_odd_calls_from_the_central_system_get_schema_valid_replies(
    protocol: str, action: str, payload: Any
) -> None:
    reply = answer(protocol, action, payload)
    assert not isinstance(reply, CallErrorReply)
    assert valid_reply(protocol, action, reply), reply


@pytest.mark.parametrize("action", ["GetVariables", "SetVariables"])
@pytest.mark.parametrize("data", ["nonsense", []])
def test_malformed_variable_requests_get_a_format_violation(action: str, data: Any) -> None:
    key = "getVariableData" if action == "GetVariables" else "setVariableData"
    reply = answer("2.0.1", action, {key: data})
    assert isinstance(reply, CallErrorReply)
    assert reply.code == "FormatViolation"


def test_unknown_actions_are_not_implemented() -> None:
    for dialect in (Ocpp16(), Ocpp201()):
        charger = offline_charger(dialect.version)
        reply = dialect.answer(charger, "UpdateFirmware", {})
        assert isinstance(reply, CallErrorReply)
        assert reply.code == "NotImplemented"


def test_reset_and_remote_start_are_acted_on_after_the_reply() -> None:
    charger = offline_charger("1.6")
    assert charger.dialect.answer(charger, "Reset", {"type": "Hard"}) == {"status": "Accepted"}
    started = charger.dialect.answer(
        charger, "RemoteStartTransaction", {"idTag": "T", "connectorId": 2}
    )
    assert started == {"status": "Accepted"}
    assert charger.connector(2).remote_start_tag == "T"
    assert charger._followups == [Followup("reboot"), Followup("step", connector_id=2)]


@pytest.mark.parametrize("identity", ALL_IDENTITIES, ids=lambda identity: identity.vendor)
@pytest.mark.parametrize("protocol", ["1.6", "2.0.1"])
def test_boot_notification_is_schema_valid_for_every_identity(identity: Any, protocol: str) -> None:
    from simulator.model import BootReason

    action, payload = dialect_for(protocol).boot(identity, identity.serial(42), BootReason.POWER_UP)
    assert not list(get_validator(2, action, protocol).iter_errors(payload))

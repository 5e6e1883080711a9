"""The fleet-state exposition: text format, escaping, caching, chunking, promtool's verdict."""

from __future__ import annotations

import json
import math
import subprocess
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from chargekeeper.config.fleet import Fleet
from exporter.metrics import FAMILIES, escape, iter_exposition, number
from exporter.selfmetrics import ExporterMetrics
from exporter.session import Session
from exporter.state import FleetState
from tests.support.procs import require_binary

TRACES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "ocpp-traces"
NOW = 1_764_086_400.0

ODD_STRINGS = [
    'quote " inside',
    "back\\slash",
    "new\nline",
    "trailing backslash \\",
    "ünïcödé ✓",
    "lone surrogate \ud800",
    "",
    "x" * 300,
]


def render(state: FleetState, chunk_chargers: int = 500) -> str:
    return b"".join(iter_exposition(state, chunk_chargers)).decode()


def parse(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def boot(
    state: FleetState, metrics: ExporterMetrics, charge_point_id: str, **payload: str
) -> Session:
    state.connected(charge_point_id, "1.6")
    session = Session(charge_point_id, "1.6", state, metrics)
    (reply,) = session.handle(json.dumps([2, "b", "BootNotification", payload]))
    assert json.loads(reply)[0] == 3
    return session


def odd_fleet() -> FleetState:
    """Chargers with every boot identity seen in the wild plus hostile strings."""
    metrics = ExporterMetrics(CollectorRegistry())
    fleet = Fleet.model_validate(
        {
            "clients": [{"id": "c1"}],
            "sites": [{"id": "s1", "client": "c1"}],
            "chargers": [{"id": "NEVER-SEEN", "site": "s1", "vendor": 'Fleet "file" vendor'}],
        }
    )
    state = FleetState(fleet, metrics, clock=lambda: NOW)
    identities = json.loads((TRACES / "boot_identities.json").read_text())
    for index, identity in enumerate(identities):
        fields = {k: v for k, v in identity.items() if k not in ("source", "form")}
        session = boot(state, metrics, f"REAL-{index}", **fields)
        session.handle(
            json.dumps(
                [
                    2,
                    "s",
                    "StatusNotification",
                    {
                        "connectorId": 1,
                        "errorCode": "OtherError",
                        "status": "Faulted",
                        "vendorId": identity["chargePointVendor"],
                        "vendorErrorCode": "E|1*:",
                    },
                ]
            )
        )
    for index, odd in enumerate(ODD_STRINGS):
        session = boot(
            state,
            metrics,
            f"ODD-{index}",
            chargePointVendor=odd,
            chargePointModel=odd,
            firmwareVersion=odd,
        )
        session.handle(
            json.dumps(
                [
                    2,
                    "s",
                    "StatusNotification",
                    {
                        "connectorId": 2,
                        "errorCode": odd,
                        "status": odd,
                        "vendorId": odd,
                        "vendorErrorCode": odd,
                    },
                ]
            )
        )
        session.handle(
            json.dumps(
                [
                    2,
                    "m",
                    "MeterValues",
                    {
                        "connectorId": 2,
                        "transactionId": 5,
                        "meterValue": [
                            {
                                "timestamp": "2025-11-25T15:00:00Z",
                                "sampledValue": [
                                    {
                                        "value": "1e300",
                                        "measurand": "Power.Active.Import",
                                        "unit": "kW",
                                    },
                                    {"value": "0.1", "measurand": "Energy.Active.Import.Register"},
                                    {"value": "33.3", "measurand": "SoC"},
                                ],
                            }
                        ],
                    },
                ]
            )
        )
    return state


def test_escape_and_cap() -> None:
    assert escape('a"b\\c\nd') == 'a\\"b\\\\c\\nd'
    assert escape("x" * 200) == "x" * 128
    assert escape("plain") == "plain"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1, "1"),
        (0.0, "0"),
        (1764086400.0, "1764086400"),
        (0.68, "0.68"),
        (145188360.0, "145188360"),
        (1e300, "1e+300"),
        (math.inf, "+Inf"),
        (-math.inf, "-Inf"),
        (math.nan, "NaN"),
    ],
)
def test_number_format(value: float, text: str) -> None:
    assert number(value) == text


def test_odd_identities_round_trip_through_the_prometheus_parser() -> None:
    samples = parse(render(odd_fleet()))
    vendors = {
        dict(labels)["vendor"] for name, labels in samples if name == "ocpp_charge_point_info"
    }
    identities = json.loads((TRACES / "boot_identities.json").read_text())
    assert {i["chargePointVendor"] for i in identities} <= vendors
    assert 'quote " inside' in vendors and "back\\slash" in vendors
    assert "new\ufffdline" in vendors  # exporter.state cleans charger text at intake
    assert "lone surrogate ?" in vendors  # replaced: labels stay valid UTF-8
    assert "x" * 128 in vendors
    assert 'Fleet "file" vendor' in vendors
    firmware = {
        dict(labels)["firmware_version"]
        for name, labels in samples
        if name == "ocpp_charge_point_info"
    }
    assert "PFA0102|V0.00.00|V1.38.00||2.4.3.0" in firmware
    never = {
        name: value
        for (name, labels), value in samples.items()
        if dict(labels).get("charge_point_id") == "NEVER-SEEN"
    }
    assert never["ocpp_charge_point_connected"] == 0
    assert never["ocpp_charge_point_connection_changed_timestamp_seconds"] == NOW
    assert never["ocpp_charge_point_connects_total"] == 0
    assert "ocpp_charge_point_last_message_timestamp_seconds" not in never


def test_promtool_finds_nothing_to_fix(tmp_path: Path) -> None:
    promtool = require_binary("promtool")
    text = render(odd_fleet())
    result = subprocess.run(
        [promtool, "check", "metrics"], input=text.encode(), capture_output=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == b"" and result.stderr == b""


def test_every_family_has_help_and_type_once_and_in_order() -> None:
    text = render(odd_fleet())
    helps = [line.split()[2] for line in text.splitlines() if line.startswith("# HELP")]
    types = [line.split()[2:] for line in text.splitlines() if line.startswith("# TYPE")]
    assert helps == [name for _, name, _, _, _ in FAMILIES]
    assert types == [[name, kind] for _, name, kind, _, _ in FAMILIES]
    for _, name, _, help_text, _ in FAMILIES:
        assert "\n" not in help_text and "\\" not in help_text, name


def test_chunks_hold_about_chunk_chargers_and_join_to_the_same_text() -> None:
    state = odd_fleet()
    chargers = len(state.chargers)
    assert chargers == 14
    chunks = list(iter_exposition(state, chunk_chargers=4))
    # Each family comes in ceil(chargers / 4) chunks, the first also carrying the header.
    assert len(chunks) == len(FAMILIES) * math.ceil(chargers / 4)
    assert b"".join(chunks).decode() == render(state)


def test_unchanged_chargers_are_not_rendered_again() -> None:
    metrics = ExporterMetrics(CollectorRegistry())
    state = FleetState(None, metrics, clock=lambda: NOW)
    one = boot(state, metrics, "CP1", chargePointVendor="A", chargePointModel="B")
    boot(state, metrics, "CP2", chargePointVendor="A", chargePointModel="B")
    one.handle(
        '[2,"s","StatusNotification",{"connectorId":1,"errorCode":"NoError","status":"Available"}]'
    )
    render(state)
    cached = [list(c.render_cache.fragments) for c in state.chargers.values()]
    one.handle(
        '[2,"s","StatusNotification",{"connectorId":1,"errorCode":"NoError","status":"Charging"}]'
    )
    text = render(state)
    assert (
        'ocpp_connector_status{charge_point_id="CP1",connector_id="1",status="Charging"} 1' in text
    )
    after = [list(c.render_cache.fragments) for c in state.chargers.values()]
    # CP2 did nothing: every fragment is the very same object as before.
    assert all(a is b for a, b in zip(cached[1], after[1], strict=True))
    # CP1 re-rendered only what the frame touched.
    changed = {i for i, (a, b) in enumerate(zip(cached[0], after[0], strict=True)) if a is not b}
    assert {FAMILIES[i][1] for i in changed} == {
        "ocpp_charge_point_last_message_timestamp_seconds",
        "ocpp_connector_status",
        "ocpp_connector_status_since_timestamp_seconds",
    }


def test_scrape_reflects_every_kind_of_change() -> None:
    metrics = ExporterMetrics(CollectorRegistry())
    clock = [NOW]
    state = FleetState(None, metrics, clock=lambda: clock[0])
    session = boot(state, metrics, "CP1", chargePointVendor="A", chargePointModel="B")
    render(state)
    session.handle(
        json.dumps(
            [
                2,
                "b2",
                "BootNotification",
                {"chargePointVendor": "A", "chargePointModel": "B", "firmwareVersion": "2.0"},
            ]
        )
    )
    clock[0] = NOW + 5
    state.disconnected("CP1", "timeout")
    samples = parse(render(state))
    cp = ("charge_point_id", "CP1")
    assert samples[("ocpp_charge_point_boots_total", frozenset({cp}))] == 2
    assert samples[("ocpp_charge_point_connected", frozenset({cp}))] == 0
    assert (
        samples[("ocpp_charge_point_connection_changed_timestamp_seconds", frozenset({cp}))]
        == NOW + 5
    )
    info = [dict(labels) for name, labels in samples if name == "ocpp_charge_point_info"]
    assert [i["firmware_version"] for i in info] == ["2.0"]

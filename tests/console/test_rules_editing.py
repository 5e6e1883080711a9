"""The Rules editor without servers: form → policy values, the ruamel round trip of
policy.yaml (comments, spelling and unknown-to-the-editor keys survive), the plain-language
summary, and the evaluation interval read from the rendered prometheus.yml."""

from __future__ import annotations

import difflib
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest
import yaml

from chargekeeper.config.fleet import Fleet
from chargekeeper.config.policy import Policy
from chargekeeper.store import create_schema, make_engine, make_sessionmaker, sqlite_url
from console.rules import (
    ALERT_TYPES_BY_KEY,
    DocumentError,
    PolicyDocument,
    PolicyEditor,
    Scope,
    describe_changes,
    evaluation_interval,
    parse_section_form,
    policy_changes,
)
from tests.support.paths import REPO

DEMO_POLICY = (REPO / "examples" / "demo" / "policy.yaml").read_text()
FLEET = Fleet.model_validate(
    {
        "clients": [{"id": "acme"}],
        "sites": [{"id": "lyon", "client": "acme"}, {"id": "leeds", "client": "acme"}],
        "chargers": [
            {"id": "CP-1", "site": "lyon", "group": "hpc"},
            {"id": "CP-2", "site": "leeds"},
        ],
    }
)


def validated(text: str) -> Policy:
    return Policy.model_validate(yaml.safe_load(text) or {}, context={"fleet": FLEET})


def test_form_parses_durations_percentages_counts_and_off() -> None:
    form = parse_section_form(
        ALERT_TYPES_BY_KEY["soc_stalled"],
        "lyon",
        "",
        "on",
        {"below": "55 %", "warning": "1h30m", "critical": "off"},
    )
    assert form.ok
    assert form.scope == Scope("lyon", None)
    assert form.values == {"enabled": True, "below": 0.55, "warning": "1h30m", "critical": None}
    seconds = parse_section_form(
        ALERT_TYPES_BY_KEY["faulted"], "", "", "inherit", {"warning": "90", "critical": "inherit"}
    )
    assert seconds.values == {"warning": "1m30s"}
    assert seconds.cleared == {"enabled", "critical"}
    count = parse_section_form(
        ALERT_TYPES_BY_KEY["flapping"], "", "hpc", "keep", {"reconnects": "6"}
    )
    assert count.values == {"reconnects": 6} and count.scope == Scope(None, "hpc")
    assert count.cleared == set()


def test_a_form_changes_only_what_was_typed() -> None:
    document = PolicyDocument(DEMO_POLICY)
    form = parse_section_form(
        ALERT_TYPES_BY_KEY["soc_stalled"], "geneva-depot", "", "keep", {"warning": "10m"}
    )
    document.update_section(form.scope, "soc_stalled", form.values, form.cleared)
    assert "    soc_stalled: {below: 0.80, warning: 10m, critical: 30m}\n" in document.text()
    form = parse_section_form(
        ALERT_TYPES_BY_KEY["soc_stalled"], "geneva-depot", "", "off", {"critical": "inherit"}
    )
    document.update_section(form.scope, "soc_stalled", form.values, form.cleared)
    assert "    soc_stalled: {below: 0.80, warning: 10m, enabled: false}\n" in document.text()


def test_form_errors_say_what_to_type() -> None:
    form = parse_section_form(
        ALERT_TYPES_BY_KEY["site_offline"],
        "lyon",
        "hpc",
        "keep",
        {"after": "soon", "ratio": "150", "min_chargers": "two"},
    )
    assert not form.ok
    assert "units d, h, m, s" in form.errors["after"]
    assert "at most 100" in form.errors["ratio"]
    assert "whole number" in form.errors["min_chargers"]
    assert "per site" in form.errors["scope"]
    vendor = parse_section_form(ALERT_TYPES_BY_KEY["vendor_code"], "", "", "keep", {"after": "off"})
    assert "is not a duration" in vendor.errors["after"]  # only severities can be 'off'


def test_untouched_round_trip_is_byte_identical() -> None:
    assert PolicyDocument(DEMO_POLICY).text() == DEMO_POLICY


def test_edit_keeps_comments_spelling_and_keys_the_editor_does_not_know() -> None:
    document = PolicyDocument(DEMO_POLICY)
    # Same seconds as written ("5m" = 300): the original spelling stays.
    document.set_section(Scope(), "disconnected", {"warning": "300", "critical": "45m"})
    document.set_section(Scope("geneva-depot"), "faulted", {"warning": "2m"})
    document.set_section(Scope("brussels-hq"), "flapping", {})  # its only setting: removed
    document.add_vendor_code("Alfen BV", "104", "critical")
    text = document.text()

    assert "# Motorway high-power chargers: a driver with an empty battery is waiting" in text
    # runbook_base_url, collector_restart_grace and maintenance are not edited, only kept.
    for line in (
        "runbook_base_url: /runbook",
        "collector_restart_grace: 5m",
        "  - charger: PARIS-0003",
        "    reason: transformer replacement",
    ):
        assert line in text
    diff = list(
        difflib.unified_diff(DEMO_POLICY.splitlines(), text.splitlines(), n=0, lineterm="")
    )[2:]
    assert [line for line in diff if line.startswith("+")] == [
        "+  disconnected: {warning: 5m, critical: 45m}",
        "+    faulted: {warning: 2m}",
        "+    codes: [\"101\", '104']            # DC residual current: an earth fault, "
        "send someone",
    ]
    assert [line for line in diff if line.startswith("-")] == [
        "-  disconnected: {warning: 5m, critical: 30m}",
        "-",
        "-  # Brussels head office chargers sit on a flaky guest network: reconnects are normal "
        "there.",
        "-  - site: brussels-hq",
        "-    flapping: {enabled: false}",
        '-    codes: ["101"]                   # DC residual current: an earth fault, send someone',
    ]


def test_new_override_and_removal_leave_a_valid_file(tmp_path: Path) -> None:
    document = PolicyDocument("# the SRE's header\ndefaults:\n  faulted:\n    warning: 1m\n")
    document.set_section(Scope("lyon", "hpc"), "soc_stalled", {"below": 0.5, "warning": "10m"})
    document.set_section(Scope(), "faulted", {"warning": "1m", "enabled": False})
    text = document.text()
    assert text.startswith("# the SRE's header\n")
    policy = validated(text)
    assert policy.thresholds("lyon", "hpc").soc_stalled.below == 0.5
    assert policy.thresholds("leeds", "default").faulted.enabled is False

    document.set_section(Scope("lyon", "hpc"), "soc_stalled", {})
    assert "overrides" not in document.text()  # an override with nothing left goes away
    document.add_vendor_code("ABB", "0x12", "warning")
    document.add_vendor_code("ABB", "0x12", "critical")  # moved, not listed twice
    assert validated(document.text()).surfaced_codes() == [("ABB", "0x12", "critical")]
    assert document.remove_vendor_code("ABB", "0x12")
    assert "vendor_codes" not in document.text()


def test_new_strings_read_back_as_strings_with_pyyaml() -> None:
    # ruamel writes `no` and `1:30` plain (strings in YAML 1.2); PyYAML, which reads policy.yaml
    # for `config render`, would read False and 90.
    document = PolicyDocument("defaults:\n  faulted: {warning: 1m}\n")
    document.set_section(Scope("no"), "faulted", {"warning": "2m"})
    document.add_vendor_code("ABB", "1:30", "warning")
    document.add_vendor_code("ABB", "104", "warning")
    text = document.text()
    assert '  - site: "no"\n' in text
    assert "codes: [\"1:30\", '104']" in text
    data = yaml.safe_load(text)
    assert data["overrides"][0]["site"] == "no"
    assert data["vendor_codes"][0]["codes"] == ["1:30", "104"]


def test_a_file_that_is_not_yaml_is_a_document_error() -> None:
    with pytest.raises(DocumentError, match=r"policy\.yaml is not valid YAML"):
        PolicyDocument("defaults: [")


def test_replace_with_keeps_comments_of_unchanged_parts() -> None:
    document = PolicyDocument(DEMO_POLICY)
    data = document.plain()
    data["defaults"]["faulted"] = {"warning": "2m", "critical": "15m"}
    data["overrides"][0]["group"] = "hpc"
    document.replace_with(data)
    text = document.text()
    assert "faulted: {warning: 2m, critical: 15m}" in text
    assert "# The seed's example: \"if SoC < 40 % and no progress for 20 minutes" in text
    assert "# Planned work: excluded from availability" in text
    assert len(text.splitlines()) == len(DEMO_POLICY.splitlines())


def test_describe_changes_in_plain_language() -> None:
    before = validated(
        "defaults:\n  faulted: {warning: 1m}\noverrides:\n  - site: lyon\n"
        "    flapping: {enabled: false}\n"
    )
    after = validated(
        "defaults:\n  faulted: {warning: 2m, critical: 1800}\n"
        "overrides:\n  - {site: leeds, disconnected: {warning: 10m}}\n"
        "vendor_codes:\n  - {vendor: ABB, codes: ['7'], severity: critical}\n"
    )
    assert describe_changes(before, after) == [
        "faulted at the fleet: warning 1m → 2m, critical 15m → 30m",
        "override for site lyon removed",
        "override for site leeds added",
        "disconnected at site leeds: warning inherited → 10m",
        "vendor code ABB 7 surfaced as critical",
    ]
    assert describe_changes(after, after) == []


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("global:\n  evaluation_interval: 15s\n", 15),
        ("global:\n  evaluation_interval: 1m\n", 60),
        ("global: {}\n", 5),
        ("global:\n  evaluation_interval: 500ms\n", 5),
        (None, 5),
    ],
)
def test_evaluation_interval_from_rendered_config(
    tmp_path: Path, text: str | None, seconds: int
) -> None:
    path = tmp_path / "prometheus.yml"
    if text is not None:
        path.write_text(text)
    assert evaluation_interval(path) == seconds


def test_appended_and_removed_entries_leave_the_next_heading_in_place() -> None:
    # ruamel keeps the heading comment of the next top-level key on the last list entry.
    planned = "\n# Planned work: excluded from availability (not from alerting: silence in "
    manufacturer = "\n# Manufacturer codes that raise ChargerVendorErrorCode"
    document = PolicyDocument(DEMO_POLICY)
    document.set_section(Scope("a9-nimes"), "faulted", {"warning": "2m"})
    document.add_vendor_code("ABB", "X1", "warning")
    text = document.text()
    assert (
        "    disconnected: {enabled: false}\n  - site: a9-nimes\n    faulted: {warning: 2m}\n"
        + manufacturer
        in text
    )
    assert "    codes: [X1]\n    severity: warning\n" + planned in text

    for vendor, code in [("Alfen BV", "101"), ("Alfen BV", "210")]:
        document.remove_vendor_code(vendor, code)
    for vendor, code in [("alpitronic GmbH", "CX011"), ("alpitronic GmbH", "CX017")]:
        document.remove_vendor_code(vendor, code)
    document.remove_vendor_code("ABB", "X1")
    text = document.text()
    assert "vendor_codes" not in text
    assert planned + "Alertmanager).\nmaintenance:\n" in text


def test_a_failed_promtool_check_changes_no_file(tmp_path: Path) -> None:
    """The check's answer reaches the user and nothing is replaced (the runner is the seam
    ``config render`` also uses; a real reload failure is in test_rules_prometheus.py)."""
    engine = make_engine(sqlite_url(tmp_path / "store.db"))
    create_schema(engine)
    sessions = make_sessionmaker(engine)
    config_dir, render_dir = tmp_path / "config", tmp_path / "rendered"
    config_dir.mkdir()
    (config_dir / "policy.yaml").write_text("# kept\ndefaults:\n  faulted: {warning: 1m}\n")
    thresholds = render_dir / "prometheus" / "rules" / "thresholds.yml"
    thresholds.parent.mkdir(parents=True)
    thresholds.write_text("groups: []\n")

    def refuse(argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
        assert argv[1:3] == ["check", "rules"] and Path(argv[3]).parent == thresholds.parent
        return subprocess.CompletedProcess(argv, 1, "", "  FAILED: 1 error")

    editor = PolicyEditor(config_dir, FLEET, sessions, render_dir, "http://127.0.0.1:1", refuse)
    result = editor.save(
        "ops", lambda document: document.set_section(Scope(), "faulted", {"warning": "2m"})
    )
    assert result.outcome == "rejected" and not result.invalid
    assert result.problems == [
        "checking the rendered thresholds with promtool failed: FAILED: 1 error. Nothing was "
        "changed: policy.yaml and thresholds.yml are as they were."
    ]
    assert (
        config_dir / "policy.yaml"
    ).read_text() == "# kept\ndefaults:\n  faulted: {warning: 1m}\n"
    assert thresholds.read_text() == "groups: []\n"
    assert sorted(p.name for p in thresholds.parent.iterdir()) == ["thresholds.yml"]
    (change,) = policy_changes(sessions)
    assert (change.by, change.outcome, change.summary) == (
        "ops",
        "rejected",
        "faulted at the fleet: warning 1m → 2m",
    )
    engine.dispose()

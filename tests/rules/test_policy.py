"""The alert policy model: defaults, precedence of overrides, and errors with file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from chargekeeper.config import ConfigError, load_fleet
from chargekeeper.config.fleet import Fleet
from chargekeeper.config.policy import Policy, load_policy, parse_duration

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo"

FLEET = """\
clients: [{id: acme}]
sites:
  - {id: lyon, client: acme}
  - {id: paris, client: acme}
chargers:
  - {id: CP-1, site: lyon, group: dc}
  - {id: CP-2, site: paris, group: ac}
"""


@pytest.fixture
def fleet(tmp_path: Path) -> Fleet:
    path = tmp_path / "fleet.yaml"
    path.write_text(FLEET)
    return load_fleet(path)


def _load(tmp_path: Path, fleet: Fleet, text: str) -> Policy:
    path = tmp_path / "policy.yaml"
    path.write_text(text)
    return load_policy(path, fleet)


def _problems(tmp_path: Path, fleet: Fleet, text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, fleet, text)
    return [problem.removeprefix(f"{tmp_path}/") for problem in caught.value.problems]


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("5m", 300), ("1h30m", 5400), ("2d", 172800), (" 10m ", 600), (45, 45)],
)
def test_durations(text: str | int, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["5 minutes", "m", "", "1m1h", "-5m"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match="is not a duration"):
        parse_duration(text)


def test_defaults_without_a_policy_file() -> None:
    thresholds = Policy().thresholds("any", "any")
    assert thresholds.disconnected.durations() == {"warning": 300, "critical": 1800}
    # The seed's example: SoC below 40 % without progress for 20 minutes.
    assert thresholds.soc_stalled.below == 0.40
    assert thresholds.soc_stalled.durations() == {"warning": 1200}


def test_overrides_apply_from_general_to_specific(tmp_path: Path, fleet: Fleet) -> None:
    policy = _load(
        tmp_path,
        fleet,
        """\
defaults:
  disconnected: {warning: 10m}
overrides:
  - site: lyon
    group: dc
    disconnected: {warning: 1m}
  - site: lyon
    disconnected: {warning: 2m, critical: 1h}
  - group: dc
    disconnected: {warning: 3m}
    faulted: {enabled: false}
""",
    )
    lyon_dc = policy.thresholds("lyon", "dc")
    # Site and group beats site beats group; fields an override leaves out are inherited.
    assert lyon_dc.disconnected.durations() == {"warning": 60, "critical": 3600}
    assert lyon_dc.faulted.durations() == {}
    assert policy.thresholds("paris", "ac").disconnected.durations() == {
        "warning": 600,
        "critical": 1800,
    }
    assert policy.thresholds("paris", "dc").disconnected.durations() == {
        "warning": 180,
        "critical": 1800,
    }


def test_null_turns_off_one_severity(tmp_path: Path, fleet: Fleet) -> None:
    policy = _load(tmp_path, fleet, "defaults:\n  faulted: {critical: null}\n")
    assert policy.thresholds("lyon", "dc").faulted.durations() == {"warning": 60}


def test_site_offline_is_per_site(tmp_path: Path, fleet: Fleet) -> None:
    policy = _load(
        tmp_path,
        fleet,
        "overrides:\n  - site: paris\n    site_offline: {ratio: 0.9, after: 5m}\n",
    )
    assert policy.site_offline("paris").ratio == 0.9
    assert policy.site_offline("paris").after == 300
    assert policy.site_offline("lyon").ratio == 0.6


def test_surfaced_codes_keep_the_last_severity(tmp_path: Path, fleet: Fleet) -> None:
    policy = _load(
        tmp_path,
        fleet,
        """\
vendor_codes:
  - {vendor: Alfen BV, codes: ["210", "101"]}
  - {vendor: Alfen BV, codes: ["101"], severity: critical}
""",
    )
    assert sorted(policy.surfaced_codes()) == [
        ("Alfen BV", "101", "critical"),
        ("Alfen BV", "210", "warning"),
    ]


def test_errors_name_file_line_and_field(tmp_path: Path, fleet: Fleet) -> None:
    problems = _problems(
        tmp_path,
        fleet,
        """\
defaults:
  disconnected: {warning: 5 minutes}
  soc_stalled:
    below: 40
overrides:
  - site: lyon-2
    faulted: {warning: 1m}
  - group: dc
    site_offline: {ratio: 0.5}
  - faulted: {warning: 1m}
  - group: hpc
vendor_codes:
  - {vendor: Alfen BV, codes: []}
maintenance:
  - {charger: CP-1, start: 2027-01-01T10:00:00+01:00, end: 2027-01-01T09:00:00+01:00}
  - {site: lyon, start: 2027-01-01T10:00:00, end: 2027-01-01T11:00:00}
flaping: {reconnects: 3}
""",
    )
    assert problems == [
        "policy.yaml:2: defaults.disconnected.warning: '5 minutes' is not a duration: "
        "write seconds (300) or units d, h, m, s ('1h30m')",
        "policy.yaml:4: defaults.soc_stalled.below: Input should be less than or equal to 1",
        "policy.yaml:6: overrides[0]: unknown site 'lyon-2': it is not in the fleet file",
        "policy.yaml:8: overrides[1]: site_offline is set per site: "
        "put it in an override with only a site",
        "policy.yaml:10: overrides[2]: an override needs a site, a group or both",
        "policy.yaml:11: overrides[3]: unknown charger group 'hpc' (fleet groups: ac, dc)",
        "policy.yaml:13: vendor_codes[0].codes: List should have at least 1 item "
        "after validation, not 0",
        "policy.yaml:15: maintenance[0]: end must be after start",
        "policy.yaml:16: maintenance[1]: start and end need a UTC offset, "
        "e.g. 2026-12-01T06:00:00+01:00",
        "policy.yaml:17: flaping: Extra inputs are not permitted",
    ]


def test_critical_before_warning_is_an_error(tmp_path: Path, fleet: Fleet) -> None:
    problems = _problems(tmp_path, fleet, "defaults:\n  faulted: {warning: 10m, critical: 5m}\n")
    assert problems == [
        "policy.yaml:2: defaults.faulted: critical (300 s) comes before warning (600 s): "
        "the critical duration must be at least the warning one"
    ]


def test_the_demo_policy_is_valid() -> None:
    fleet = load_fleet(DEMO / "fleet.yaml")
    policy = load_policy(DEMO / "policy.yaml", fleet)
    assert policy.thresholds("a7-valence", "hpc").disconnected.durations() == {
        "warning": 120,
        "critical": 600,
    }
    assert policy.thresholds("lyon-part-dieu", "ac-dest").disconnected.durations() == {}
    assert policy.site_offline("geneva-depot").ratio == 0.5

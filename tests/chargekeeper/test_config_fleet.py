from pathlib import Path

import pytest

from chargekeeper.config import ConfigError, UnknownChargers, load_fleet

FLEET = """\
unknown_chargers: accept
clients:
  - id: acme
sites:
  - id: lyon
    client: acme
    timezone: Europe/Paris
chargers:
  - id: CP-1
    site: lyon
    group: dc
"""


def test_fleet_loads(tmp_path: Path) -> None:
    path = tmp_path / "fleet.yaml"
    path.write_text(FLEET)
    fleet = load_fleet(path)
    assert fleet.unknown_chargers is UnknownChargers.ACCEPT
    charger = fleet.charger("CP-1")
    assert charger is not None
    assert (charger.site, charger.group) == ("lyon", "dc")
    site = fleet.site("lyon")
    assert site is not None
    assert site.timezone == "Europe/Paris"


def test_error_names_file_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "fleet.yaml"
    path.write_text(FLEET.replace("Europe/Paris", "Europe/Lyon").replace("group: dc", "grup: dc"))
    with pytest.raises(ConfigError) as caught:
        load_fleet(path)
    assert caught.value.problems == [
        f"{path}:7: sites[0].timezone: unknown time zone 'Europe/Lyon': "
        "use an IANA name such as 'Europe/Paris'",
        f"{path}:11: chargers[0].grup: Extra inputs are not permitted",
    ]


def test_unknown_site_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "fleet.yaml"
    path.write_text(FLEET.replace("site: lyon", "site: paris"))
    with pytest.raises(ConfigError, match="charger 'CP-1' names unknown site 'paris'"):
        load_fleet(path)


def test_invalid_yaml_names_line(tmp_path: Path) -> None:
    path = tmp_path / "fleet.yaml"
    path.write_text("sites:\n  - id: [unclosed\n")
    with pytest.raises(ConfigError, match=r"fleet.yaml:3: invalid YAML"):
        load_fleet(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_fleet(tmp_path / "absent.yaml")

from pathlib import Path

import pytest

from chargekeeper.config import ConfigError, UnknownChargers, load_fleet
from chargekeeper.config.fleet import UnknownIdTags, id_tag_digest

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


def test_id_tags_are_kept_as_digests_and_compared_without_case(tmp_path: Path) -> None:
    digest = id_tag_digest("BADGE-7")
    path = tmp_path / "fleet.yaml"
    path.write_text(FLEET + f"id_tags:\n  unknown: reject\n  accepted: [04a2b3c4, '{digest}']\n")
    policy = load_fleet(path).id_tag_policy
    # The raw tag is not kept: a dump of the model shows digests only.
    assert policy.accepted == {id_tag_digest("04A2B3C4"), digest}
    assert policy.accepts("04A2B3C4") and policy.accepts("badge-7")
    assert not policy.accepts("04A2B3C5")


def test_a_fleet_without_id_tags_accepts_none_and_says_it_was_not_set(tmp_path: Path) -> None:
    path = tmp_path / "fleet.yaml"
    path.write_text(FLEET)
    fleet = load_fleet(path)
    assert fleet.id_tags is None  # the exporter tells "not set" from an explicit reject
    assert fleet.id_tag_policy.unknown is UnknownIdTags.REJECT
    assert not fleet.id_tag_policy.accepts("04A2B3C4")


def test_id_tag_digest_is_sha256_of_the_upper_case_tag() -> None:
    # The form the fleet file documents: printf %s TAG | tr a-z A-Z | sha256sum
    assert id_tag_digest("abc") == (
        "sha256:b5d4045c3f466fa91fe2cc6abe79232a1a57cdf104f7a26e716e0a1e2789df78"
    )


@pytest.mark.parametrize(
    ("id_tags", "problem"),
    [
        (
            "{accepted: [A]}",
            "id_tags.unknown: Field required",
        ),
        (
            "{unknown: maybe}",
            "id_tags.unknown: Input should be 'accept' or 'reject'",
        ),
        (
            "{unknown: accept, accepted: [A]}",
            "id_tags: accepted is never read with unknown: accept (every tag is "
            "accepted): remove the list or set unknown: reject",
        ),
        (
            "{unknown: reject, accepted: ['sha256:ABC']}",
            "id_tags.accepted[0]: a sha256: entry needs exactly 64 lower-case hex digits",
        ),
        (
            "{unknown: reject, accepted: ['" + "T" * 37 + "']}",
            "id_tags.accepted[0]: not an id tag: use 1-36 printable ASCII "
            "characters or sha256:<64 hex digits> (see id_tag_digest)",
        ),
        (
            '{unknown: reject, accepted: ["tag\\u00e9"]}',
            "id_tags.accepted[0]: not an id tag: use 1-36 printable ASCII "
            "characters or sha256:<64 hex digits> (see id_tag_digest)",
        ),
    ],
    ids=["no-unknown", "bad-unknown", "list-with-accept", "bad-digest", "too-long", "non-ascii"],
)
def test_id_tags_problems_are_named(tmp_path: Path, id_tags: str, problem: str) -> None:
    path = tmp_path / "fleet.yaml"
    path.write_text(FLEET + f"id_tags: {id_tags}\n")
    with pytest.raises(ConfigError) as caught:
        load_fleet(path)
    assert caught.value.problems == [f"{path}:12: {problem}"]


UPSTREAMS = """\
clients:
  - {id: acme, upstream: "wss://csms.acme.example/ocpp/{charge_point_id}"}
  - {id: beta}
sites:
  - {id: lyon, client: acme}
  - {id: paris, client: acme, upstream: "ws://10.0.0.5:8180/steve/websocket/CentralSystemService"}
  - {id: nice, client: beta}
chargers:
  - {id: CP-1, site: lyon}
  - {id: CP-2, site: paris}
  - {id: CP-3, site: paris, upstream: "wss://vendor-cloud.example/{charge_point_id}?fleet=acme"}
  - {id: CP-4, site: nice}
"""


def test_upstream_for_is_the_most_specific_override(tmp_path: Path) -> None:
    path = tmp_path / "fleet.yaml"
    path.write_text(UPSTREAMS)
    fleet = load_fleet(path)
    assert fleet.upstream_for("CP-1") == "wss://csms.acme.example/ocpp/{charge_point_id}"
    assert fleet.upstream_for("CP-2") == "ws://10.0.0.5:8180/steve/websocket/CentralSystemService"
    assert fleet.upstream_for("CP-3") == "wss://vendor-cloud.example/{charge_point_id}?fleet=acme"
    assert fleet.upstream_for("CP-4") is None  # no override anywhere: --upstream applies
    assert fleet.upstream_for("CP-9") is None  # not in the file


def test_a_bad_upstream_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "fleet.yaml"
    path.write_text(UPSTREAMS.replace("ws://10.0.0.5", "http://10.0.0.5"))
    with pytest.raises(ConfigError) as caught:
        load_fleet(path)
    assert caught.value.problems == [
        f"{path}:6: sites[1].upstream: upstream "
        "'http://10.0.0.5:8180/steve/websocket/CentralSystemService' must start with ws:// "
        "or wss://"
    ]

"""The Routing editor without Alertmanager: the round-trip document, change summaries, the
forms' validation path (precise errors, nothing written, a rejected audit entry), roles,
read-only mode, the JSON API, and the live policy the receiver resolves with."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from chargekeeper.config.fleet import Fleet
from chargekeeper.config.routing import RoutingPolicy, Technician
from chargekeeper.routing import LiveRouting, routing_resolver
from chargekeeper.store import ConfigChange
from console.auth import issue_api_token
from console.routing import RoutingDocument, describe_changes
from console.routing.forms import time_ranges, weekday_ranges
from tests.console.support import ADMIN, VIEWER, build, client_for, log_in
from tests.support.procs import free_port

COMMENTED = """\
# Who is told. Keep Lena on Leeds: she knows the site.
technicians:
  - {id: lena, name: Lena, phone: "+33612345001"}
schedules:
  - id: night   # the depot's night shift
    times: [{start: "19:00", end: "08:00"}]

# Coverage below.
coverage:
  - id: leeds
    sites: [leeds]
    technicians: [lena]
    subscriptions:
      - {channels: sms}

# Timing is the default.
timing: {group_wait: 5s}
"""


def test_document_keeps_comments_and_writes_what_yaml_1_1_reads_back() -> None:
    document = RoutingDocument(COMMENTED)
    document.upsert(
        "technicians", "", {"id": "zoe", "name": "Zoé", "phone": "+33612345099", "email": None}
    )
    document.upsert("schedules", "night", {"times": [{"start": "19:00", "end": "07:00"}]})
    document.upsert(
        "coverage", "", {"id": "lyon", "sites": ["lyon"], "subscriptions": [{"channels": "sms"}]}
    )
    text = document.text()
    for comment in (
        "# Who is told. Keep Lena on Leeds: she knows the site.",
        "# the depot's night shift",
        "# Coverage below.",
    ):
        assert comment in text
    # The new coverage goes before the comment that introduces the next section.
    assert text.index("id: lyon") < text.index("# Timing is the default.")
    assert '  - {id: zoe, name: Zoé, phone: "+33612345099"}\n' in text
    data = yaml.safe_load(text)  # PyYAML, as the receiver reads it
    assert data["schedules"][0]["times"] == [{"start": "19:00", "end": "07:00"}]
    assert data["technicians"][1]["phone"] == "+33612345099"
    document.remove("coverage", "lyon")
    assert text.count("# Timing is the default.") == document.text().count("# Timing")


def test_unchanged_values_keep_their_quoting_and_removed_keys_go() -> None:
    document = RoutingDocument(COMMENTED)
    document.upsert("technicians", "lena", {"name": "Lena", "phone": None})
    assert "  - {id: lena, name: Lena}\n" in document.text()
    assert RoutingDocument(COMMENTED).text() == COMMENTED


def test_a_file_with_dashes_under_their_key_keeps_that_layout() -> None:
    document = RoutingDocument("technicians:\n- id: a\n  name: A\n")
    document.upsert("technicians", "", {"id": "b", "name": "B"})
    assert document.text() == "technicians:\n- id: a\n  name: A\n- id: b\n  name: B\n"


def test_change_summary_names_each_changed_setting() -> None:
    after = COMMENTED.replace('"+33612345001"', '"+33612345002"').replace(
        "sites: [leeds]", "sites: [leeds, lyon]"
    )
    assert describe_changes(COMMENTED, after) == [
        "technician 'lena': phone '+33612345001' → '+33612345002'",
        "coverage 'leeds': sites [leeds] → [leeds, lyon]",
    ]
    assert describe_changes(COMMENTED, "# only a comment\n" + COMMENTED) == [
        "layout or comments only: the policy is the same"
    ]


def test_form_helpers() -> None:
    assert weekday_ranges(["friday", "monday", "tuesday", "sunday"]) == [
        "monday:tuesday",
        "friday",
        "sunday",
    ]
    assert time_ranges("08:00-12:00, 13:00 - 19:00,") == [
        {"start": "08:00", "end": "12:00"},
        {"start": "13:00", "end": "19:00"},
    ]


def test_resolver_reads_the_live_policy() -> None:
    live = LiveRouting(RoutingPolicy(technicians=[Technician(id="lena", name="Lena")]))
    resolve = routing_resolver(live)
    assert [a.technician_id for a in resolve("tech:lena:email")] == ["lena"]
    assert resolve("tech:zoe:email") == []
    live.replace(RoutingPolicy(technicians=[Technician(id="zoe", name="Zoé")]))
    assert [a.technician_id for a in resolve("tech:zoe:email")] == ["zoe"]
    assert Fleet().sites == []


def beside(html: str, field: str) -> str:
    """The open form's markup from its last ``field`` input to the next field's."""
    form = html[html.index("<details open>") :]
    form = form[: form.index("</details>")]
    after = form[form.rindex(f'name="{field}"') :]
    return after[: after.index('name="', len(field) + 7)]


def _console_yaml(tmp_path: Path) -> str:
    # Validation fails before Alertmanager is needed: a closed port is enough here.
    return f"alertmanager_url: http://127.0.0.1:{free_port()}\nrender_dir: {tmp_path / 'r'}\n"


def _rejected(sessions: sessionmaker[Session]) -> list[ConfigChange]:
    with sessions() as session:
        return list(session.scalars(select(ConfigChange).where(ConfigChange.outcome == "rejected")))


# (form, its fields, the field in error, the message shown beside it)
INVALID_EDITS: list[tuple[str, dict[str, str | list[str]], str, str]] = [
    (
        "technicians",
        {"original_id": "", "id": "zoe", "name": "Zoé", "phone": "06 12 34 56 78"},
        "phone",
        "&#39;0612345678&#39; is not an E.164 phone number",
    ),
    (
        "technicians",
        {"original_id": "", "id": "zoe", "name": "Zoé", "email": "zoe.example.test"},
        "email",
        "&#39;zoe.example.test&#39; is not an email address",
    ),
    (
        "technicians",
        {"original_id": "", "id": "Zoé!", "name": "Zoé"},
        "id",
        "&#39;Zoé!&#39; is not a valid identifier",
    ),
    (
        "coverage",
        {"original_id": "lyon", "id": "lyon", "sites": ["lyon", "paris"], "teams": "lyonteam"},
        "sites",
        "unknown site &#39;paris&#39; (not in the fleet file)",
    ),
]


def test_invalid_edits_are_refused_beside_their_field_and_nothing_is_written(
    tmp_path: Path,
) -> None:
    built = build(tmp_path, _console_yaml(tmp_path))
    routing_file = tmp_path / "config" / "routing.yaml"
    before = routing_file.read_text()
    with client_for(built) as client:
        csrf = log_in(client, ADMIN)
        for section, form, field, message in INVALID_EDITS:
            response = client.post(f"/routing/{section}", data={**form, "csrf": csrf})
            assert response.status_code == 422, form
            assert "Not saved, nothing was changed" in response.text
            assert message in beside(response.text, field), message
            assert routing_file.read_text() == before
        rejected = _rejected(built.service.pipeline.sessions)
        assert len(rejected) == len(INVALID_EDITS)
        assert rejected[0].by == "admin" and rejected[0].kind == "routing"
        assert rejected[0].summary == "technician 'zoe' added"
        assert "unknown site 'paris'" in rejected[-1].detail and "paris" in rejected[-1].after

        # Removing a technician someone still relies on says who.
        response = client.post("/routing/technicians/delete", data={"id": "lena", "csrf": csrf})
        assert response.status_code == 422
        assert "coverage[1].technicians[0]: unknown technician &#39;lena&#39;" in response.text
        # The whole file: a YAML slip gives its line; an edit of an old version is refused.
        base = re.search(r'name="base" value="([0-9a-f]{64})"', client.get("/routing").text)
        assert base is not None
        broken = {"yaml": before + "coverage: [\n", "base": base.group(1), "csrf": csrf}
        response = client.post("/routing/yaml", data=broken)
        assert response.status_code == 422 and "invalid YAML" in response.text
        assert f"routing.yaml:{len(before.splitlines()) + 2}" in response.text
        stale = {"yaml": before + "# note\n", "base": "0" * 64, "csrf": csrf}
        response = client.post("/routing/yaml", data=stale)
        assert response.status_code == 409 and "changed since you opened it" in response.text
        assert routing_file.read_text() == before

        # Viewers read the same page but cannot edit.
        csrf = log_in(client, VIEWER)
        page = client.get("/routing")
        assert page.status_code == 200 and 'data-technician="lena"' in page.text
        assert "Save and apply" not in page.text
        response = client.post("/routing/technicians", data={"csrf": csrf, "id": "x"})
        assert response.status_code == 403
    assert routing_file.read_text() == before


def test_without_render_dir_the_page_is_read_only_and_says_why(tmp_path: Path) -> None:
    built = build(tmp_path, "alertmanager_url: http://127.0.0.1:9\n")
    with client_for(built) as client:
        csrf = log_in(client, ADMIN)
        page = client.get("/routing")
        assert "Read-only: console.yaml has no render_dir" in page.text
        assert "Save and apply" not in page.text
        response = client.post("/routing/technicians", data={"csrf": csrf, "id": "x"})
        assert response.status_code == 409


def test_api_reads_and_refuses_invalid_policies(tmp_path: Path) -> None:
    built = build(tmp_path, _console_yaml(tmp_path))
    sessions = built.service.pipeline.sessions
    admin = {"Authorization": f"Bearer {issue_api_token(sessions, 'admin', 'ci')}"}
    viewer = {"Authorization": f"Bearer {issue_api_token(sessions, VIEWER[0], 'ci')}"}
    with client_for(built) as client:
        got = client.get("/api/v1/routing", headers=viewer).json()
        assert got["editable"] is True and got["read_only_reason"] == ""
        assert [t["id"] for t in got["policy"]["technicians"]] == ["alice", "dan", "lena"]
        bad = got["yaml"].replace('"+32470123004"', '"0470"')
        assert client.put("/api/v1/routing", json={"yaml": bad}, headers=viewer).status_code == 403
        response = client.put("/api/v1/routing", json={"yaml": bad}, headers=admin)
        assert response.status_code == 422
        body = response.json()
        assert body["outcome"] == "rejected" and body["change_id"] is not None
        (problem,) = body["problems"]
        line = 1 + next(i for i, text in enumerate(bad.splitlines()) if '"0470"' in text)
        assert problem["field"] == "technicians[1].phone" and problem["line"] == line
        same = client.put("/api/v1/routing", json={"yaml": got["yaml"]}, headers=admin)
        assert same.json()["outcome"] == "unchanged"
        stale = {"yaml": got["yaml"] + "# note\n", "base_sha256": "0" * 64}
        response = client.put("/api/v1/routing", json=stale, headers=admin)
        assert response.status_code == 409 and response.json()["outcome"] == "conflict"
        assert client.get("/api/v1/routing").status_code == 401
        assert "/api/v1/routing" in client.get("/openapi.json").json()["paths"]

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
from console.routing.document import InnerValue
from console.routing.forms import (
    TIMING_FIELDS,
    coverage_fields,
    escalation_rows,
    subscription_rows,
    time_ranges,
    timing_fields,
    weekday_ranges,
)
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
        "holidays",
        {"original_id": "", "date": "2026-02-30", "name": "Never"},
        "date",
        "Input should be a valid date or datetime, day value is outside expected range",
    ),
    (
        "timing",
        {"group_wait": "ten seconds", "group_interval": "1m", "repeat_interval": "4h"},
        "group_wait",
        "&#39;ten seconds&#39; is not a duration",
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


# --- the forms of issue 14: alert types and priorities, escalation, holidays, timing -----

HOLIDAYS = """\
holidays:
  # Lyon's depot closes on these days.
  - {date: 2026-12-25, name: Christmas}
  - {date: 2027-01-01, name: New Year's Day}

# Timing: one minute between updates, as the desk asked.
timing:
  group_interval: 1m   # the desk's choice
"""


def test_subscription_and_escalation_lines_are_written_as_the_receiver_reads_them() -> None:
    document = RoutingDocument(COMMENTED)
    lines: list[dict[str, InnerValue]] = [
        {"families": ["error", "energy"], "severities": ["critical"], "channels": "sms"},
        {"severities": [], "channels": "both"},
    ]
    tiers: list[dict[str, InnerValue]] = [
        {"after": "15m", "technicians": ["lena"], "channels": "email"},
        {"after": 1800},
    ]
    document.upsert("coverage", "leeds", {"subscriptions": lines, "escalation": tiers})
    text = document.text()
    assert "# Coverage below." in text and "# Timing is the default." in text
    assert '      - {families: [error, energy], severities: [critical], channels: "sms"}\n' in text
    assert '      - {after: "15m", technicians: [lena], channels: "email"}\n' in text
    leeds = yaml.safe_load(text)["coverage"][0]
    assert leeds["subscriptions"][1] == {"severities": [], "channels": "both"}
    assert leeds["escalation"] == [
        {"after": "15m", "technicians": ["lena"], "channels": "email"},
        {"after": 1800},
    ]
    assert text.index("escalation:") < text.index("# Timing is the default.")


def test_holidays_are_named_by_their_date_and_keep_their_comments() -> None:
    document = RoutingDocument(HOLIDAYS)
    document.upsert("holidays", "", {"date": "2027-05-01", "name": "Fête du Travail"})
    document.upsert("holidays", "2026-12-25", {"date": "2026-12-25", "name": "Noël"})
    document.remove("holidays", "2027-01-01")
    text = document.text()
    assert "# Lyon's depot closes on these days." in text
    assert '  - {date: "2027-05-01", name: Fête du Travail}\n' in text
    assert "New Year" not in text
    data = yaml.safe_load(text)
    assert [str(h["date"]) for h in data["holidays"]] == ["2026-12-25", "2027-05-01"]
    assert data["holidays"][0]["name"] == "Noël"
    assert text.index("Fête du Travail") < text.index("# Timing: one minute")
    assert describe_changes(HOLIDAYS, text) == [
        "holiday '2027-05-01' added",
        "holiday '2027-01-01' removed",
        "holiday '2026-12-25': name 'Christmas' → 'Noël'",
    ]


def test_timing_keys_are_set_in_model_order_and_the_mapping_goes_when_empty() -> None:
    document = RoutingDocument(HOLIDAYS)
    document.update_mapping("timing", {"group_wait": "10s", "repeat_interval": 7200})
    text = document.text()
    assert text.endswith(
        "timing:\n  group_wait: 10s\n  group_interval: 1m   # the desk's choice\n"
        "  repeat_interval: 7200\n"
    )
    document.update_mapping("timing", {name: None for name in TIMING_FIELDS})
    text = document.text()
    assert "timing" not in yaml.safe_load(text)
    assert "# Timing: one minute between updates" in text  # the heading stays
    fresh = RoutingDocument(COMMENTED.replace("timing: {group_wait: 5s}\n", ""))
    fresh.update_mapping("timing", {"repeat_interval": "2h", "group_wait": None})
    # A comment closing the file stays last (console.yamldoc.add_key).
    assert fresh.text().endswith("timing:\n  repeat_interval: 2h\n\n# Timing is the default.\n")


def test_form_lines_become_subscriptions_tiers_and_timing() -> None:
    values = {
        "sub-0-row": ["kept"],
        "sub-0-families": ["error"],
        "sub-0-severities": ["critical"],
        "sub-0-channels": ["sms"],
        "sub-1-row": ["kept"],
        "sub-1-remove": ["1"],
        "sub-1-channels": ["email"],
        "sub-2-row": ["new"],
        "sub-2-severities": ["critical", "warning"],
        "sub-2-channels": ["email"],
        "sub-3-row": ["new"],
        "sub-3-channels": [""],  # the blank line left blank
        "esc-0-row": ["new"],
        "esc-0-after": ["900"],
        "esc-0-teams": ["north"],
        "esc-0-channels": ["both"],
    }
    assert subscription_rows(values) == [
        {"families": ["error"], "severities": ["critical"], "channels": "sms"},
        {"channels": "email"},
    ]
    assert escalation_rows(values) == [{"after": 900, "teams": ["north"], "channels": "both"}]
    policy = RoutingPolicy.model_validate({"timing": {"group_wait": 300}})
    typed = {"group_wait": ["5m"], "group_interval": ["1m"], "repeat_interval": ["2h"]}
    # 5m is the 300 written: left as written; 1m is the default: left unwritten.
    assert timing_fields(typed, policy) == {"repeat_interval": "2h"}
    assert timing_fields({"group_wait": [""]}, policy)["group_wait"] is None
    assert timing_fields({"group_wait": ["soon"]}, policy)["group_wait"] == "soon"


def _coverage_form(**fields: str | list[str]) -> dict[str, str | list[str]]:
    """The edit form of the 'landline' coverage (Leeds, Lena, SMS) as the page posts it."""
    form: dict[str, str | list[str]] = {
        "original_id": "landline",
        "id": "landline",
        "sites": "leeds",
        "technicians": "lena",
        "sub-0-row": "kept",
        "sub-0-severities": ["critical", "warning"],
        "sub-0-channels": "sms",
        "sub-1-row": "new",
        "sub-1-channels": "",
        "esc-0-row": "new",
        "esc-0-channels": "",
    }
    return form | fields


def test_a_coverage_lists_names_and_refuses_bad_lines_beside_them(tmp_path: Path) -> None:
    built = build(tmp_path, _console_yaml(tmp_path))
    routing_file = tmp_path / "config" / "routing.yaml"
    before = routing_file.read_text()
    with client_for(built) as client:
        csrf = log_in(client, ADMIN)
        page = client.get("/routing").text
        row = page[page.index('<tr data-coverage="lyon">') :]
        row = row[: row.index("</tr>")]
        # Names, escaped (the fleet's site name holds angle brackets), not ids.
        assert '<span class="chip" data-id="lyon">Lyon &lt;Part-Dieu&gt;</span>' in row
        assert '<span class="chip" data-id="lyonteam">Lyon team</span>' in row
        assert "all types · critical, warning → email and SMS" in row
        team = page[page.index('<tr data-team="lyonteam">') :]
        assert "Alice Martin</span>" in team[: team.index("</tr>")]
        # Lines that mean what the file says leave its wording (`channels: sms`) alone.
        form = {k: v if isinstance(v, list) else [v] for k, v in _coverage_form().items()}
        policy = RoutingPolicy.model_validate(yaml.safe_load(before))
        fields = coverage_fields(form, policy, "landline")
        assert "subscriptions" not in fields and "escalation" not in fields

        client.get("/language/fr", params={"next": "/routing"})
        french = client.get("/routing").text
        assert "tous les types · critique, avertissement → e-mail et SMS" in french
        assert "Types d&#39;alerte (aucun coché : tous)" in french
        client.get("/language/en", params={"next": "/routing"})

        late = {"esc-0-after": "in an hour", "esc-0-technicians": "dan", "esc-0-channels": "sms"}
        response = client.post("/routing/coverage", data=_coverage_form(csrf=csrf, **late))
        assert response.status_code == 422
        assert "escalation[0].after: &#39;in an hour&#39; is not a duration" in response.text
        # What was typed is still there, in the tier it was typed in.
        assert 'name="esc-0-after" value="in an hour"' in response.text
        assert 'name="esc-0-technicians" value="dan" checked' in response.text
        alone = {"sub-0-row": "kept", "sub-0-remove": "1"}
        response = client.post("/routing/coverage", data=_coverage_form(csrf=csrf, **alone))
        assert response.status_code == 422
        form_html = response.text[response.text.index("<details open>") :]
        group = form_html[form_html.index('data-group="subscriptions"') :]
        group = group[: group.index("</fieldset>\n  <fieldset")]
        assert "List should have at least 1 item" in group
    assert routing_file.read_text() == before

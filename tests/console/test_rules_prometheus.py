"""The Rules editor against a real Prometheus: a threshold changed on the page (login, CSRF)
is the threshold series' value shortly after; a rejected change and a failed reload change
neither policy.yaml, thresholds.yml nor Prometheus, and are in the audit log; the preview
reads the live recording rules and ALERTS; the JSON API takes the same path."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from console.auth import issue_api_token
from console.rules import policy_changes
from tests.alertmanager.receiver_support import wait_until
from tests.console.editor_support import POLICY, query, rules_stack, threshold
from tests.console.support import ADMIN, VIEWER, client_for, log_in

pytestmark = pytest.mark.slow

FAULTED = "chargekeeper:threshold_faulted_seconds"
DISCONNECTED = "chargekeeper:threshold_disconnected_seconds"


def section_form(csrf: str, alert_type: str, action: str = "save", **values: str) -> dict[str, str]:
    return {"csrf": csrf, "alert_type": alert_type, "action": action, **values}


def problems(html: str) -> list[str]:
    return re.findall(r"<li>([^<]*)</li>", html.split('class="problems"', 1)[1].split("</ul>")[0])


def test_changed_threshold_is_live_and_a_rejected_one_changes_nothing(tmp_path: Path) -> None:
    with rules_stack(tmp_path) as stack, client_for(stack.built) as client:
        prometheus = stack.prometheus_url
        lyon = {"site": "lyon", "group": "default", "severity": "warning"}
        leeds = {**lyon, "site": "leeds"}
        wait_until(lambda: threshold(prometheus, FAULTED, **lyon) == 60, 10, "rules not loaded")
        csrf = log_in(client, ADMIN)

        saved_at = time.monotonic()
        response = client.post(
            "/rules/section", data=section_form(csrf, "faulted", site="lyon", warning="2m")
        )
        assert response.status_code == 303, response.text
        assert response.headers["location"].startswith("/rules?change=")
        wait_until(lambda: threshold(prometheus, FAULTED, **lyon) == 120, 10, "not live")
        live_after = time.monotonic() - saved_at
        assert threshold(prometheus, FAULTED, **leeds) == 60
        print(f"threshold live {live_after:.2f} s after the save (1 s evaluation interval)")

        policy = (stack.config_dir / "policy.yaml").read_text()
        assert policy.startswith("# The SREs' policy: this comment must survive")
        assert "# every fleet charger is offline in these tests" in policy
        assert "  - site: lyon\n    faulted: {warning: 2m}\n" in policy
        page = client.get(response.headers["location"]).text
        assert "Applied by admin" in page
        assert "faulted at site lyon: warning inherited → 2m" in page

        # Critical before warning: refused with the model's words, nothing touched.
        policy_before = (stack.config_dir / "policy.yaml").read_text()
        thresholds_before = stack.thresholds_file.read_text()
        rejected = client.post(
            "/rules/section",
            data=section_form(csrf, "faulted", site="lyon", warning="10m", critical="5m"),
        )
        assert rejected.status_code == 422
        assert problems(rejected.text) == [
            "policy.yaml:10: overrides[0].faulted: critical (300 s) comes before warning "
            "(600 s): the critical duration must be at least the warning one"
        ]
        assert 'value="10m"' in rejected.text  # the form keeps what was typed
        assert (stack.config_dir / "policy.yaml").read_text() == policy_before
        assert stack.thresholds_file.read_text() == thresholds_before
        time.sleep(2)  # two evaluations
        assert threshold(prometheus, FAULTED, **lyon) == 120
        assert (
            threshold(
                prometheus,
                "chargekeeper:threshold_faulted_seconds",
                site="lyon",
                group="default",
                severity="critical",
            )
            == 900
        )

        changes = policy_changes(stack.built.service.pipeline.sessions)
        assert [(c.outcome, c.by) for c in changes] == [("rejected", "admin"), ("applied", "admin")]
        assert "critical (300 s) comes before warning" in changes[0].detail
        assert changes[1].before == POLICY and changes[1].after == policy_before
        audit = client.get("/rules/audit").text
        assert audit.index(f'data-change-id="{changes[0].id}"') < audit.index(
            f'data-change-id="{changes[1].id}"'
        )
        diff = client.get(f"/rules/audit/{changes[1].id}").text
        assert '<span class="diff-add">+  - site: lyon</span>' in diff


def test_failed_reload_puts_both_files_back(tmp_path: Path) -> None:
    # Without --web.enable-lifecycle Prometheus refuses /-/reload.
    with rules_stack(tmp_path, lifecycle=False) as stack, client_for(stack.built) as client:
        policy_before = (stack.config_dir / "policy.yaml").read_text()
        thresholds_before = stack.thresholds_file.read_text()
        csrf = log_in(client, ADMIN)
        response = client.post(
            "/rules/section", data=section_form(csrf, "faulted", warning="3m", critical="1h")
        )
        assert response.status_code == 502
        (problem,) = problems(response.text)
        assert problem.startswith("reloading Prometheus failed: Prometheus refused the reload")
        assert "is it started with --web.enable-lifecycle?" in problem
        assert problem.endswith(
            "Nothing was changed: policy.yaml and thresholds.yml are as they were."
        )
        assert (stack.config_dir / "policy.yaml").read_text() == policy_before
        assert stack.thresholds_file.read_text() == thresholds_before
        assert not list(stack.thresholds_file.parent.glob(".thresholds-*"))
        (change,) = policy_changes(stack.built.service.pipeline.sessions)
        assert change.outcome == "rejected" and "refused the reload" in change.detail
        assert change.summary == "faulted at the fleet: warning 1m → 3m, critical 15m → 1h"


def preview_list(html: str, kind: str) -> set[str]:
    """Charger ids (or sites) listed under one heading of the preview."""
    block = html.split(f'<ul class="preview-{kind}">', 1)
    if len(block) == 1:
        return set()
    items = re.findall(r"</span> (\w+)\s+(\S+)", block[1].split("</ul>")[0])
    return {f"{name} {subject}" for name, subject in items}


def test_preview_compares_proposed_thresholds_with_live_alerts(tmp_path: Path) -> None:
    with rules_stack(tmp_path, collector=True) as stack, client_for(stack.built) as client:
        firing = 'ALERTS{alertname="ChargerDisconnected",alertstate="firing",severity="warning"}'
        wait_until(lambda: len(query(stack.prometheus_url, firing)) == 3, 15, "3 firing")
        csrf = log_in(client, ADMIN)
        quieter = client.post(
            "/rules/section",
            data=section_form(
                csrf, "disconnected", "preview", site="leeds", warning="1h", critical="2h"
            ),
        )
        assert quieter.status_code == 200, quieter.text
        assert preview_list(quieter.text, "stops") == {"ChargerDisconnected CP-3"}
        assert preview_list(quieter.text, "stays") == {
            "ChargerDisconnected CP-ALFEN-01",
            "ChargerDisconnected CP-2",
        }
        assert preview_list(quieter.text, "starts") == set()
        louder = client.post(
            "/rules/section",
            data=section_form(csrf, "disconnected", "preview", warning="1s", critical="2s"),
        )
        assert preview_list(louder.text, "starts") == {
            "ChargerDisconnected CP-ALFEN-01",
            "ChargerDisconnected CP-2",
            "ChargerDisconnected CP-3",
        }
        # A preview saves nothing and is not an audited change.
        assert (stack.config_dir / "policy.yaml").read_text() == POLICY
        assert policy_changes(stack.built.service.pipeline.sessions) == []


def test_json_api_reads_replaces_and_lists_changes(tmp_path: Path) -> None:
    with rules_stack(tmp_path) as stack, client_for(stack.built) as client:
        sessions = stack.built.service.pipeline.sessions
        admin = {"Authorization": f"Bearer {issue_api_token(sessions, ADMIN[0], 'ci')}"}
        viewer = {"Authorization": f"Bearer {issue_api_token(sessions, VIEWER[0], 'ci')}"}
        rules = client.get("/api/v1/rules", headers=viewer).json()
        assert rules["editable"] is True
        assert rules["policy"]["defaults"]["disconnected"] == {
            "enabled": True,
            "warning": 1.0,
            "critical": 3600.0,
        }
        lyon = next(s for s in rules["effective"]["scopes"] if s["site"] == "lyon")
        assert lyon["thresholds"]["faulted"]["warning"] == 60.0

        body = {
            "collector_restart_grace": "1s",
            "defaults": {
                "disconnected": {"warning": "5m", "critical": "1h"},
                "faulted": {"warning": "1m", "critical": "15m"},
            },
            "maintenance": [
                {
                    "site": "leeds",
                    "start": "2030-01-01T00:00:00+00:00",
                    "end": "2030-01-02T00:00:00+00:00",
                }
            ],
        }
        assert client.put("/api/v1/rules", json=body, headers=viewer).status_code == 403
        applied = client.put("/api/v1/rules", json=body, headers=admin)
        assert applied.status_code == 200, applied.text
        assert applied.json()["summary"] == ["disconnected at the fleet: warning 1s → 5m"]
        labels = {"site": "leeds", "group": "default", "severity": "warning"}
        wait_until(
            lambda: threshold(stack.prometheus_url, DISCONNECTED, **labels) == 300, 10, "not live"
        )
        text = (stack.config_dir / "policy.yaml").read_text()
        assert "# every fleet charger is offline in these tests" in text

        invalid = client.put(
            "/api/v1/rules", json={"defaults": {"faulted": {"warning": "soon"}}}, headers=admin
        )
        assert invalid.status_code == 422
        assert invalid.json()["detail"]["problems"] == [
            "policy.yaml:3: defaults.faulted.warning: 'soon' is not a duration: write seconds "
            "(300) or units d, h, m, s ('1h30m')"
        ]
        changes = client.get("/api/v1/rules/changes", headers=viewer).json()
        assert [c["outcome"] for c in changes] == ["rejected", "applied"]
        assert changes[1]["after"] == text
        schema = client.get("/openapi.json").json()
        assert schema["paths"]["/api/v1/rules"]["put"]["tags"] == ["console"]
        assert "/api/v1/rules/changes" in schema["paths"]
        assert not any(path.startswith("/rules") for path in schema["paths"])

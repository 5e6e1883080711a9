"""The Rules page without Prometheus: who may edit, read-only without a render directory,
field errors, the preview saying Prometheus cannot be asked, vendor codes added and removed,
escaping, and French."""

from __future__ import annotations

from pathlib import Path

from console.auth import issue_api_token
from console.i18n import LANGUAGES, translate
from console.rules import ALERT_TYPES, policy_changes
from tests.console.support import ADMIN, VIEWER, build, client_for, log_in
from tests.support.procs import free_port


def editable_console(tmp_path: Path) -> str:
    """console.yaml for an editor whose Prometheus is not running (nothing listens there)."""
    return (
        f"refresh_seconds: 1\nrender_dir: {tmp_path / 'rendered'}\n"
        f"prometheus_url: http://127.0.0.1:{free_port()}\n"
    )


def test_read_only_without_render_dir(tmp_path: Path) -> None:
    built = build(tmp_path)
    token = issue_api_token(built.service.pipeline.sessions, ADMIN[0], "ci")
    with client_for(built) as client:
        csrf = log_in(client, ADMIN)
        page = client.get("/rules").text
        assert "Read-only: console.yaml has no render_dir and no prometheus_url" in page
        assert 'action="/rules/section"' not in page
        assert 'id="rule-site_offline"' in page  # the policy is still shown
        response = client.post(
            "/rules/section", data={"csrf": csrf, "alert_type": "faulted", "warning": "2m"}
        )
        assert response.status_code == 409
        auth = {"Authorization": f"Bearer {token}"}
        rules = client.get("/api/v1/rules", headers=auth).json()
        assert rules["editable"] is False
        assert rules["read_only_reason"].startswith("console.yaml has no render_dir")
        assert client.put("/api/v1/rules", json={}, headers=auth).status_code == 409
        assert client.get("/api/v1/rules").status_code == 401
        assert not (tmp_path / "config" / "policy.yaml").exists()


def test_viewer_reads_but_cannot_edit_and_csrf_is_checked(tmp_path: Path) -> None:
    with client_for(build(tmp_path, editable_console(tmp_path))) as client:
        csrf = log_in(client, VIEWER)
        page = client.get("/rules")
        assert page.status_code == 200
        assert 'action="/rules/section"' not in page.text
        form = {"csrf": csrf, "alert_type": "faulted", "warning": "2m"}
        assert client.post("/rules/section", data=form).status_code == 403
        client.post("/logout", data={"csrf": csrf})
        admin_csrf = log_in(client, ADMIN)
        assert 'action="/rules/section"' in client.get("/rules").text
        forged = {**form, "csrf": "not-" + admin_csrf}
        assert client.post("/rules/section", data=forged).status_code == 403


def test_field_errors_and_unreachable_preview(tmp_path: Path) -> None:
    built = build(tmp_path, editable_console(tmp_path))
    with client_for(built) as client:
        csrf = log_in(client, ADMIN)
        bad = client.post(
            "/rules/section",
            data={"csrf": csrf, "alert_type": "soc_stalled", "below": "140", "warning": "soon"},
        )
        assert bad.status_code == 422
        assert "&#39;140&#39;: a percentage here is more than 0 and at most 100" in bad.text
        assert "&#39;soon&#39; is not a duration" in bad.text
        preview = client.post(
            "/rules/section",
            data={"csrf": csrf, "alert_type": "faulted", "warning": "2m", "action": "preview"},
        )
        assert preview.status_code == 200
        assert "No preview: cannot query Prometheus at http://127.0.0.1:" in preview.text
        assert "Saving still works." in preview.text
        # Neither a form error nor a preview is a save attempt.
        assert policy_changes(built.service.pipeline.sessions) == []


def test_vendor_codes_are_escaped_and_audited_and_french(tmp_path: Path) -> None:
    built = build(tmp_path, editable_console(tmp_path))
    with client_for(built) as client:
        csrf = log_in(client, ADMIN)
        # Prometheus is not running: the save is rolled back, and the page shows the vendor
        # as text, never as markup.
        response = client.post(
            "/rules/vendor-codes",
            data={"csrf": csrf, "vendor": "<b>Evil</b> GmbH", "code": "E1", "severity": "critical"},
        )
        assert response.status_code == 502
        assert "&lt;b&gt;Evil&lt;/b&gt; GmbH" in response.text
        assert "<b>Evil</b>" not in response.text
        assert not (tmp_path / "config" / "policy.yaml").exists()
        (change,) = policy_changes(built.service.pipeline.sessions)
        assert change.summary == "vendor code <b>Evil</b> GmbH E1 surfaced as critical"
        audit = client.get(f"/rules/audit/{change.id}").text
        assert "&lt;b&gt;Evil&lt;/b&gt;" in audit and "<b>Evil</b>" not in audit

        client.get("/language/fr", params={"next": "/rules"})
        page = client.get("/rules").text
        assert "<h1>Règles</h1>" in page
        assert "Codes constructeur qui alertent" in page
        assert "Borne en défaut" in page


def test_every_key_the_rules_templates_compose_has_both_languages() -> None:
    # The templates build these keys from data, which tests/console/test_i18n.py cannot see.
    keys = [k for t in ALERT_TYPES for k in (t.title_key, t.help_key)]
    keys += [knob.label_key for t in ALERT_TYPES for knob in t.knobs]
    keys += [f"rules_{value}" for value in ("keep", "on", "off", "inherit")]
    keys += [
        f"rules_{kind}_{o}" for kind in ("outcome", "applied") for o in ("applied", "rejected")
    ]
    for language in LANGUAGES:
        for key in keys:
            assert translate(language, key, who="w")
    assert translate("fr", "knob_below") == "Charge sous (%)"

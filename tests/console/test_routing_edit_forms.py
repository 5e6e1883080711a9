"""The Routing page's forms for alert types and priorities, escalation tiers, holidays and
timing, against a real Alertmanager and amtool: each edit is in routing.yaml (comments kept),
in the configuration Alertmanager runs and in `amtool config routes test`; a rejected one
changes nothing and says why."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import httpx
import pytest
import yaml

from tests.console.editor_support import COMMENT, editor_stack, running
from tests.console.support import ADMIN, client_for, log_in
from tests.console.test_routing_edit_alertmanager import changes, routes_test

pytestmark = pytest.mark.slow

# The 'landline' coverage (Leeds, Lena, SMS) as its edit form posts it, narrowed to faults
# and chargers that stopped delivering, critical only, with Dan told by email 15 minutes later.
NARROWED: dict[str, str | list[str]] = {
    "original_id": "landline",
    "id": "landline",
    "sites": "leeds",
    "technicians": "lena",
    "sub-0-row": "kept",
    "sub-0-families": ["error", "energy"],
    "sub-0-severities": "critical",
    "sub-0-channels": "sms",
    "sub-1-row": "new",
    "sub-1-channels": "",
    "esc-0-row": "new",
    "esc-0-after": "15m",
    "esc-0-technicians": "dan",
    "esc-0-channels": "email",
}


def post(client: httpx.Client, path: str, form: Mapping[str, str | list[str]]) -> httpx.Response:
    return client.post(path, data=form)


def test_alert_types_escalation_holidays_and_timing_go_live_from_their_forms(
    tmp_path: Path,
) -> None:
    with editor_stack(tmp_path) as stack, client_for(stack.built) as client:
        csrf = log_in(client, ADMIN)
        fault = ("site=leeds", "family=error", "severity=critical")
        offline = ("site=leeds", "family=disconnection", "severity=critical")
        assert "tech:lena:sms" in routes_test(stack.am_file, *offline)

        response = post(client, "/routing/coverage", {**NARROWED, "csrf": csrf})
        assert response.status_code == 303, response.text
        text = stack.routing_file.read_text()
        assert COMMENT in text
        landline = yaml.safe_load(text)["coverage"][1]
        assert landline["subscriptions"] == [
            {"families": ["error", "energy"], "severities": ["critical"], "channels": "sms"}
        ]
        assert landline["escalation"] == [
            {"after": "15m", "technicians": ["dan"], "channels": "email"}
        ]
        # Lena is told about a fault, no longer about a charger offline.
        assert "tech:lena:sms" in routes_test(stack.am_file, *fault)
        assert "tech:lena:sms" not in routes_test(stack.am_file, *offline)
        assert "tech:lena:sms" not in routes_test(
            stack.am_file, "site=leeds", "family=error", "severity=warning"
        )
        page = client.get("/routing").text
        row = page[page.index('<tr data-coverage="landline">') :]
        row = row[: row.index("</tr>")]
        assert "Fault, Not delivering · critical → SMS" in row
        assert '+15m → <span class="chip" data-id="dan">Dan Peeters</span> (email)' in row

        # A public holiday added, then its name changed by adding the same day again.
        holiday = {"original_id": "", "date": "2026-12-25", "name": "Christmas", "csrf": csrf}
        assert post(client, "/routing/holidays", holiday).status_code == 303
        renamed = {**holiday, "name": "Noël"}
        assert post(client, "/routing/holidays", renamed).status_code == 303
        assert yaml.safe_load(stack.routing_file.read_text())["holidays"] == [
            {"date": "2026-12-25", "name": "Noël"}
        ]
        assert 'data-holiday="2026-12-25"' in client.get("/routing").text

        # Timing: the first message after 10 s, a reminder every 2 hours.
        timing = {"group_wait": "10s", "group_interval": "1m", "repeat_interval": "2h"}
        response = post(client, "/routing/timing", {**timing, "csrf": csrf})
        assert response.status_code == 303, response.text
        assert yaml.safe_load(stack.routing_file.read_text())["timing"] == {
            "group_wait": "10s",
            "repeat_interval": "2h",
        }
        route = running(stack.alertmanager_url)["route"]
        assert (route["group_wait"], route["repeat_interval"]) == ("10s", "2h")

        # A timing Alertmanager would not take is refused, beside its field; nothing changes.
        before = (stack.routing_file.read_text(), stack.am_file.read_text())
        response = post(client, "/routing/timing", {**timing, "group_wait": "-5s", "csrf": csrf})
        assert response.status_code == 422
        assert "&#39;-5s&#39; is not a duration" in response.text
        assert (stack.routing_file.read_text(), stack.am_file.read_text()) == before

        # The holiday removed; the file's comment is still there after five saves.
        gone = {"id": "2026-12-25", "csrf": csrf}
        assert post(client, "/routing/holidays/delete", gone).status_code == 303
        text = stack.routing_file.read_text()
        assert COMMENT in text and yaml.safe_load(text)["holidays"] == []
        outcomes = [c.outcome for c in changes(stack.built)]
        assert outcomes == ["applied"] * 4 + ["rejected", "applied"]
        audit = client.get("/routing/changes").text
        assert "holiday &#39;2026-12-25&#39; added" in audit

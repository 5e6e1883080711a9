"""Dashboard links select the charger with the variables the dashboard really has."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from chargekeeper.links import CHARGER_DASHBOARD_UID, CHARGER_DASHBOARD_VARIABLES, Links

DASHBOARDS = Path(__file__).resolve().parents[2] / "grafana" / "dashboards"
# A query variable's options: label_values(<selector>, <label>).
LABEL_VALUES = re.compile(r"label_values\((?P<selector>.*),\s*(?P<label>\w+)\)")


def _charger_dashboard() -> dict[str, Any]:
    found: list[dict[str, Any]] = [
        dashboard
        for dashboard in (json.loads(path.read_text()) for path in DASHBOARDS.glob("*.json"))
        if dashboard["uid"] == CHARGER_DASHBOARD_UID
    ]
    assert len(found) == 1, f"one dashboard with uid {CHARGER_DASHBOARD_UID}, found {len(found)}"
    return found[0]


def test_the_link_variables_are_the_dashboards_and_each_holds_its_label() -> None:
    templating = _charger_dashboard()["templating"]
    queries = {
        variable["name"]: variable["query"]["query"]
        for variable in templating["list"]
        if variable["type"] == "query"
    }
    assert set(queries) == set(CHARGER_DASHBOARD_VARIABLES.values())
    for label, variable in CHARGER_DASHBOARD_VARIABLES.items():
        match = LABEL_VALUES.fullmatch(queries[variable])
        assert match, queries[variable]
        assert match["label"] == label, f"${variable} lists {match['label']}, not {label}"


def test_charger_dashboard_link_sets_client_site_and_charger() -> None:
    link = Links(dashboard="https://grafana.example/d/chargekeeper-charger").charger_dashboard(
        "CP 1/&é", site="a9-nimes", client="highwayco"
    )
    parts = urlsplit(link)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == (
        "https://grafana.example/d/chargekeeper-charger"
    )
    assert parse_qs(parts.query, strict_parsing=True) == {
        "var-client": ["highwayco"],
        "var-site": ["a9-nimes"],
        "var-charger": ["CP 1/&é"],
    }


def test_unknown_values_are_left_out_not_sent_empty() -> None:
    links = Links(dashboard="https://grafana.example/d/chargekeeper-charger")
    assert links.charger_dashboard("CP-1") == (
        "https://grafana.example/d/chargekeeper-charger?var-charger=CP-1"
    )
    assert links.charger_dashboard("") == "https://grafana.example/d/chargekeeper-charger"


def test_without_a_dashboard_a_charger_link_opens_its_console_page() -> None:
    links = Links(console="http://127.0.0.1:9095/")
    assert links.charger_dashboard("CP 1/é", site="lyon") == (
        "http://127.0.0.1:9095/chargers/CP%201%2F%C3%A9"
    )


def test_a_site_link_opens_the_sites_alerts_in_the_console() -> None:
    assert Links(console="https://ck.example").site("lyon nord") == (
        "https://ck.example/alerts?site=lyon+nord"
    )


def test_annotation_links_are_made_absolute_or_dropped() -> None:
    links = Links(console="http://127.0.0.1:9095/")
    assert links.from_annotation("/runbook#chargerfaulted") == (
        "http://127.0.0.1:9095/runbook#chargerfaulted"
    )
    assert links.from_annotation("https://wiki.example/rb#x") == "https://wiki.example/rb#x"
    assert links.from_annotation("javascript:alert(1)") == ""
    assert links.from_annotation("//evil.example/x") == ""

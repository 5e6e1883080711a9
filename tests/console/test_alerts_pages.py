"""The alerts pages over a served receiver: list, filters and counts, escaping, ack, detail,
chargers and their maintenance record, French."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from chargekeeper.receiver import Receiver
from chargekeeper.store import Acknowledgement
from console.labels import duration_text
from tests.alertmanager.receiver_support import alert, wait_until, webhook
from tests.console.support import TECH, VIEWER, alert_ids, log_in, post_webhook

MARKUP = "<script>alert(1)</script>"


def seed(client: httpx.Client) -> None:
    """Three firing alerts at two sites of one client, one resolved."""
    post_webhook(
        client,
        webhook(
            [
                alert(
                    "CP-ALFEN-01",
                    vendor="Alfen BV",
                    error_code="OtherError",
                    vendor_error_code="210",
                    starts_at="2026-11-24T13:00:00Z",
                ),
                alert(
                    "CP-2",
                    alertname="ChargerOffline",
                    family="disconnection",
                    severity="warning",
                    starts_at="2026-11-24T13:05:00Z",
                ),
            ]
        ),
    )
    post_webhook(client, webhook([alert("CP-3", site="leeds", starts_at="2026-11-24T13:10:00Z")]))
    post_webhook(
        client,
        webhook(
            [
                alert(
                    "CP-2",
                    alertname="ChargerStalled",
                    status="resolved",
                    family="charging",
                    starts_at="2026-11-24T10:00:00Z",
                )
                | {"endsAt": "2026-11-24T11:30:00Z"}
            ]
        ),
    )


def rows(html: str) -> list[str]:
    return re.findall(r'data-alert-id="(\d+)"', html)


def test_list_shows_firing_alerts_newest_first_with_filters_and_counts(
    client: httpx.Client,
) -> None:
    seed(client)
    log_in(client, TECH)
    page = client.get("/alerts").text
    assert len(rows(page)) == 3  # firing only by default
    assert page.index("CP-3") < page.index("CP-2") < page.index("CP-ALFEN-01")
    assert '<option value="critical" >critical (2)</option>' in page
    assert '<option value="warning" >warning (1)</option>' in page
    assert "Lyon &lt;Part-Dieu&gt; (2)" in page  # the site's display name, escaped
    assert "RetailCo (3)" in page
    lyon = client.get("/alerts", params={"site": "lyon"}).text
    assert len(rows(lyon)) == 2 and "CP-3" not in lyon
    # Counts of the other filters follow the site; the site's own counts do not.
    assert '<option value="critical" >critical (1)</option>' in lyon
    assert "Leeds depot (1)" in lyon
    critical_lyon = client.get("/alerts", params={"site": "lyon", "severity": "critical"}).text
    assert len(rows(critical_lyon)) == 1 and "CP-ALFEN-01" in critical_lyon
    assert len(rows(client.get("/alerts", params={"family": "disconnection"}).text)) == 1
    assert len(rows(client.get("/alerts", params={"client": "retailco"}).text)) == 3
    assert len(rows(client.get("/alerts", params={"client": "other"}).text)) == 0
    everything = client.get("/alerts", params={"status": "all"}).text
    assert len(rows(everything)) == 4
    # The stored alerts are from 2026-11-24; "last hour" is relative to now.
    assert "No alert matches." in client.get("/alerts", params={"period": "1h"}).text
    table = client.get("/alerts/table", params={"site": "leeds"}).text
    assert "<html" not in table and rows(table) == rows(client.get("/alerts?site=leeds").text)


def test_charger_supplied_markup_is_escaped_everywhere(client: httpx.Client) -> None:
    hostile = alert(
        "CP-2", vendor=MARKUP, info=MARKUP, error_code="OtherError", vendor_error_code=MARKUP
    )
    hostile["annotations"] = {
        "summary": MARKUP,
        "description": MARKUP,
        "runbook_url": "javascript:alert(1)",
    }
    post_webhook(client, webhook([hostile]))
    (alert_id,) = alert_ids(client)
    csrf = log_in(client, TECH)
    client.post(f"/alerts/{alert_id}/ack", data={"csrf": csrf, "note": MARKUP})
    for path in (
        "/alerts?status=all",
        "/alerts/table?status=all",
        f"/alerts/{alert_id}",
        "/chargers",
        "/chargers/CP-2",
        "/notifications",
        "/unknown-codes",
    ):
        html = client.get(path).text
        assert "<script>alert" not in html, path
        links = re.findall(r'(?:href|src|action)="([^"]*)"', html)
        assert not [link for link in links if "javascript:" in link.lower()], path
        if path != "/notifications":  # the delivery log shows each message whole, as text
            assert "javascript:alert" not in html, path
    detail = client.get(f"/alerts/{alert_id}")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in detail.text
    # Even an escaping mistake could not run inline script: the policy allows none.
    assert detail.headers["content-security-policy"].startswith("default-src 'self';")


def test_acknowledge_records_who_and_when_and_unack_removes_it(
    client: httpx.Client, built: Receiver
) -> None:
    seed(client)
    csrf = log_in(client, TECH)
    alert_id = alert_ids(client, charge_point_id="CP-3")[0]
    response = client.post(
        f"/alerts/{alert_id}/ack",
        data={"csrf": csrf, "note": "on my way", "hours": "4", "next": "/alerts?site=leeds"},
    )
    assert response.status_code == 303 and response.headers["location"] == "/alerts?site=leeds"
    sessions = built.service.pipeline.sessions
    with sessions() as session:
        (ack,) = session.scalars(select(Acknowledgement)).all()
    assert (ack.alert_id, ack.by, ack.via, ack.note) == (alert_id, "alice", "console", "on my way")
    page = client.get("/alerts?site=leeds").text
    assert "✔ by alice at" in page and "on my way" in page
    # A second ack keeps the first one.
    client.post(f"/alerts/{alert_id}/ack", data={"csrf": csrf, "note": "me too"})
    with sessions() as session:
        assert len(session.scalars(select(Acknowledgement)).all()) == 1
    assert client.post(f"/alerts/{alert_id}/unack", data={"csrf": csrf}).status_code == 303
    with sessions() as session:
        assert session.scalars(select(Acknowledgement)).all() == []
    assert client.post("/alerts/999999/ack", data={"csrf": csrf}).status_code == 404


def test_detail_shows_timeline_translation_and_links(client: httpx.Client) -> None:
    seed(client)
    csrf = log_in(client, TECH)
    alert_id = alert_ids(client, charge_point_id="CP-ALFEN-01")[0]
    client.post(f"/alerts/{alert_id}/ack", data={"csrf": csrf, "note": "spare board"})
    html = client.get(f"/alerts/{alert_id}").text
    timeline = html[html.index('class="timeline"') :]
    order = [
        timeline.index(word)
        for word in ("Fired", "Received by Chargekeeper", "Acknowledged by alice (console)")
    ]
    assert order == sorted(order)
    assert "spare board" in timeline
    # The local providers were started by the receiver: messages to the Lyon team appear.
    assert re.search(r"(email|SMS) to Alice Martin: (pending|sending|sent)", html)
    assert 'href="https://rb"' in html  # runbook from the annotation
    assert (
        "https://grafana.example/d/cp?var-client=retailco&amp;var-site=lyon&amp;var-charger=CP-ALFEN-01"
        in html
    )
    assert "Alfen BV OtherError 210" in html
    assert 'class="card translation"' in html
    assert client.get("/alerts/424242").status_code == 404


def test_chargers_page_and_maintenance_record(client: httpx.Client) -> None:
    seed(client)
    log_in(client, TECH)
    listing = client.get("/chargers").text
    for charger in ("CP-ALFEN-01", "CP-2", "CP-3"):
        assert f'href="/chargers/{charger}"' in listing
    assert "1 firing" in listing
    record = client.get("/chargers/CP-2").text
    assert "Lyon &lt;Part-Dieu&gt; (lyon)" in record and "RetailCo" in record
    assert "ChargerOffline" in record and "ChargerStalled" in record
    assert "1 h 30 min" in record  # the resolved stall lasted 10:00 → 11:30
    assert "ongoing" in record
    assert client.get("/chargers/NOPE").status_code == 404
    # Alfen 210 is firing on CP-ALFEN-01: the translator's advice prepares the next visit.
    alfen = client.get("/chargers/CP-ALFEN-01").text
    prepare = alfen[alfen.index('class="prepare"') :]
    assert "load-balancing meter" in prepare.split("</ul>")[0]
    assert 'class="prepare"' not in record  # CP-2's alerts carry no code


def test_french_interface(client: httpx.Client) -> None:
    seed(client)
    log_in(client, TECH)
    response = client.get("/language/fr", params={"next": "/alerts"})
    assert response.status_code == 303
    page = client.get("/alerts").text
    assert '<html lang="fr">' in page and "Prendre en charge" in page and "Priorité" in page


@pytest.mark.parametrize(
    ("minutes", "expected"), [(0, "0 min"), (59, "59 min"), (90, "1 h 30 min"), (3000, "2 d 2 h")]
)
def test_durations_in_english(minutes: int, expected: str) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    assert duration_text("en", start, start + timedelta(minutes=minutes)) == expected


def test_static_files_only_serve_the_known_names(client: httpx.Client) -> None:
    assert client.get("/console/static/console.css").headers["content-type"].startswith("text/css")
    assert client.get("/console/static/..%2Fapp.py").status_code == 404
    assert client.get("/console/static/app.py").status_code == 404


def test_notifications_page_lists_the_delivery_log_with_filters(client: httpx.Client) -> None:
    seed(client)
    log_in(client, TECH)
    # The Lyon team (Alice and Dan, email and SMS) is told about the Lyon webhook.
    wait_until(
        lambda: len(re.findall(r"data-delivery-id", client.get("/notifications").text)) >= 4,
        10,
        "the deliveries were not queued",
    )
    page = client.get("/notifications").text
    assert "Alice Martin" in page and "alice@example.test" in page
    sms = client.get("/notifications", params={"channel": "sms"}).text
    assert "alice@example.test" not in sms and "+33612345001" in sms
    assert "No message matches." in client.get("/notifications?state=dead").text


def test_unknown_codes_page_lists_codes_the_catalog_lacks(client: httpx.Client) -> None:
    log_in(client, TECH)
    assert "No unknown code so far." in client.get("/unknown-codes").text
    post_webhook(client, webhook([alert("CP-2", vendor="Alfen BV", vendor_error_code="99999")]))
    wait_until(
        lambda: 'data-code="99999"' in client.get("/unknown-codes").text,
        10,
        "the unknown code was not recorded",
    )
    row = client.get("/unknown-codes").text.split('data-code="99999"')[1].split("</tr>")[0]
    assert 'href="/chargers/CP-2"' in row and "count 1, first" in row, row


def test_routing_preview_names_who_would_be_told(client: httpx.Client) -> None:
    log_in(client, TECH)
    lyon = client.get("/routing/preview", params={"site": "lyon", "at": "2026-11-25T10:00"}).text
    told = re.findall(r'data-technician="(\w+)">([^<]*)<', lyon)
    assert told == [("alice", "Alice Martin — email, sms"), ("dan", "Dan Peeters — email, sms")]
    assert "2026-11-25 10:00 CET" in lyon  # read in the site's zone
    leeds = client.get("/routing/preview", params={"site": "leeds", "severity": "critical"}).text
    assert re.findall(r'data-technician="(\w+)">', leeds) == ["lena"]
    nobody = client.get("/routing/preview", params={"site": "leeds", "severity": "info"}).text
    assert "Nobody would be told" in nobody


def test_technicians_add_notes_to_a_maintenance_record_viewers_cannot(
    client: httpx.Client,
) -> None:
    csrf = log_in(client, TECH)
    note = {"csrf": csrf, "text": f"Replaced the RCD.\nBring a {MARKUP} spare."}
    added = client.post("/chargers/CP-2/notes", data=note)
    assert added.status_code == 303 and added.headers["location"] == "/chargers/CP-2"
    record = client.get("/chargers/CP-2").text
    assert "Replaced the RCD." in record and "· alice" in record
    assert "&lt;script&gt;" in record and "<script>alert" not in record
    assert client.post("/chargers/NOPE/notes", data=note).status_code == 404
    assert client.post("/chargers/CP-2/notes", data=note | {"csrf": "x"}).status_code == 403
    client.cookies.clear()
    csrf = log_in(client, VIEWER)
    refused = client.post("/chargers/CP-2/notes", data=note | {"csrf": csrf})
    assert refused.status_code == 403
    assert 'action="/chargers/CP-2/notes"' not in client.get("/chargers/CP-2").text


def test_the_watchdog_offers_no_acknowledge_to_a_technician(
    client: httpx.Client, built: Receiver
) -> None:
    watchdog = alert("", alertname="Watchdog", severity="info", family="fleet", site="")
    post_webhook(client, webhook([watchdog, alert("CP-7")], receiver="deadman"))
    csrf = log_in(client, TECH)
    ids = {a: alert_ids(client, charge_point_id=a)[0] for a in ("", "CP-7")}
    for alert_id, offered in ((ids[""], False), (ids["CP-7"], True)):
        page = client.get(f"/alerts/{alert_id}").text
        assert (f'action="/alerts/{alert_id}/ack"' in page) is offered, alert_id
    refused = client.post(f"/alerts/{ids['']}/ack", data={"csrf": csrf})
    assert refused.status_code == 403
    with built.service.pipeline.sessions() as session:
        assert session.scalars(select(Acknowledgement)).all() == []

"""The alert pages tell the whole truth: when the fault began, for how long, what it means in
the reader's language, who was told or why nobody was, and the pipeline's own alerts apart."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from markupsafe import escape

from chargekeeper.config.fleet import load_fleet
from chargekeeper.config.routing import load_routing
from chargekeeper.fault_since import fault_since
from chargekeeper.routing import RoutingView
from chargekeeper.routing.recipients import DEAD_MANS_SWITCH_RECEIVER
from chargekeeper.store import Alert, DeliveryState
from console.labels import alert_title, duration_text, label_text
from console.told import who_was_told
from tests.alertmanager.receiver_support import alert, wait_until, webhook, write_config
from tests.console.support import ADMIN, TECH, alert_ids, log_in, post_webhook

STARTS = datetime(2026, 11, 24, 21, 48, tzinfo=UTC)


@pytest.mark.parametrize(
    ("since", "expected"),
    [
        ("1795556280", datetime(2026, 11, 24, 21, 38, tzinfo=UTC)),  # the rules' %.0f
        ("1.79555628e+09", datetime(2026, 11, 24, 21, 38, tzinfo=UTC)),  # Go's %g
        (" 1795556280 ", datetime(2026, 11, 24, 21, 38, tzinfo=UTC)),
        (None, STARTS),  # an alert from before the annotation existed
        ("", STARTS),  # the rule's query found no series
        ("soon", STARTS),
        ("0", STARTS),
        ("-5", STARTS),
        ("nan", STARTS),
        ("inf", STARTS),
        ("1e300", STARTS),
        ("1795557480", STARTS),  # after the alert's start: not a fault's start
    ],
)
def test_fault_since_reads_the_annotation_or_falls_back(
    since: str | None, expected: datetime
) -> None:
    annotations = {} if since is None else {"since": since}
    assert fault_since(annotations, STARTS) == expected


@pytest.mark.parametrize(
    ("minutes", "english", "french"),
    [
        (0, "0 min", "0 min"),
        (23, "23 min", "23 min"),
        (90, "1 h 30 min", "1 h 30 min"),
        (3000, "2 d 2 h", "2 j 2 h"),
    ],
)
def test_durations_in_both_languages(minutes: int, english: str, french: str) -> None:
    end = datetime.fromtimestamp(STARTS.timestamp() + minutes * 60, UTC)
    assert (duration_text("en", STARTS, end), duration_text("fr", STARTS, end)) == (
        english,
        french,
    )


def test_label_values_and_titles_are_translated_unknown_ones_kept() -> None:
    assert alert_title("fr", "ChargerDisconnected") == "Déconnectée"
    assert alert_title("en", "ChargerDisconnected") == "Disconnected"
    assert alert_title("fr", "SomeNewRule") == "SomeNewRule"
    assert label_text("fr", "severity", "critical") == "critique"
    assert label_text("fr", "state", "sent") == "envoyé"
    assert label_text("fr", "family", "<b>odd</b>") == "<b>odd</b>"  # escaped by the page


# A Lyon coverage on weekday office hours (not on Christmas); Leeds has none for 'info'.
SCHEDULED_ROUTING = """
timezone: Europe/Paris
technicians:
  - {id: alice, name: Alice Martin, email: alice@example.test, phone: "+33612345001",
     language: fr, timezone: Europe/Paris}
schedules:
  - {id: office, weekdays: ["monday:friday"], times: [{start: "08:00", end: "19:00"}],
     holidays: exclude}
holidays:
  - {date: 2026-12-25, name: Noël}
coverage:
  - id: lyon-office
    sites: [lyon]
    technicians: [alice]
    schedules: [office]
    subscriptions: [{channels: both}]
"""


@pytest.fixture
def routing_view(tmp_path: Path) -> RoutingView:
    config = write_config(tmp_path, smtp_port=1)
    (config / "routing.yaml").write_text(SCHEDULED_ROUTING)
    fleet = load_fleet(config / "fleet.yaml")
    return RoutingView.of(load_routing(config / "routing.yaml", fleet), fleet)


def stored(site: str, severity: str, starts_at: datetime) -> Alert:
    labels = {"alertname": "ChargerFaulted", "site": site, "severity": severity}
    return Alert(
        alertname="ChargerFaulted",
        site=site,
        severity=severity,
        family="error",
        labels=labels | {"family": "error"},
        annotations={},
        starts_at=starts_at,
    )


def reason(alert: Alert, view: RoutingView) -> str:
    nobody = who_was_told(alert, [], view).nobody
    assert nobody is not None, "somebody was told"
    return nobody.reason


def test_why_nobody_was_told_follows_the_routing_at_the_alert_start(
    routing_view: RoutingView,
) -> None:
    evening = stored("lyon", "critical", datetime(2026, 11, 24, 20, 48, tzinfo=UTC))  # 21:48
    nobody = who_was_told(evening, [], routing_view).nobody
    assert nobody is not None
    assert (nobody.headline, nobody.reason, nobody.names) == (
        "nobody_outside",
        "reason_off_hours",
        ("lyon-office",),
    )
    christmas = stored("lyon", "critical", datetime(2026, 12, 25, 10, 0, tzinfo=UTC))
    assert reason(christmas, routing_view) == "reason_holiday"
    leeds = stored("leeds", "info", STARTS)
    assert reason(leeds, routing_view) == "reason_no_coverage"
    # Covered at its start but no message yet (Alertmanager's group wait): say who should be.
    noon = stored("lyon", "critical", datetime(2026, 11, 24, 11, 0, tzinfo=UTC))
    pending = who_was_told(noon, [], routing_view).nobody
    assert pending is not None and pending.headline == "nobody_yet"
    assert pending.names == ("Alice Martin",)


def test_who_was_told_counts_only_messages_under_way(routing_view: RoutingView) -> None:
    noon = stored("lyon", "critical", datetime(2026, 11, 24, 11, 0, tzinfo=UTC))
    told = who_was_told(
        noon,
        [
            ("Alice Martin", "email", DeliveryState.SENT),
            ("Alice Martin", "sms", DeliveryState.DEAD),
            ("Dan", "sms", DeliveryState.PENDING),
            ("Dan", "sms", DeliveryState.SENT),
        ],
        routing_view,
    )
    assert [(p.name, p.channels) for p in told.people] == [
        ("Alice Martin", ("email",)),
        ("Dan", ("sms",)),
    ]
    failed = who_was_told(noon, [("Dan", "sms", DeliveryState.FAILED)], routing_view)
    assert failed.people == () and failed.nobody is not None
    assert failed.nobody.headline == "nobody_failed"


# --- over a served receiver ------------------------------------------------------------------


def in_french(client: httpx.Client, path: str) -> str:
    """The page as a French reader gets it (the language cookie the header link sets)."""
    client.cookies.set("ck_lang", "fr")
    try:
        return client.get(path).text
    finally:
        client.cookies.delete("ck_lang")


def row_of(html: str, alert_id: int) -> str:
    match = re.search(rf'<tr [^>]*data-alert-id="{alert_id}".*?</tr>', html, re.S)
    assert match, f"no row for alert {alert_id}"
    return match.group(0)


def test_list_shows_title_meaning_fault_start_duration_and_who_was_told(
    client: httpx.Client,
) -> None:
    faulted = alert(
        "CP-ALFEN-01",
        vendor="Alfen BV",
        error_code="OtherError",
        vendor_error_code="210",
        starts_at="2026-11-24T20:48:00Z",
    )
    faulted["annotations"]["since"] = "1795552680"  # 2026-11-24T20:38:00Z, 21:38 in Lyon
    post_webhook(client, webhook([faulted]))
    (alert_id,) = alert_ids(client)
    log_in(client, TECH)
    wait_until(
        lambda: "Alice Martin (email, SMS)" in client.get("/alerts").text,
        10,
        "the Lyon team's messages were not listed",
    )
    row = row_of(client.get("/alerts").text, alert_id)
    assert ">Faulted</a>" in row and "ChargerFaulted" not in row
    assert "Load-balancing link lost, safe current" in row  # Alfen 210, translated
    assert "2026-11-24 21:38 CET" in row and "21:48" not in row  # the fault's start
    assert re.search(r'class="duration">for (\d+ d \d+ h|\d+ h \d+ min|\d+ min)<', row)
    assert "Dan Peeters (email, SMS)" in row
    french = in_french(client, "/alerts")
    row = row_of(french, alert_id)
    assert ">En défaut</a>" in row and "critique" in row and "erreur" in row
    assert "Liaison de délestage perdue" in row and "Alice Martin (e-mail, SMS)" in row
    assert re.search(r'class="duration">depuis ', row)
    detail = in_french(client, f"/alerts/{alert_id}")
    assert "2026-11-24 21:38 CET" in detail and "Alice Martin (e-mail, SMS)" in detail
    api = client.get("/api/v1/alerts", headers={"Authorization": "Bearer s3cret-receiver-token"})
    assert api.json()[0]["since"] == "2026-11-24T20:38:00Z"
    assert api.json()[0]["starts_at"] == "2026-11-24T20:48:00Z"


def test_an_alert_nobody_was_told_about_says_so(client: httpx.Client) -> None:
    # Stored through a receiver that notifies nobody, as the recording route does.
    quiet = alert("CP-3", site="leeds", severity="info", starts_at="2026-11-24T20:48:00Z")
    post_webhook(client, webhook([quiet], receiver=DEAD_MANS_SWITCH_RECEIVER))
    (alert_id,) = alert_ids(client)
    log_in(client, TECH)
    row = row_of(client.get("/alerts").text, alert_id)
    assert "Nobody: outside coverage" in row
    assert "Personne : hors couverture" in in_french(client, "/alerts")


def test_the_reason_comes_from_the_live_routing(client: httpx.Client) -> None:
    # The test routing has no coverage for Leeds' info alerts.
    quiet = alert("CP-3", site="leeds", severity="info", starts_at="2026-11-24T20:48:00Z")
    post_webhook(client, webhook([quiet], receiver=DEAD_MANS_SWITCH_RECEIVER))
    (alert_id,) = alert_ids(client)
    log_in(client, TECH)
    row = row_of(client.get("/alerts").text, alert_id)
    assert "no coverage takes this site, source type and priority" in row
    assert "no coverage takes" in client.get(f"/alerts/{alert_id}").text


def test_meta_alerts_leave_the_list_for_the_pipeline_strip(client: httpx.Client) -> None:
    watchdog = alert("", alertname="Watchdog", severity="info", family="fleet", site="")
    post_webhook(client, webhook([watchdog, alert("CP-7")], receiver=DEAD_MANS_SWITCH_RECEIVER))
    csrf = log_in(client, TECH)
    (watchdog_id,) = alert_ids(client, charge_point_id="")
    page = client.get("/alerts").text
    assert len(re.findall(r"data-alert-id=", page)) == 1  # CP-7 only
    assert 'data-pipeline="healthy"' in page  # the Watchdog beating is the healthy case
    assert f'href="/alerts/{watchdog_id}" class="heartbeat"' in page
    assert 'value="fleet"' not in page  # nor is its family offered as a filter
    down = alert(
        "", alertname="ChargekeeperCollectorDown", severity="critical", family="fleet", site=""
    )
    post_webhook(client, webhook([down], receiver=DEAD_MANS_SWITCH_RECEIVER))
    strip = client.get("/alerts/pipeline").text
    assert 'data-pipeline="broken"' in strip and "Collector down" in strip
    assert "<html" not in strip
    assert "Collecteur arrêté" in in_french(client, "/alerts/pipeline")
    assert len(re.findall(r"data-alert-id=", client.get("/alerts").text)) == 1
    # Asked for by name, they are listed (the API's list does the same).
    by_name = client.get("/alerts", params={"family": "fleet"}).text
    assert len(re.findall(r"data-alert-id=", by_name)) == 2
    # A technician may not silence the stack's own alerts, by the page or the API.
    assert client.post(f"/alerts/{watchdog_id}/ack", data={"csrf": csrf}).status_code == 403
    client.cookies.clear()
    log_in(client, ADMIN)
    detail = client.get(f"/alerts/{watchdog_id}").text
    assert f'action="/alerts/{watchdog_id}/ack"' in detail  # an admin may


def test_the_delivery_log_shows_each_message_whole(client: httpx.Client) -> None:
    post_webhook(
        client, webhook([alert("CP-ALFEN-01", vendor="Alfen BV", vendor_error_code="210")])
    )
    log_in(client, TECH)
    wait_until(
        lambda: "data-delivery-id" in client.get("/notifications?channel=sms").text,
        10,
        "no SMS was queued",
    )
    api = client.get(
        "/api/v1/notifications",
        params={"channel": "sms"},
        headers={"Authorization": "Bearer s3cret-receiver-token"},
    ).json()
    page = client.get("/notifications", params={"channel": "sms"}).text
    for sms in api:
        assert str(escape(sms["body_text"])) in page, sms["body_text"]
    french = in_french(client, "/notifications")
    assert re.search(r">(envoyé|en attente|envoi en cours)", french)

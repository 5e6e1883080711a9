"""The Chargers list and maintenance record with live state from a real Prometheus (scraping
fixed collector samples, tests/console/live_support.py): connection, connectors, alerts firing
in Prometheus or in the store, search and filters, vendor/model/firmware from the last boot;
the store's view when Prometheus is down; the next visit's advice kept after a fault resolves."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from chargekeeper.receiver import Receiver
from console.auth import issue_api_token
from tests.alertmanager.receiver_support import alert, webhook
from tests.console.live_support import MARKUP, STRANGER, live_prometheus
from tests.console.support import TECH, VIEWER, build, client_for, log_in, post_webhook
from tests.support.procs import free_port

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def prometheus_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with live_prometheus(tmp_path_factory.mktemp("prometheus")) as url:
        yield url


@pytest.fixture
def live_built(tmp_path: Path, prometheus_url: str) -> Receiver:
    return build(tmp_path, f"prometheus_url: {prometheus_url}\n")


@pytest.fixture
def live(live_built: Receiver) -> Iterator[httpx.Client]:
    """A technician's client on a console that reads the live Prometheus."""
    with client_for(live_built) as client:
        log_in(client, TECH)
        yield client


def rows(html: str) -> dict[str, str]:
    """The list's rows by charge point id (as the page escapes it)."""
    found = re.findall(r'<tr class="cp-\w+" data-charger="([^"]*)".*?</tr>', html, re.S)
    return {cp: html[html.index(f'data-charger="{cp}"') :].split("</tr>")[0] for cp in found}


def listed(http: httpx.Client, **params: str) -> list[str]:
    return list(rows(http.get("/chargers", params=params).text))


def test_the_list_shows_each_charger_s_live_state(live: httpx.Client) -> None:
    page = live.get("/chargers").text
    assert "Live state unavailable" not in page
    by_id = rows(page)
    assert list(by_id) == ["CP-ALFEN-01", "CP-2", "CP-3", "CP-X&lt;b&gt;"]
    cp2 = by_id["CP-2"]
    assert 'data-state="disconnected"' in cp2
    assert "disconnected since 2026-01-02 04:04 CET" in cp2  # Lyon's time
    # The rule fired in Prometheus but nothing reached the console: shown, without a link.
    assert "firing in Prometheus, not received by the console" in cp2 and "1 firing" in cp2
    assert 'href="/alerts/' not in cp2
    cp3 = by_id["CP-3"]
    assert 'data-state="faulted"' in cp3 and "1: Faulted" in cp3
    assert 'title="since 2026-01-02 05:00 GMT"' in cp3  # Leeds's time
    alfen = by_id["CP-ALFEN-01"]
    assert 'data-state="ok"' in alfen and "Connected, no alert" in alfen
    assert "1: Charging" in alfen and "2: Available" in alfen
    assert "Alfen BV NG920" in alfen and "6.4.0-4210" in alfen  # from BootNotification
    stranger = by_id["CP-X&lt;b&gt;"]
    assert "not in the fleet file" in stranger
    assert 'href="/chargers/CP-X%3Cb%3E"' in stranger
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &lt;i&gt;m&lt;/i&gt;" in stranger
    assert MARKUP not in page and "<i>m</i>" not in page and STRANGER not in page


def test_search_and_filters_work_without_script(live: httpx.Client) -> None:
    assert listed(live, status="disconnected") == ["CP-2"]
    assert listed(live, status="faulted") == ["CP-3"]
    assert listed(live, status="alerting") == ["CP-2"]
    assert listed(live, status="ok") == ["CP-ALFEN-01", "CP-X&lt;b&gt;"]
    assert listed(live, site="leeds") == ["CP-3"]
    assert listed(live, client="retailco") == ["CP-ALFEN-01", "CP-2", "CP-3"]
    assert listed(live, group="default", site="lyon") == ["CP-ALFEN-01", "CP-2"]
    assert listed(live, vendor="Ekoenergetyka") == ["CP-3"]
    assert listed(live, q="alfen") == ["CP-ALFEN-01"]  # case-insensitive, vendor too
    assert listed(live, q="LEEDS depot") == ["CP-3"]  # the site's name
    assert listed(live, q="6.4.0") == ["CP-ALFEN-01"]  # firmware
    page = live.get("/chargers", params={"status": "ok", "site": "leeds"}).text
    assert "No charger matches." in page and "Showing 0 of 4 chargers" in page
    assert '<option value="leeds" selected>Leeds depot</option>' in page
    assert 'href="/chargers">Clear filters</a>' in page
    # The vendor filter offers what the chargers say they are, escaped.
    assert '<option value="&lt;script&gt;alert(1)&lt;/script&gt;"' in page


def test_an_alert_the_console_received_links_to_its_page(live: httpx.Client) -> None:
    post_webhook(
        live,
        webhook(
            [
                alert(
                    "CP-2",
                    alertname="ChargerDisconnected",
                    severity="warning",
                    family="disconnection",
                )
            ]
        ),
    )
    cp2 = rows(live.get("/chargers").text)["CP-2"]
    assert re.search(r'href="/alerts/\d+"', cp2)
    assert "not received by the console" not in cp2 and "1 firing" in cp2  # one, not two


def test_the_maintenance_record_shows_live_state_and_boot_identity(live: httpx.Client) -> None:
    record = live.get("/chargers/CP-3").text
    live_state = record[record.index('id="live-state"') :].split("</section>")[0]
    assert "Faulted" in live_state and "Connector 1" in live_state
    assert "since 2026-01-02 05:00 GMT" in live_state
    assert "connected since" in live_state
    identity = record.split("<h2>Identity</h2>")[1].split("</section>")[0]
    for fact in ("Ekoenergetyka", "AC22", "2.0.9", "2.0.1", "Leeds depot", "RetailCo"):
        assert fact in identity
    stranger = live.get("/chargers/CP-X%3Cb%3E")
    assert stranger.status_code == 200 and "not in the fleet file" in stranger.text
    assert MARKUP not in stranger.text
    french = live.get("/language/fr", params={"next": "/chargers/CP-3"})
    assert french.status_code == 303
    record = live.get("/chargers/CP-3").text
    assert "En défaut" in record and "Point de charge 1" in record


def test_the_api_filters_as_the_page_does(live: httpx.Client, live_built: Receiver) -> None:
    token = issue_api_token(live_built.service.pipeline.sessions, VIEWER[0], "tests")
    auth = {"Authorization": f"Bearer {token}"}
    disconnected = live.get("/api/v1/chargers", params={"status": "disconnected"}, headers=auth)
    assert [c["id"] for c in disconnected.json()] == ["CP-2"]
    (alfen,) = live.get("/api/v1/chargers", params={"q": "alfen"}, headers=auth).json()
    assert alfen["vendor"] == "Alfen BV" and alfen["model"] == "NG920"
    bad = live.get("/api/v1/chargers", params={"status": "broken"}, headers=auth)
    assert bad.status_code == 422


def test_prometheus_down_shows_the_store_s_view(tmp_path: Path) -> None:
    down = f"http://127.0.0.1:{free_port()}"
    with client_for(build(tmp_path, f"prometheus_url: {down}\n")) as client:
        post_webhook(
            client,
            webhook(
                [
                    alert(
                        "CP-2",
                        alertname="ChargerDisconnected",
                        family="disconnection",
                        vendor="Alfen BV",
                        model="NG910",
                        firmware_version="6.1.0",
                    )
                ]
            ),
        )
        log_in(client, VIEWER)
        page = client.get("/chargers").text
        assert f"Live state unavailable (cannot query Prometheus at {down}" in page
        by_id = rows(page)
        assert 'data-state="disconnected"' in by_id["CP-2"] and "1 firing" in by_id["CP-2"]
        assert "Alfen BV NG910" in by_id["CP-2"] and "6.1.0" in by_id["CP-2"]  # alert labels
        assert 'data-state="unknown"' in by_id["CP-3"]
        assert "No alert (live state unknown)" in by_id["CP-3"] and ">OK<" not in page
        record = client.get("/chargers/CP-2").text
        assert "Live state unavailable" in record and "NG910" in record


def test_the_next_visit_keeps_advice_of_recent_faults_resolved_or_not(tmp_path: Path) -> None:
    now = datetime.now(UTC)

    def at(days: float) -> str:
        return (now - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")

    def fault(code: str, days: float, **extra: str) -> dict[str, object]:
        return alert(
            "CP-ALFEN-01",
            vendor="Alfen BV",
            error_code="OtherError",
            vendor_error_code=code,
            starts_at=at(days),
            fingerprint=f"fp-{code}",
            **extra,
        )

    with client_for(build(tmp_path)) as client:
        # 210 fired 3 days ago and resolved 2 days ago; 101 resolved 40 days ago; 103 fires now.
        post_webhook(client, webhook([fault("210", 3, status="resolved") | {"endsAt": at(2)}]))
        post_webhook(client, webhook([fault("101", 41, status="resolved") | {"endsAt": at(40)}]))
        post_webhook(client, webhook([fault("103", 0.1)]))
        log_in(client, TECH)
        record = client.get("/chargers/CP-ALFEN-01").text
        prepare = record[record.index('class="prepare"') :].split("</ul>")[0]
        items = re.findall(r'<li class="(advice-\w+)">([^<]*)', prepare)
        assert [(cls, " ".join(text.split()[:3])) for cls, text in items] == [
            ("advice-firing", "Measure the supply"),  # 103, firing now
            ("advice-resolved", "Check the site"),  # 210, resolved 2 days ago
        ]
        assert "Load-balancing link lost, safe current" in prepare and "Resolved" in prepare
        assert "insulation" not in prepare  # 40 days ago: no longer recent

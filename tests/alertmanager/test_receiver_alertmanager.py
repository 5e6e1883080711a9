"""Real Alertmanager → receiver → aiosmtpd and the Twilio-speaking endpoint; SMTP down then up."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from alertmanager.localsms import LocalSmsServer
from alertmanager.localsmtp import LocalSmtpServer
from tests.alertmanager.receiver_support import (
    LYON_TEAM,
    alert,
    running_receiver,
    wait_until,
    webhook,
    write_config,
)
from tests.support.procs import ServerProcess, free_port, require_binary, wait_for_http

pytestmark = pytest.mark.slow


@pytest.fixture
def alertmanager_for(tmp_path: Path) -> Iterator[Any]:
    started: list[ServerProcess] = []

    def start(receiver_url: str, token_file: Path) -> str:
        binary = require_binary("prometheus-alertmanager")
        port = free_port()
        config = {
            "route": {
                "receiver": LYON_TEAM,
                "group_by": ["site"],
                "group_wait": "1s",
                "group_interval": "1s",
                "repeat_interval": "1h",
            },
            "receivers": [
                {
                    "name": LYON_TEAM,
                    "webhook_configs": [
                        {
                            "url": f"{receiver_url}/api/v1/alertmanager/webhook",
                            "send_resolved": True,
                            "http_config": {
                                "authorization": {
                                    "type": "Bearer",
                                    "credentials_file": str(token_file),
                                }
                            },
                        }
                    ],
                }
            ],
        }
        path = tmp_path / "alertmanager.yml"
        path.write_text(json.dumps(config))  # JSON is YAML
        proc = ServerProcess(
            "alertmanager",
            [
                binary,
                f"--config.file={path}",
                f"--storage.path={tmp_path / 'am-data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--cluster.listen-address=",
            ],
            tmp_path,
        )
        started.append(proc)
        url = f"http://127.0.0.1:{port}"
        wait_for_http(f"{url}/-/ready", proc=proc)
        return url

    yield start
    for proc in started:
        proc.stop()


def am_alert(charge_point_id: str, **labels: str) -> dict[str, Any]:
    return {
        "labels": {
            "alertname": "ChargerFaulted",
            "severity": "critical",
            "family": "error",
            "site": "lyon",
            "charge_point_id": charge_point_id,
            **labels,
        },
        "annotations": {
            "summary": f"{charge_point_id} is faulted",
            "description": 'info=<script>alert("x")</script>',
            "runbook_url": "https://rb.example/runbook.md#chargerfaulted",
        },
    }


def test_alertmanager_group_becomes_one_mail_and_one_sms_per_technician(
    tmp_path: Path, alertmanager_for: Any
) -> None:
    config = write_config(tmp_path / "config", free_port())
    with running_receiver(config, tmp_path / "state") as receiver:
        am_url = alertmanager_for(receiver.url, config / "receiver-token")
        alerts = [
            am_alert(
                "CP-ALFEN-01",
                vendor="Alfen BV",
                error_code="OtherError",
                vendor_error_code="210",
            ),
            am_alert("CP-2"),
            am_alert("CP-3"),
        ]
        httpx.post(f"{am_url}/api/v2/alerts", json=alerts, timeout=5).raise_for_status()
        smtp, sms = receiver.built.component.local_servers
        assert isinstance(smtp, LocalSmtpServer) and isinstance(sms, LocalSmsServer)
        mails = wait_until(lambda: len(smtp.messages()) == 2 and smtp.messages(), 20, "2 mails")
        texts = wait_until(lambda: len(sms.messages()) == 2 and sms.messages(), 10, "2 SMS")

        by_to = {mail["To"].addresses[0].addr_spec: mail for mail in mails}
        alice, dan = by_to["alice@example.test"], by_to["dan@example.test"]
        assert alice["Content-Language"] == "fr" and dan["Content-Language"] == "en"
        assert alice["Subject"].startswith("[CRITIQUE] 3 bornes en défaut à Lyon <Part-Dieu>")
        assert dan["Subject"].startswith("[CRITICAL] 3 chargers in fault at Lyon <Part-Dieu>")
        html = alice.get_body(("html",))
        assert html is not None
        content = html.get_content()
        assert "<script>" not in content and "&lt;script&gt;" in content
        assert "Lyon &lt;Part-Dieu&gt;" in content  # operator text is escaped too
        assert "Liaison de délestage perdue" in content  # translated vendor code 210
        for charger in ("CP-ALFEN-01", "CP-2", "CP-3"):
            assert charger in content
        assert {m["to"] for m in texts} == {"+33612345001", "+32470123004"}
        for text in texts:
            assert int(text["num_segments"]) <= 2 and "Lyon <Part-Dieu>" in text["body"]

        # Resolution: Alertmanager sends the resolved group; one more mail and SMS each.
        resolved = [dict(a, endsAt="2020-01-01T00:00:00Z") for a in alerts]
        httpx.post(f"{am_url}/api/v2/alerts", json=resolved, timeout=5).raise_for_status()
        wait_until(lambda: len(smtp.messages()) == 4, 20, "2 resolution mails")
        assert any(m["Subject"].startswith("[RESOLVED]") for m in smtp.messages())
        log = receiver.get("/api/v1/notifications")
        assert len(log) == 8 and {d["state"] for d in log} == {"sent"}


def test_smtp_down_then_up_delivers_everything_once(tmp_path: Path) -> None:
    smtp_port = free_port()
    sms_token = tmp_path / "twilio-token"
    sms_token.write_text("tok\n")
    sms = LocalSmsServer(tmp_path / "sms-state", "AC" + "5" * 32, "tok").start()
    extra = (
        f"twilio: {{account_sid: {'AC' + '5' * 32}, auth_token_file: {sms_token},"
        f" base_url: '{sms.url}', rate_per_second: 100}}\n"
    )
    config = write_config(tmp_path / "config", smtp_port, local_providers=False, extra=extra)
    (config / "receiver.yaml").write_text(
        (config / "receiver.yaml").read_text().replace("twilio: {rate_per_second: 50}\n", "")
    )
    try:
        with running_receiver(config, tmp_path / "state") as receiver:
            for site, team in (("lyon", LYON_TEAM),):
                for n in range(10):
                    body = webhook([alert(f"CP-{n}", site=site)], receiver=team)
                    assert receiver.post(body).status_code == 200
            wait_until(
                lambda: (
                    all(
                        d["attempts"] >= 2
                        for d in receiver.get("/api/v1/notifications", channel="email")
                    )
                    and len(receiver.get("/api/v1/notifications", channel="email")) == 20
                ),
                15,
                "every email tried twice while SMTP is down",
            )
            failed = receiver.get("/api/v1/notifications", channel="email")
            assert {d["state"] for d in failed} <= {"pending", "sending"}
            assert {d["failure_reason"] for d in failed} == {"connection"}
            metrics = httpx.get(f"{receiver.url}/metrics").text
            assert (
                'chargekeeper_notifications_failed_total{channel="email",reason="connection"}'
                in metrics
            )

            smtp = LocalSmtpServer(tmp_path / "mail-state", port=smtp_port).start()
            try:
                wait_until(lambda: len(smtp.messages()) == 20, 20, "all 20 mails after SMTP is up")
                ids = [m["Message-ID"] for m in smtp.messages()]
                assert len(set(ids)) == 20
                wait_until(
                    lambda: {d["state"] for d in receiver.get("/api/v1/notifications")} == {"sent"},
                    10,
                    "every delivery marked sent",
                )
            finally:
                smtp.stop()
            assert len(sms.messages()) == 20  # SMS were never held up by the mail outage
    finally:
        sms.stop()

"""The Routing editor against a real Alertmanager and amtool: an edit made on the page is in
routing.yaml (comments kept), in the configuration Alertmanager runs, in `amtool config routes
test`, in the preview and in the receiver's own resolver; a failed reload puts it all back."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
import pytest
import yaml
from sqlalchemy import select

from chargekeeper.receiver import Receiver
from chargekeeper.store import ConfigChange, Delivery
from console.routing.alertmanager import routing_signature
from tests.alertmanager.receiver_support import alert, wait_until, webhook
from tests.console.editor_support import COMMENT, editor_stack, running
from tests.console.support import ADMIN, client_for, log_in, post_webhook
from tests.support.procs import free_port, require_binary

pytestmark = pytest.mark.slow

ZOE = {
    "original_id": "",
    "id": "zoe",
    "name": "Zoé Petit",
    "email": "zoe@example.test",
    "phone": "+33 6 12 34 50 99",
    "language": "fr",
    "timezone": "Europe/Paris",
}
LYON_ZOE = {"original_id": "", "id": "lyon-zoe", "sites": "lyon", "technicians": "zoe"}
# A change of routes: Dan (already a technician) also covers Leeds.
LEEDS_DAN = {"original_id": "", "id": "leeds-dan", "sites": "leeds", "technicians": "dan"}
LYON_CRITICAL = ("site=lyon", "family=error", "severity=critical")


def routes_test(config_file: Path, *labels: str) -> str:
    amtool = require_binary("amtool")
    result = subprocess.run(
        [amtool, "config", "routes", "test", f"--config.file={config_file}", *labels],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    return result.stdout


def deliveries_to(built: Receiver, technician: str) -> list[tuple[str, str]]:
    with built.service.pipeline.sessions() as session:
        rows = session.scalars(select(Delivery).where(Delivery.recipient_id == technician))
        return sorted((row.channel, row.address) for row in rows)


def changes(built: Receiver) -> list[ConfigChange]:
    with built.service.pipeline.sessions() as session:
        return list(session.scalars(select(ConfigChange).order_by(ConfigChange.id)))


def test_a_technician_added_on_the_page_is_told_about_the_site_assigned_to_them(
    tmp_path: Path,
) -> None:
    with editor_stack(tmp_path) as stack, client_for(stack.built) as client:
        assert "tech:zoe:both" not in routes_test(stack.am_file, *LYON_CRITICAL)
        csrf = log_in(client, ADMIN)

        added = client.post("/routing/technicians", data={**ZOE, "csrf": csrf})
        assert added.status_code == 303, added.text
        assigned = client.post("/routing/coverage", data={**LYON_ZOE, "csrf": csrf})
        assert assigned.status_code == 303, assigned.text

        text = stack.routing_file.read_text()
        assert COMMENT in text, "the operator's comment was lost"
        assert 'phone: "+33612345099"' in text
        policy = yaml.safe_load(text)
        assert {"id": "lyon-zoe", "sites": ["lyon"], "technicians": ["zoe"]}.items() <= {
            k: v for k, v in policy["coverage"][-1].items() if k != "subscriptions"
        }.items()

        # Alertmanager runs the new routes, and amtool sends Lyon's alert to Zoé.
        loaded = running(stack.alertmanager_url)
        assert "tech:zoe:both" in {r["name"] for r in loaded["receivers"]}
        assert routing_signature(loaded) == routing_signature(
            yaml.safe_load(stack.am_file.read_text())
        )
        assert "tech:zoe:both" in routes_test(stack.am_file, *LYON_CRITICAL)
        assert "tech:zoe:both" not in routes_test(stack.am_file, "site=leeds", "severity=critical")

        # The preview and the receiver's resolver use the new policy without a restart.
        preview = client.get("/routing/preview", params={"site": "lyon", "family": "error"})
        assert 'data-technician="zoe"' in preview.text
        post_webhook(client, webhook([alert("CP-2")], receiver="tech:zoe:both"))
        told = wait_until(lambda: deliveries_to(stack.built, "zoe"), 10, "nothing for Zoé")
        assert told == [("email", "zoe@example.test"), ("sms", "+33612345099")]

        # A night schedule for her coverage, and Zoé joins the Lyon team: both live at once.
        night: dict[str, str | list[str]] = {"original_id": "", "id": "night", "csrf": csrf}
        night |= {"weekdays": ["monday", "tuesday"], "times": "19:00-07:00", "holidays": "ignore"}
        assert client.post("/routing/schedules", data=night).status_code == 303
        team: dict[str, str | list[str]] = {"original_id": "lyonteam", "id": "lyonteam"}
        team |= {"name": "Lyon team", "members": ["alice", "dan", "zoe"], "csrf": csrf}
        assert client.post("/routing/teams", data=team).status_code == 303
        policy = yaml.safe_load(stack.routing_file.read_text())
        assert policy["schedules"] == [
            {
                "id": "night",
                "weekdays": ["monday:tuesday"],
                "times": [{"start": "19:00", "end": "07:00"}],
                "holidays": "ignore",
            }
        ]
        post_webhook(client, webhook([alert("CP-ALFEN-01")]))  # to team:lyonteam:both
        wait_until(lambda: len(deliveries_to(stack.built, "zoe")) == 4, 10, "team message")

        page = client.get("/routing")
        assert 'data-technician="zoe"' in page.text and "Zoé Petit" in page.text
        assert 'data-schedule="night"' in page.text
        audit = client.get("/routing/changes").text
        assert "technician &#39;zoe&#39; added" in audit
        assert "+  - id: lyon-zoe" in audit
        removed = client.post("/routing/coverage/delete", data={"id": "lyon-zoe", "csrf": csrf})
        assert removed.status_code == 303
        assert "tech:zoe:both" not in routes_test(stack.am_file, *LYON_CRITICAL)
        assert COMMENT in stack.routing_file.read_text()
        assert [c.outcome for c in changes(stack.built)] == ["applied"] * 5


def test_alertmanager_running_another_file_is_detected_and_everything_put_back(
    tmp_path: Path,
) -> None:
    elsewhere = tmp_path / "elsewhere.yml"
    with editor_stack(tmp_path, am_reads=elsewhere) as stack, client_for(stack.built) as client:
        before = (stack.routing_file.read_text(), stack.am_file.read_text())
        running_before = routing_signature(running(stack.alertmanager_url))
        csrf = log_in(client, ADMIN)
        response = client.post("/routing/coverage", data={**LEEDS_DAN, "csrf": csrf})
        assert response.status_code == 502
        assert "does not run the new configuration" in response.text
        assert f"--config.file={stack.am_file}" in response.text
        assert "Alertmanager reloaded them" in response.text
        assert (stack.routing_file.read_text(), stack.am_file.read_text()) == before
        assert routing_signature(running(stack.alertmanager_url)) == running_before
        (change,) = changes(stack.built)
        assert change.outcome == "rejected" and "does not run" in change.detail
        assert 'data-coverage="leeds-dan"' not in client.get("/routing").text


def test_unreachable_alertmanager_leaves_the_running_configuration(tmp_path: Path) -> None:
    with (
        editor_stack(tmp_path, console_am_port=free_port()) as stack,
        client_for(stack.built) as client,
    ):
        before = (stack.routing_file.read_text(), stack.am_file.read_text())
        csrf = log_in(client, ADMIN)
        response = client.post("/routing/coverage", data={**LEEDS_DAN, "csrf": csrf})
        assert response.status_code == 502
        assert "cannot reach Alertmanager" in response.text
        assert "keeps running the previous configuration" in response.text
        assert (stack.routing_file.read_text(), stack.am_file.read_text()) == before
        # Whatever reloads Alertmanager next still gets the previous routing.
        httpx.post(f"{stack.alertmanager_url}/-/reload", timeout=5).raise_for_status()
        names = {r["name"] for r in running(stack.alertmanager_url)["receivers"]}
        assert "tech:dan:both" not in names and "team:lyonteam:both" in names

        # A render that cannot happen (the token file is gone) changes nothing either.
        (stack.config_dir / "receiver-token").unlink()
        response = client.post("/routing/technicians", data={**ZOE, "csrf": csrf})
        assert response.status_code == 502 and "does not exist" in response.text
        assert (stack.routing_file.read_text(), stack.am_file.read_text()) == before
        assert [c.outcome for c in changes(stack.built)] == ["rejected", "rejected"]


def test_every_member_of_the_cluster_runs_the_edit(tmp_path: Path) -> None:
    am_file = tmp_path / "render" / "alertmanager" / "alertmanager.yml"
    with (
        editor_stack(tmp_path, peer_reads=am_file) as stack,
        client_for(stack.built) as client,
    ):
        csrf = log_in(client, ADMIN)
        response = client.post("/routing/coverage", data={**LEEDS_DAN, "csrf": csrf})
        assert response.status_code == 303, response.text
        expected = routing_signature(yaml.safe_load(stack.am_file.read_text()))
        for url in (stack.alertmanager_url, stack.peer_url):
            assert routing_signature(running(url)) == expected, url
            names = {r["name"] for r in running(url)["receivers"]}
            assert "tech:dan:both" in names, url


def test_a_member_on_another_file_puts_everything_back_on_every_member(tmp_path: Path) -> None:
    with (
        editor_stack(tmp_path, peer_reads=tmp_path / "elsewhere.yml") as stack,
        client_for(stack.built) as client,
    ):
        before = (stack.routing_file.read_text(), stack.am_file.read_text())
        running_before = routing_signature(running(stack.alertmanager_url))
        csrf = log_in(client, ADMIN)
        response = client.post("/routing/coverage", data={**LEEDS_DAN, "csrf": csrf})
        assert response.status_code == 502
        assert f"Alertmanager at {stack.peer_url} reloaded but does not run" in response.text
        assert (stack.routing_file.read_text(), stack.am_file.read_text()) == before
        # The first member had loaded the edit; it was reloaded with the previous files.
        assert routing_signature(running(stack.alertmanager_url)) == running_before
        assert routing_signature(running(stack.peer_url)) == running_before

"""The coverage check as ``config render`` reports it: the times at which a site's critical
alerts would reach nobody."""

from __future__ import annotations

from pathlib import Path

import pytest

from chargekeeper.render.stack import AlertmanagerSide, load_sources, render
from chargekeeper.routing import WebhookTarget
from tests.chargekeeper.routing.routing_support import DEMO, NOW, config_dir


def test_render_warns_about_times_when_critical_alerts_reach_nobody(
    tmp_path: Path, token_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    text = (DEMO / "routing.yaml").read_text()
    # Without the northern night shift, the depot engineer and the operations desk, nights at
    # Geneva and Brussels are uncovered.
    cut = text.index("  - id: north-nights")
    config = config_dir(tmp_path, text[:cut] + text[text.index("# Alertmanager's timing") :])
    side = AlertmanagerSide(WebhookTarget("http://127.0.0.1:9095", token_file))
    with caplog.at_level("WARNING", logger="chargekeeper.render.stack"):
        render(load_sources(config, NOW), tmp_path / "out", [side])
    gaps = [r.getMessage() for r in caplog.records]
    assert (
        f"{config / 'routing.yaml'}: critical 'disconnection' alerts at site 'geneva-depot' "
        "reach nobody at times such as Wednesday 2026-11-25 19:00 (Europe/Zurich)"
    ) in gaps
    assert any("'energy' alerts at site 'brussels-hq'" in gap for gap in gaps)
    # Lyon's nights and weekends are covered for every critical alert (the out-of-hours
    # technician), so no gap is reported there.
    assert not any("site 'lyon-part-dieu'" in gap for gap in gaps)


def test_the_demo_policy_covers_every_critical_alert(
    tmp_path: Path, token_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    side = AlertmanagerSide(WebhookTarget("http://127.0.0.1:9095", token_file))
    with caplog.at_level("WARNING", logger="chargekeeper.render.stack"):
        render(load_sources(config_dir(tmp_path), NOW), tmp_path / "out", [side])
    assert caplog.records == []

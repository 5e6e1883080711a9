"""console.yaml and the command-line settings that override it."""

from __future__ import annotations

from pathlib import Path

import pytest

from chargekeeper.config.loader import ConfigError
from console.settings import ConsoleOverrides, load_console_config


def test_overrides_win_over_the_file_and_leave_the_rest(tmp_path: Path) -> None:
    (tmp_path / "console.yaml").write_text(
        "alertmanager_url: http://am.example:9093\nlanguage: fr\n"
    )
    overrides = ConsoleOverrides(
        alertmanager_url="http://127.0.0.1:19093", render_dir=tmp_path / "rendered"
    )
    config = load_console_config(tmp_path, overrides)
    assert config.alertmanager_url == "http://127.0.0.1:19093"
    assert config.render_dir == tmp_path / "rendered"
    assert config.language == "fr"
    assert config.prometheus_url is None


def test_without_a_file_or_overrides_every_default_holds(tmp_path: Path) -> None:
    config = load_console_config(tmp_path)
    assert config.alertmanager_url is None and config.render_dir is None
    assert config.refresh_seconds == 5.0


def test_a_broken_file_names_the_key(tmp_path: Path) -> None:
    (tmp_path / "console.yaml").write_text("refresh_seconds: 0\n")
    with pytest.raises(ConfigError) as caught:
        load_console_config(tmp_path, ConsoleOverrides(prometheus_url="http://127.0.0.1:9090"))
    assert "refresh_seconds" in "\n".join(caught.value.problems)

"""``chargekeeper config render`` says what it did: every file it wrote (absolute paths, exactly
the files on disk), and which servers it reloaded, against a real Prometheus and Alertmanager,
or that it reloaded nothing; a refused reload still shows what was written."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner, Result

from chargekeeper.cli import app
from chargekeeper.net import free_port
from tests.console.support import running_alertmanager
from tests.support.paths import REPO
from tests.support.procs import ServerProcess, require_binary, wait_for_http


def _config(tmp_path: Path, routing: bool = True) -> Path:
    config = tmp_path / "config"
    shutil.copytree(REPO / "examples" / "demo", config)
    if not routing:
        (config / "routing.yaml").unlink()
    return config


def _render(config: Path, out: Path, *extra: str) -> Result:
    token = out.parent / "webhook-token"
    token.write_text("t0ken\n")
    args = ["config", "render", "--config", str(config), "--out", str(out)]
    return CliRunner().invoke(app, [*args, "--webhook-token-file", str(token), *extra])


def _listed(stdout: str) -> set[Path]:
    lines = stdout.splitlines()
    count = int(lines[0].removeprefix("Wrote ").removesuffix(" files:"))
    return {Path(line.strip()) for line in lines[1 : 1 + count]}


def _on_disk(out: Path) -> set[Path]:
    return {path.resolve() for path in out.rglob("*") if path.is_file()}


def test_without_reload_it_lists_what_it_wrote_and_says_nothing_was_reloaded(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    result = _render(_config(tmp_path), out)
    assert result.exit_code == 0, result.output
    assert _listed(result.stdout) == _on_disk(out)
    assert (out / "alertmanager" / "alertmanager.yml").resolve() in _listed(result.stdout)
    assert result.stdout.splitlines()[-1] == (
        "Nothing reloaded (no --reload): the new files take effect at the next restart or "
        "POST /-/reload of Prometheus and Alertmanager."
    )


def test_without_routing_it_says_no_alertmanager_configuration_was_rendered(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    config = _config(tmp_path, routing=False)
    result = _render(config, out)
    assert result.exit_code == 0, result.output
    assert _listed(result.stdout) == _on_disk(out)
    assert result.stdout.splitlines()[-2:] == [
        f"No {config / 'routing.yaml'}: no Alertmanager configuration was rendered.",
        "Nothing reloaded (no --reload): the new files take effect at the next restart or "
        "POST /-/reload of Prometheus.",
    ]


def test_a_refused_reload_still_shows_what_was_written(tmp_path: Path) -> None:
    out = tmp_path / "out"
    nobody = f"127.0.0.1:{free_port()}"
    result = _render(_config(tmp_path), out, "--prometheus", nobody, "--reload")
    assert result.exit_code == 1
    assert _listed(result.stdout) == _on_disk(out)
    assert "Reloaded" not in result.stdout
    assert result.stderr.startswith(f"cannot reach Prometheus at http://{nobody}/-/reload: ")
    assert result.stderr.endswith(
        "The files listed above were written; a server not reported reloaded still runs its "
        "previous configuration.\n"
    )


def _last_reload(url: str, metric: str) -> float:
    for line in httpx.get(f"{url}/metrics", timeout=5).text.splitlines():
        if line.startswith(f"{metric} "):
            return float(line.split()[1])
    raise AssertionError(f"{url}/metrics has no {metric}")


@pytest.fixture
def prometheus_port() -> int:
    return free_port()


@pytest.fixture
def servers(tmp_path: Path, prometheus_port: int) -> Iterator[tuple[str, str, Path, Path]]:
    """A first render, and Prometheus (lifecycle API on) and Alertmanager started from it."""
    config, out = _config(tmp_path), tmp_path / "out"
    alertmanager_port = free_port()
    addresses = ["--prometheus", f"127.0.0.1:{prometheus_port}"]
    addresses += ["--alertmanager", f"127.0.0.1:{alertmanager_port}"]
    first = _render(config, out, *addresses)
    assert first.exit_code == 0, first.output
    prometheus = ServerProcess(
        "prometheus",
        [
            require_binary("prometheus"),
            f"--config.file={out / 'prometheus' / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{prometheus_port}",
            "--web.enable-lifecycle",
        ],
        tmp_path,
    )
    try:
        prometheus_url = f"http://127.0.0.1:{prometheus_port}"
        wait_for_http(f"{prometheus_url}/-/ready", proc=prometheus)
        with running_alertmanager(
            tmp_path, out / "alertmanager" / "alertmanager.yml", alertmanager_port
        ) as alertmanager_url:
            yield prometheus_url, alertmanager_url, config, out
    finally:
        prometheus.stop()


@pytest.mark.slow
def test_with_reload_it_says_which_servers_it_reloaded(
    servers: tuple[str, str, Path, Path],
) -> None:
    prometheus_url, alertmanager_url, config, out = servers
    metrics = {
        prometheus_url: "prometheus_config_last_reload_success_timestamp_seconds",
        alertmanager_url: "alertmanager_config_last_reload_success_timestamp_seconds",
    }
    before = {url: _last_reload(url, metric) for url, metric in metrics.items()}
    time.sleep(1.1)  # the timestamps count whole seconds
    prometheus, alertmanager = (url.removeprefix("http://") for url in metrics)
    result = _render(
        config, out, "--prometheus", prometheus, "--alertmanager", alertmanager, "--reload"
    )
    assert result.exit_code == 0, result.output
    assert _listed(result.stdout) == _on_disk(out)
    assert result.stdout.splitlines()[-2:] == [
        f"Reloaded Prometheus at {prometheus}.",
        f"Reloaded Alertmanager at {alertmanager}.",
    ]
    for url, metric in metrics.items():
        assert _last_reload(url, metric) > before[url], f"{url} was not reloaded"

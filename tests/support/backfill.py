"""A real Prometheus holding a known history: samples backfilled with
``promtool tsdb create-blocks-from openmetrics``, then served read-only (no scrape targets)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.procs import ServerProcess, free_port, require_binary, wait_for_http

Point = tuple[int, float]  # (unix seconds, value)


class History:
    """OpenMetrics lines, one series at a time, each in time order."""

    def __init__(self) -> None:
        self._lines: list[str] = []

    def series(self, name: str, labels: str, points: Iterable[Point]) -> None:
        self._lines.extend(f"{name}{{{labels}}} {value} {t}" for t, value in points)

    def lines_from(self, *texts: str) -> None:
        """Add the series of other histories' :meth:`text` (several scrape targets)."""
        for text in texts:
            self._lines.extend(line for line in text.splitlines() if line and line[0] != "#")

    def text(self) -> str:
        # OpenMetrics wants each metric family's lines together (a stable sort keeps each
        # series' time order).
        lines = sorted(self._lines, key=lambda line: line.split("{", 1)[0])
        return "\n".join([*lines, "# EOF", ""])


@contextmanager
def backfilled_prometheus(folder: Path, history: History) -> Iterator[str]:
    """Prometheus serving ``history``; its base URL."""
    samples = folder / "history.om"
    samples.write_text(history.text())
    data = folder / "data"
    promtool = require_binary("promtool")
    done = subprocess.run(
        [promtool, "tsdb", "create-blocks-from", "openmetrics", str(samples), str(data)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, f"promtool refused the history: {done.stderr}"
    (folder / "prometheus.yml").write_text("global: {}\n")
    port = free_port()
    process = ServerProcess(
        "prometheus",
        [
            require_binary("prometheus"),
            f"--config.file={folder / 'prometheus.yml'}",
            f"--storage.tsdb.path={data}",
            "--storage.tsdb.retention.time=60d",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        folder,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for_http(f"{url}/-/ready", proc=process)
        yield url
    finally:
        process.stop()

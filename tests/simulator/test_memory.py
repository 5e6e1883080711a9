"""Memory per simulated charger, measured by the probe the report's figure comes from."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# Measured about 17 KiB per connected charger (2,000 and 10,000 chargers); the bound leaves room
# for allocator noise on a small fleet while still catching a per-charger regression (e.g.
# permessage-deflate being switched back on costs far more than this).
MAX_KIB_PER_CHARGER = 40.0


@pytest.mark.slow
def test_memory_per_connected_charger_stays_small() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "simulator.memprobe", "--chargers", "600"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=True,
    )
    match = re.search(r"600 chargers .* booted .*: ([\d.]+) KiB per charger", result.stdout)
    assert match, result.stdout + result.stderr
    assert float(match.group(1)) < MAX_KIB_PER_CHARGER

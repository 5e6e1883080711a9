"""Smoke run of ``python -m bench.proxy --quick``: every figure is measured and printed as a
ratio against its baseline. The targets themselves are not asserted: timings on a shared CI
machine say nothing about the code under test."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

FIGURES = (
    *(
        rf"^ *{path} round trip at 1000 msg/s: p50 \d+\.\d\d ms, p99 \d+\.\d\d ms \(\d+ frames\)$"
        for path in ("direct", "bare relay", "proxy")
    ),
    r"^bare relay added latency per frame: p50 [+-]\d+\.\d\d ms, p99 [+-]\d+\.\d\d ms$",
    r"^proxy added latency per frame: p50 [+-]\d+\.\d\d ms, p99 [+-]\d+\.\d\d ms"
    r" \(target p99 <= 2\.0 ms\): (PASS|FAIL)$",
    r"^  proxy GC pauses over 5 ms during the latency rounds: (none|\{'gen[012]': \d+.*\})$",
    r"^proxy / bare relay throughput = \d+\.\d\dx per CPU second \(\d+\.\d\dx wall clock\)"
    r" \(target >= 0\.7x per CPU second\): (PASS|FAIL)$",
    r"^ *bare relay with 200 chargers \(2 sockets each\): \d+ MB resident",
    r"^ *proxy with 200 chargers \(2 sockets each\): \d+ MB resident",
    r"^proxy / bare relay memory = \d+\.\d\dx \(target <= 2\.5x\): (PASS|FAIL)$",
    r"^CSMS restart: all 200 chargers proxied and booted again \d+\.\d s after the CSMS"
    r" stopped \(target <= 60 s\): (PASS|FAIL)$",
    r"^proxy benchmark: [0-4] of 4 targets met$",
)


@pytest.mark.slow
def test_quick_run_prints_every_ratio() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "bench.proxy", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    missing = [f for f in FIGURES if not re.search(f, run.stdout, re.MULTILINE)]
    assert not missing, f"not printed: {missing}\n{run.stdout}"

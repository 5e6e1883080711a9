"""``python -m chargekeeper.dashboards [--out DIR]``: rewrite grafana/dashboards/*.json."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from chargekeeper.dashboards.build import DASHBOARDS_DIR, write_all


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m chargekeeper.dashboards", description=__doc__)
    parser.add_argument(
        "--out", type=Path, default=DASHBOARDS_DIR, help="folder to write (default: %(default)s)"
    )
    for path in write_all(parser.parse_args(argv).out):
        print(path)


if __name__ == "__main__":
    main()

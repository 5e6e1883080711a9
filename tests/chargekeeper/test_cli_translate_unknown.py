"""``chargekeeper translate unknown --state-dir S`` finds the codes that the receiver started by
``chargekeeper up --state-dir S`` records: the receiver is given ``up``'s own arguments."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from chargekeeper.cli import app
from chargekeeper.receiver import build_receiver
from chargekeeper.up import Ports, receiver_process
from tests.support.paths import REPO
from translator import SqliteUnknownCodeStore, UnknownCodeRecorder, default_store_path
from translator.lookup import Translator


def test_translate_unknown_reads_the_store_of_the_receiver_that_up_runs(tmp_path: Path) -> None:
    state = tmp_path / "state"
    config = REPO / "examples" / "demo"
    argv = receiver_process(config, state, Ports(), tmp_path / "token", demo=True).argv
    [receiver_state] = [Path(a.split("=", 1)[1]) for a in argv if a.startswith("--state-dir=")]
    build_receiver(config, receiver_state, local_providers=True).close()  # creates the store

    result = CliRunner().invoke(app, ["translate", "unknown", "--state-dir", str(state)])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (
        f"No unknown codes recorded in {receiver_state}/translator/unknown_codes.sqlite3.\n"
    )

    # The receiver's wiring records into default_store_path(its state dir); a sighting there
    # is what the command lists.
    store = SqliteUnknownCodeStore(default_store_path(receiver_state))
    seen = Translator.load([]).translate(vendor="Kempower", vendor_error_code="E7")
    UnknownCodeRecorder(store).record(seen, "CP-1")
    store.close()
    result = CliRunner().invoke(app, ["translate", "unknown", "--json", "--state-dir", str(state)])
    assert result.exit_code == 0, result.stderr
    assert [row["chargers"] for row in json.loads(result.stdout)] == [["CP-1"]]

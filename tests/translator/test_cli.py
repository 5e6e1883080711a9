"""``chargekeeper translate``: human and JSON output, subcommands, exit codes, --help."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chargekeeper.cli import app
from translator import SqliteUnknownCodeStore, Translator, UnknownCodeRecorder, default_store_path

runner = CliRunner()


def _run(*args: str, state: Path) -> tuple[int, str, str]:
    result = runner.invoke(app, ["translate", *args, "--state-dir", str(state)])
    return result.exit_code, result.stdout, result.stderr


def test_human_output_for_the_alfen_trace(tmp_path: Path) -> None:
    code, out, _ = _run(
        "Alfen BV",
        "210",
        "--error-code",
        "OtherError",
        "--status",
        "Faulted",
        "--info",
        "Modbus TCP/IP lost, in safe mode max 14.0A",
        state=tmp_path,
    )
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "Alfen 210 — Load-balancing link lost, safe current"
    assert lines[1] == "Fault: yes · Severity: warning"
    assert "  Likely cause: Network switch, cable or meter of the load-balancing system" in out
    assert 'Info from the charger: "Modbus TCP/IP lost, in safe mode max 14.0A"' in out


def test_french_json_has_every_field(tmp_path: Path) -> None:
    code, out, _ = _run(
        "ABB", "0x0000", "--error-code", "NoError", "--lang", "fr", "--json", state=tmp_path
    )
    assert code == 0
    data = json.loads(out)
    assert set(data) == {
        "received",
        "language",
        "vendor_set",
        "vendor_name",
        "known",
        "fault",
        "severity",
        "title",
        "meanings",
        "error_code_meaning",
        "status_meaning",
        "unknown_codes",
        "notes",
    }
    assert data["fault"] is False
    assert data["title"] == "Aucune erreur"
    assert set(data["meanings"][0]) == {
        "set_id",
        "set_name",
        "code",
        "received_as",
        "title",
        "explanation",
        "cause",
        "action",
        "severity",
        "category",
        "responsible",
        "source",
        "language",
    }
    assert data["notes"] == [
        "Signalé avec errorCode NoError : c'est une information de la borne, pas un défaut."
    ]


def test_unknown_code_exits_zero(tmp_path: Path) -> None:
    code, out, _ = _run("ABB", "0x0001", state=tmp_path)
    assert code == 0
    assert out.splitlines()[0] == "ABB 0x0001 — Unknown manufacturer code"
    assert "not in the catalog yet" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("ABB", " "), "error: CODE is empty"),
        (("ABB", "x" * 101), "error: CODE is 101 characters long; at most 100 are accepted"),
        (("ABB", "0x1\x1b[2J"), "error: CODE contains control characters"),
        (("ABB", "0x1", "--lang", "français"), "error: language 'français' is not a language tag"),
    ],
)
def test_bad_input_exits_two_with_a_precise_message(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    code, out, err = _run(*args, state=tmp_path)
    assert code == 2
    assert err.startswith(message)
    assert out == ""


def test_unknown_lists_recorded_codes(tmp_path: Path, translator: Translator) -> None:
    SqliteUnknownCodeStore(default_store_path(tmp_path)).close()  # as the receiver starts it
    code, out, _ = _run("unknown", state=tmp_path)
    assert (code, out.startswith("No unknown codes recorded")) == (0, True)
    store = SqliteUnknownCodeStore(default_store_path(tmp_path))
    recorder = UnknownCodeRecorder(store)
    seen = translator.translate(vendor="Kempower", vendor_error_code="E7", error_code="OtherError")
    recorder.record(seen, "CP-1", at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    recorder.record(seen, "CP-2", at=datetime(2026, 1, 2, 4, 4, 5, tzinfo=UTC))
    store.close()
    code, out, _ = _run("unknown", state=tmp_path)
    assert code == 0
    assert (
        "     2  Kempower                 E7                   "
        "2026-01-02 03:04:05  2026-01-02 04:04:05" in out
    )
    assert "chargers: CP-2, CP-1" in out
    code, out, _ = _run("unknown", "--json", state=tmp_path)
    [row] = json.loads(out)
    assert (row["count"], row["chargers"], row["error_code"]) == (2, ["CP-2", "CP-1"], "OtherError")


@pytest.mark.parametrize("layout", ["receiver", "stack"])
def test_unknown_finds_the_store_of_a_receiver_or_of_a_whole_stack(
    tmp_path: Path, translator: Translator, layout: str
) -> None:
    # `chargekeeper up --state-dir S` runs its receiver with --state-dir S/receiver.
    receiver_state = tmp_path if layout == "receiver" else tmp_path / "receiver"
    store = SqliteUnknownCodeStore(default_store_path(receiver_state))
    seen = translator.translate(vendor="Kempower", vendor_error_code="E7")
    UnknownCodeRecorder(store).record(seen, "CP-1")
    store.close()
    code, out, err = _run("unknown", "--json", state=tmp_path)
    assert (code, err) == (0, "")
    assert [(row["vendor"], row["code"]) for row in json.loads(out)] == [("Kempower", "E7")]


def test_unknown_without_a_store_says_where_it_looked(tmp_path: Path) -> None:
    code, out, err = _run("unknown", state=tmp_path)
    assert (code, out) == (2, "")
    assert err == (
        f"error: no unknown-code store in {tmp_path}: looked for "
        f"{tmp_path}/translator/unknown_codes.sqlite3 and "
        f"{tmp_path}/receiver/translator/unknown_codes.sqlite3. Give --state-dir the state "
        "directory of `chargekeeper up` or of `chargekeeper receiver` (the receiver creates "
        "the store when it starts).\n"
    )


def test_import_then_lookup(tmp_path: Path) -> None:
    table = tmp_path / "tritium.csv"
    table.write_text(
        "code,severity,category,title,explanation,cause,action,lang\n"
        "F12,critical,isolation,Défaut d'isolement,Isolement trop bas.,Câble abîmé,Mesurer,fr\n"
    )
    code, out, _ = _run("import", str(table), "--vendor", "Tritium Pty Ltd", state=tmp_path)
    assert code == 0, out
    assert "Imported into vendor 'Tritium' (tritium): 1 added, 0 replaced." in out
    code, out, _ = _run("Tritium", "F12", "--lang", "fr", "--json", state=tmp_path)
    assert json.loads(out)["title"] == "Défaut d'isolement"
    table.write_text("code,severity\nF13,awful\n")
    code, _, err = _run("import", str(table), "--vendor", "Tritium", state=tmp_path)
    assert code == 2
    assert f"error: {table}:1: missing column(s): category, title" in err


@pytest.mark.parametrize(
    "args",
    [
        ["translate", "--help"],
        ["translate", "code", "--help"],
        ["translate", "unknown", "--help"],
        ["translate", "import", "--help"],
    ],
)
def test_help_everywhere(args: list[str]) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 0
    assert "Usage:" in result.stdout


def test_installed_command_runs(tmp_path: Path) -> None:
    completed = subprocess.run(
        [
            sys.executable,
            "-c",
            "from chargekeeper.cli import main; main()",
            "translate",
            "ABB",
            "0x0002",
            "--json",
            "--state-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["meanings"][0]["category"] == "residual_current"


def test_options_first_and_explicit_code_command(tmp_path: Path) -> None:
    code, out, _ = _run("--json", "--lang", "fr", "Zaptec", "8192", state=tmp_path)
    assert code == 0
    assert json.loads(out)["meanings"][0]["title"] == "Différentiel déclenché (30 mA)"
    # A vendor literally named like a subcommand still has a way in.
    code, out, _ = _run("code", "unknown", "E1", state=tmp_path)
    assert code == 0
    assert "Vendor 'unknown' is not in the catalog" in out

"""``--help`` of every command and subcommand at 80 columns: every option name whole (never
``--webhook-token-…``), flags as flags (``--reload / --no-reload``, never ``<bool>``), and no
line wider than the terminal."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from chargekeeper.cli import app

COLUMNS = 80


def _commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every command under ``command`` (itself included), with the words that reach it."""
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from _commands(sub, (*path, name))


COMMANDS = dict(_commands(get_command(app)))


def test_the_walk_reaches_every_component() -> None:
    # A guard on the walk itself: if it stopped descending, the test below would pass vacuously.
    assert {
        ("up",),
        ("receiver",),
        ("exporter", "hash-password"),
        ("simulate",),
        ("translate", "unknown"),
        ("config", "render"),
        ("report", "availability"),
    } <= set(COMMANDS)


@pytest.mark.parametrize("path", sorted(COMMANDS), ids=lambda path: " ".join(path) or "root")
def test_help_at_80_columns_shows_every_option_whole(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(
        app, [*path, "--help"], terminal_width=COLUMNS, env={"COLUMNS": str(COLUMNS)}
    )
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "<bool>" not in text
    assert "…" not in text
    assert [line for line in text.splitlines() if len(line) > COLUMNS] == []
    for param in COMMANDS[path].params:
        if getattr(param, "hidden", False) or param.param_type_name != "option":
            continue
        for name in (*param.opts, *param.secondary_opts):
            assert re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text), (
                f"{' '.join(path)} --help does not show {name} whole:\n{text}"
            )
        if param.is_flag and param.secondary_opts:
            shown = f"{param.opts[-1]} / {param.secondary_opts[0]}"
            assert shown in text, f"{' '.join(path)} --help lacks '{shown}'"


def test_the_installed_command_in_an_80_column_terminal() -> None:
    # The real process reads the width from COLUMNS, as a terminal's shell sets it.
    command = "from chargekeeper.cli import main; main()"
    completed = subprocess.run(
        [sys.executable, "-c", command, "config", "render", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "COLUMNS": str(COLUMNS)},
    )
    assert completed.returncode == 0, completed.stderr
    assert "  --webhook-token-file FILE  " in completed.stdout
    assert "  --reload / --no-reload  " in completed.stdout
    assert max(len(line) for line in completed.stdout.splitlines()) <= COLUMNS

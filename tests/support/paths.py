"""Where the shared test inputs live: ``shared/`` beside the repository (see the README)."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
TRACES = SHARED / "fixtures" / "ocpp-traces"
ALERTMANAGER_PAYLOADS = SHARED / "fixtures" / "alertmanager"
REFERENCE = SHARED / "reference"

"""The receiver process's OpenAPI document is the API's contract: paths, models, and the
security scheme each endpoint names (which tokens it takes).

``data/openapi.json`` is the document the release before the restructuring served (commit
b5698aa), when the receiver and the console each had their own endpoints and bearer checks.
A change to the API must show up here as a deliberate change to that file.
"""

from __future__ import annotations

import json
from pathlib import Path

from chargekeeper.receiver import build_receiver
from tests.support.paths import REPO

CONTRACT = Path(__file__).parent / "data" / "openapi.json"


def test_the_openapi_document_is_the_contract(tmp_path: Path) -> None:
    built = build_receiver(REPO / "examples" / "demo", tmp_path, local_providers=True)
    try:
        served = built.app.openapi()
    finally:
        built.close()
    expected = json.loads(CONTRACT.read_text(encoding="utf-8"))
    assert sorted(served["paths"]) == sorted(expected["paths"])
    assert served["components"]["securitySchemes"] == expected["components"]["securitySchemes"]
    assert served == expected

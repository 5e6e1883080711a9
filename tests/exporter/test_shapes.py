"""The checks built from the OCPP schemas refuse to be built for keywords they do not check."""

from __future__ import annotations

from typing import Any

import pytest

from exporter import shapes


@pytest.mark.parametrize(
    "field",
    [
        {"type": "string", "minLength": 1},
        {"type": "integer", "minimum": 0},
        {"type": "string", "format": "uri"},
        {"type": "boolean"},
        {"enum": ["A"]},
    ],
)
def test_field_checks_refuse_keywords_they_do_not_check(field: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="no fast check"):
        shapes.field_check(field)


@pytest.mark.parametrize(
    "field",
    [{"type": "array", "maxItems": 3, "items": {}}, {"type": "array", "uniqueItems": True}],
)
def test_list_checks_refuse_keywords_they_do_not_check(field: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="no fast check"):
        shapes.list_check(field)

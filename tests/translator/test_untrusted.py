"""Whatever a charger sends, a lookup answers and keeps the text as bounded, inert data."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from translator import Translator

TRANSLATOR = Translator.load()  # module level: hypothesis reruns the test body many times
TEXT = st.one_of(st.none(), st.text(max_size=700))
VENDORS = st.one_of(TEXT, st.sampled_from(["Zaptec", "ABB", "Alfen BV", "ebee", "EVerest"]))


@settings(max_examples=300, deadline=None)
@given(vendor=VENDORS, code=TEXT, error_code=TEXT, info=TEXT, status=TEXT)
def test_any_input_gives_a_bounded_answer(
    vendor: str | None,
    code: str | None,
    error_code: str | None,
    info: str | None,
    status: str | None,
) -> None:
    try:
        result = TRANSLATOR.translate(
            vendor=vendor, vendor_error_code=code, error_code=error_code, info=info, status=status
        )
    except ValueError as exc:  # BadInputError: nothing to translate at all
        assert "nothing to translate" in str(exc)
        return
    assert result.title
    limits = {
        "vendor": 255,
        "vendor_error_code": 100,
        "error_code": 100,
        "info": 500,
        "status": 100,
    }
    for name, limit in limits.items():
        value = getattr(result.received, name)
        if value is not None:
            assert len(value) <= limit
            assert not any(
                unicodedata.category(char)[0] == "C" for char in value if char != "\ufffd"
            )
    for code_part in result.unknown_codes:
        assert len(code_part) <= 120

"""The message catalog covers every key the templates ask for, in both languages."""

from __future__ import annotations

import re

import pytest

from console.i18n import LANGUAGES, choose_language, translate
from console.web.render import TEMPLATES

# t("key") or t('key'), optionally followed by fields: the templates' only way to a string.
KEY = re.compile(r"""\bt\(\s*["']([a-z_]+)["']""")


def template_keys() -> set[str]:
    return {key for path in TEMPLATES.glob("*.html") for key in KEY.findall(path.read_text())}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_template_key_has_a_string(language: str) -> None:
    keys = template_keys()
    assert len(keys) > 40  # the pattern still finds the templates' keys
    for key in keys:
        assert translate(
            language,
            key,
            n=1,
            who="w",
            at="a",
            via="v",
            channel="c",
            state="s",
            error="e",
            first="f",
            last="l",
        )


def test_french_differs_where_it_should_and_fields_are_filled() -> None:
    assert translate("fr", "acknowledge") == "Prendre en charge"
    assert translate("en", "acked_by", who="alice", at="10:00") == "by alice at 10:00"
    assert translate("xx", "alerts") == "Alerts"  # anything not French reads English


def test_language_choice_falls_back_to_the_default() -> None:
    assert choose_language("fr", "en") == "fr"
    assert choose_language("de", "en") == "en"
    assert choose_language(None, "fr") == "fr"

"""The message catalog covers every key the templates ask for, in both languages."""

from __future__ import annotations

import re

import pytest
import yaml

from chargekeeper.config.routing import CHANNELS, FAMILIES, SEVERITIES
from chargekeeper.store import DeliveryState
from console.i18n import LANGUAGES, choose_language, translate
from console.labels import alert_text, alert_title, label_text
from console.web.render import TEMPLATES
from tests.support.paths import REPO

# t("key") or t('key'), optionally followed by fields: the templates' only way to a string.
# A literal that is only a prefix (t("sev_" ~ value)) is not a key.
KEY = re.compile(r"""\bt\(\s*["']([a-z_]+)["']\s*[,)]""")


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
            channels="c",
            names="n",
            d=1,
            h=1,
            m=1,
        )


def test_french_differs_where_it_should_and_fields_are_filled() -> None:
    assert translate("fr", "acknowledge") == "Prendre en charge"
    assert translate("en", "acked_by", who="alice", at="10:00") == "by alice at 10:00"
    assert translate("xx", "alerts") == "Alerts"  # anything not French reads English


def test_language_choice_falls_back_to_the_default() -> None:
    assert choose_language("fr", "en") == "fr"
    assert choose_language("de", "en") == "en"
    assert choose_language(None, "fr") == "fr"


def rule_alert_names() -> set[str]:
    names = set()
    for path in (REPO / "rules").glob("*.yml"):
        for group in yaml.safe_load(path.read_text())["groups"]:
            names |= {rule["alert"] for rule in group["rules"] if "alert" in rule}
    return names


def test_every_alert_and_label_value_the_pages_show_reads_in_both_languages() -> None:
    """The alert pages translate these by computed key: a rule or a value added without its
    strings would show its raw English name to a French reader."""
    names = rule_alert_names()
    assert {"ChargerDisconnected", "Watchdog"} <= names  # the rules were found
    for name in names:
        for language in LANGUAGES:
            assert alert_title(language, name) != name, (language, name)
            assert alert_text(language, name, {}), (language, name)
    values = [
        ("severity", SEVERITIES),
        ("family", FAMILIES),
        ("status", ("firing", "resolved")),
        ("state", [state.value for state in DeliveryState]),
        ("channel", CHANNELS),
    ]
    for kind, known in values:
        for value in known:
            english, french = label_text("en", kind, value), label_text("fr", kind, value)
            assert french != value, (kind, value)
            assert english, (kind, value)

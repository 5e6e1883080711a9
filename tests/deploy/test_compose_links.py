"""The links in messages sent from the compose stack lead to the console technicians reach."""

from __future__ import annotations

from alertmanager.settings import load_receiver_config
from tests.deploy.compose import Compose, load
from tests.deploy.test_compose_wiring import config_source
from tests.support.paths import REPO


def test_the_receiver_is_told_the_public_console_url(compose: Compose) -> None:
    receiver = compose.service("receiver")
    config = load_receiver_config(REPO / config_source(receiver))
    # By default the address the example receiver.yaml publishes (Twilio's callbacks use it).
    assert receiver.option("console-url") == config.public_url
    assert config.public_url is not None and config.public_url.startswith("https://")
    assert config.links.console == config.public_url


def test_the_operator_sets_the_public_url_in_one_variable() -> None:
    deployed = load(environment={"CHARGEKEEPER_PUBLIC_URL": "https://ck.operator.example"})
    assert deployed.service("receiver").option("console-url") == "https://ck.operator.example"

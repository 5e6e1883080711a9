"""receiver.yaml's links: where a message's console links lead when the file does not say."""

from __future__ import annotations

from alertmanager.settings import LinksConfig, ReceiverConfig
from chargekeeper.links import DEFAULT_CONSOLE_URL


def test_console_links_lead_to_the_links_setting_then_public_url_then_the_default() -> None:
    assert ReceiverConfig().links_().console == DEFAULT_CONSOLE_URL == "http://127.0.0.1:9095"
    public = ReceiverConfig(public_url="https://ck.example")
    assert public.links_().alert(7) == "https://ck.example/alerts/7"
    explicit = ReceiverConfig(
        public_url="https://ck.example", links=LinksConfig(console="https://console.example")
    )
    assert explicit.links_().alert(7) == "https://console.example/alerts/7"

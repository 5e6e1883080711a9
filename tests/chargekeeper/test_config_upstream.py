"""Upstream URL templates: what proxy mode accepts as a CSMS address, and a charger's URL."""

from __future__ import annotations

import pytest

from chargekeeper.config.upstream import check_upstream, expand_upstream


@pytest.mark.parametrize(
    "template",
    [
        "ws://csms.example",
        "wss://csms.example:443/ocpp/",
        "wss://csms.example/ocpp/{charge_point_id}",
        "ws://[::1]:9000/{charge_point_id}/ws?tenant=acme",
        "ws://10.0.0.5:8180/steve/websocket/CentralSystemService",
    ],
)
def test_usable_templates_are_kept_as_written(template: str) -> None:
    assert check_upstream(template) == template


@pytest.mark.parametrize(
    ("template", "problem"),
    [
        ("http://csms.example/ocpp", "must start with ws:// or wss://"),
        ("csms.example/ocpp", "must start with ws:// or wss://"),
        ("ws:///ocpp", "names no host"),
        ("ws://csms.example/{id}", "only {charge_point_id} may appear in braces"),
        ("ws://csms.example/{charge_point_id!r}", "only {charge_point_id} may appear in braces"),
        ("ws://csms.example/{charge_point_id:>9}", "only {charge_point_id} may appear in braces"),
        ("ws://csms.example/{}", "only {charge_point_id} may appear in braces"),
        ("ws://csms.example/{charge_point_id", "has an unbalanced '{' or '}'"),
        ("ws://csms.example/}", "has an unbalanced '{' or '}'"),
        ("ws://{charge_point_id}.csms.example/", "{charge_point_id} belongs in the path"),
        ("wss://user:secret@csms.example/", "must not carry user:password@"),
        ("ws://csms.example/ocpp#top", "a websocket URL has no #fragment"),
        ("ws://csms.example:99999/", "has an invalid port"),
        ("ws://[::1/", "is not a URL"),
        ("ws://csms.example/a b", "must be ASCII without spaces or control characters"),
        ("ws://csms.example/\n", "must be ASCII without spaces or control characters"),
    ],
)
def test_unusable_templates_say_why(template: str, problem: str) -> None:
    with pytest.raises(ValueError) as caught:
        check_upstream(template)
    assert str(caught.value).startswith(f"upstream {template!r}")
    assert problem in str(caught.value)


@pytest.mark.parametrize(
    ("template", "charge_point_id", "url"),
    [
        ("wss://csms.example/ocpp/{charge_point_id}", "CP-1", "wss://csms.example/ocpp/CP-1"),
        ("wss://csms.example/ocpp/", "CP-1", "wss://csms.example/ocpp/CP-1"),
        ("wss://csms.example", "CP-1", "wss://csms.example/CP-1"),
        ("ws://h/ocpp?tenant=acme", "CP-1", "ws://h/ocpp/CP-1?tenant=acme"),
        # Ids may hold characters a URL path gives meaning to: they arrive percent-encoded.
        ("ws://h/{charge_point_id}/ws", "a:b@c|d", "ws://h/a%3Ab%40c%7Cd/ws"),
        ("ws://h/x", "a=b+c*", "ws://h/x/a%3Db%2Bc%2A"),
    ],
)
def test_expand_places_the_encoded_id(template: str, charge_point_id: str, url: str) -> None:
    assert expand_upstream(template, charge_point_id) == url

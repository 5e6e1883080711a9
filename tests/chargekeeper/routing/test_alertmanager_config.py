"""The generated ``alertmanager.yml`` as a document: webhooks with the bearer token file,
grouping and timing, the Watchdog apart, the recording route, the schedules' time intervals,
the inhibitions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from chargekeeper.config.fleet import Fleet
from chargekeeper.config.routing import RoutingPolicy
from chargekeeper.routing import WebhookTarget, alertmanager_config


@pytest.fixture(scope="module")
def document(demo: RoutingPolicy, fleet: Fleet, token_file: Path) -> dict[str, Any]:
    return alertmanager_config(demo, fleet, WebhookTarget("http://10.0.0.5:9095/", token_file))


def test_webhooks_post_to_the_receiver_with_a_bearer_token_file(
    document: dict[str, Any], token_file: Path
) -> None:
    names = [receiver["name"] for receiver in document["receivers"]]
    assert names[:2] == ["deadman", "record"]
    assert "unrouted" not in names
    assert len(names) == len(set(names))
    for receiver in document["receivers"]:
        assert receiver["webhook_configs"] == [
            {
                "url": "http://10.0.0.5:9095/api/v1/alertmanager/webhook",
                "send_resolved": True,
                "http_config": {
                    "authorization": {"type": "Bearer", "credentials_file": str(token_file)}
                },
            }
        ]


def test_grouping_and_timing_follow_the_latency_defaults(document: dict[str, Any]) -> None:
    route = document["route"]
    assert route["group_by"] == ["site", "family"]
    assert (route["group_wait"], route["group_interval"], route["repeat_interval"]) == (
        "5s",
        "60s",
        "14400s",
    )
    watchdog = route["routes"][0]
    assert watchdog == {
        "receiver": "deadman",
        "matchers": ['alertname="Watchdog"'],
        "group_by": ["alertname"],
        "group_wait": "0s",
        "group_interval": "60s",
        "repeat_interval": "60s",
        "continue": False,
    }
    assert all(r["continue"] for r in route["routes"][1:])


def test_every_alert_but_the_watchdog_is_recorded_whoever_is_on_duty(
    document: dict[str, Any],
) -> None:
    route = document["route"]
    watchdog, record, *coverage = route["routes"]
    assert watchdog["receiver"] == "deadman"
    # No matchers, no time intervals: it takes every alert, at any hour, and goes on to the
    # coverage routes. Faster than the policy's timing: nobody reads it as a message.
    assert record == {
        "receiver": "record",
        "group_wait": "1s",
        "group_interval": "10s",
        "continue": True,
    }
    assert coverage and all(r["receiver"] not in ("record", "deadman") for r in coverage)
    assert any("active_time_intervals" in r for r in coverage)
    # Every alert matches the recording route, so the root receiver is never a fallback.
    assert route["receiver"] == "record"
    [hook] = next(r for r in document["receivers"] if r["name"] == "record")["webhook_configs"]
    assert hook["send_resolved"] is True


def test_the_recording_route_is_never_slower_than_the_policy(
    fleet: Fleet, token_file: Path
) -> None:
    routing = RoutingPolicy.model_validate(
        {"timing": {"group_wait": "0s", "group_interval": "5s", "repeat_interval": "1h"}}
    )
    doc = alertmanager_config(routing, fleet, WebhookTarget("http://127.0.0.1:9095", token_file))
    record = doc["route"]["routes"][1]
    assert (record["receiver"], record["group_wait"], record["group_interval"]) == (
        "record",
        "0s",
        "5s",
    )
    # A policy without coverage still records every alert.
    assert [r["receiver"] for r in doc["route"]["routes"]] == ["deadman", "record"]


def test_a_heartbeat_url_takes_the_watchdog_away_from_the_receiver(
    fleet: Fleet, token_file: Path
) -> None:
    routing = RoutingPolicy.model_validate(
        {"watchdog": {"url": "https://hc.example/ping/abc", "repeat_interval": "30s"}}
    )
    doc = alertmanager_config(routing, fleet, WebhookTarget("http://127.0.0.1:9095", token_file))
    [deadman] = [r for r in doc["receivers"] if r["name"] == "deadman"]
    assert deadman["webhook_configs"] == [
        {"url": "https://hc.example/ping/abc", "send_resolved": False}
    ]
    assert doc["route"]["routes"][0]["repeat_interval"] == "30s"
    assert "time_intervals" not in doc


def test_time_intervals_carry_the_sites_zone_and_split_the_night(
    document: dict[str, Any],
) -> None:
    intervals = {i["name"]: i["time_intervals"] for i in document["time_intervals"]}
    assert set(intervals) == {
        f"{schedule}@{zone}"
        for schedule in ("weekday", "weekend", "night", "holidays")
        for zone in ("Europe/Paris", "Europe/Brussels", "Europe/Zurich")
    }
    assert intervals["weekday@Europe/Zurich"] == [
        {
            "times": [{"start_time": "08:00", "end_time": "19:00"}],
            "weekdays": ["monday:friday"],
            "location": "Europe/Zurich",
        }
    ]
    # Alertmanager counts weekdays from Sunday: the weekend is two single days, not a range.
    weekend = intervals["weekend@Europe/Paris"]
    assert weekend[0] == {
        "times": [{"start_time": "08:00", "end_time": "19:00"}],
        "weekdays": ["sunday", "saturday"],
        "location": "Europe/Paris",
    }
    # Holidays are included at the schedule's times, on their date.
    assert weekend[1:] == [
        {
            "times": [{"start_time": "08:00", "end_time": "19:00"}],
            "days_of_month": ["25"],
            "months": ["12"],
            "years": ["2026"],
            "location": "Europe/Paris",
        },
        {
            "times": [{"start_time": "08:00", "end_time": "19:00"}],
            "days_of_month": ["1"],
            "months": ["1"],
            "years": ["2027"],
            "location": "Europe/Paris",
        },
    ]
    assert intervals["night@Europe/Paris"] == [
        {"times": [{"start_time": "19:00", "end_time": "24:00"}], "location": "Europe/Paris"},
        {"times": [{"start_time": "00:00", "end_time": "08:00"}], "location": "Europe/Paris"},
    ]
    office = [r for r in document["route"]["routes"] if r["receiver"] == "team:rhone:both"]
    assert office == [
        {
            "receiver": "team:rhone:both",
            "matchers": [
                'site=~"lyon-part-dieu|paris-bercy|a7-valence|a9-nimes"',
                'severity="critical"',
            ],
            "active_time_intervals": ["weekday@Europe/Paris"],
            "mute_time_intervals": ["holidays@Europe/Paris"],
            "continue": True,
        }
    ]


def test_a_weeknight_shift_continues_into_the_next_weekday(fleet: Fleet, token_file: Path) -> None:
    routing = RoutingPolicy.model_validate(
        {
            "technicians": [{"id": "a", "name": "A", "email": "a@example.com"}],
            "schedules": [
                {
                    "id": "weeknights",
                    "weekdays": ["monday:friday"],
                    "times": [{"start": "22:00", "end": "06:00"}],
                }
            ],
            "coverage": [
                {
                    "id": "c",
                    "sites": ["brussels-hq"],
                    "technicians": ["a"],
                    "schedules": ["weeknights"],
                    "subscriptions": [{"channels": "email"}],
                }
            ],
        }
    )
    doc = alertmanager_config(routing, fleet, WebhookTarget("http://127.0.0.1:9095", token_file))
    assert doc["time_intervals"] == [
        {
            "name": "weeknights@Europe/Brussels",
            "time_intervals": [
                {
                    "times": [{"start_time": "22:00", "end_time": "24:00"}],
                    "weekdays": ["monday:friday"],
                    "location": "Europe/Brussels",
                },
                {
                    "times": [{"start_time": "00:00", "end_time": "06:00"}],
                    "weekdays": ["tuesday:saturday"],
                    "location": "Europe/Brussels",
                },
            ],
        }
    ]


def test_the_inhibitions_the_rules_ask_for(document: dict[str, Any]) -> None:
    rules = document["inhibit_rules"]
    assert rules[0] == {
        "source_matchers": ['alertname="SiteOffline"'],
        "target_matchers": ['alertname=~"ChargerDisconnected|ChargerFlapping"'],
        "equal": ["site"],
    }
    assert rules[1]["source_matchers"] == ['severity="critical"']
    assert rules[1]["target_matchers"] == ['severity="warning"']
    assert {"alertname", "charge_point_id", "connector_id", "site"} <= set(rules[1]["equal"])
    assert rules[2] == {
        "source_matchers": ['alertname="ChargerVendorErrorCode"'],
        "target_matchers": ['alertname="ChargerFaulted"'],
        "equal": ["charge_point_id", "connector_id", "vendor_error_code"],
    }
    assert rules[3] == {
        "source_matchers": ['alertname="ChargekeeperUpstreamDown"'],
        "target_matchers": ['alertname="ChargerDisconnected"'],
        "equal": ["upstream"],
    }
    assert len(rules) == 4

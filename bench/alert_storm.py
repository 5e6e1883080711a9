"""Alert storm: every charger of a 2,000-charger fleet disconnects at once (issue 5).

    python -m bench.alert_storm [--chargers 2000] [--sites 50] [--timeout 150]

A real ``prometheus-alertmanager``, configured by ``chargekeeper config render`` from a
generated fleet and routing policy, posts to a real ``chargekeeper receiver --local-providers``.
This process stands in for Prometheus: it posts one critical ``ChargerDisconnected`` per
charger to Alertmanager's ``/api/v2/alerts`` in one request, stamped with the time of the post
as Prometheus stamps alerts that fire in one rule evaluation. Alertmanager's timing is
routing.yaml's default (group_wait 5 s, group_interval 60 s).

The receiver is configured as an operator of 50 sites would configure it (receiver.yaml, see
``bench._storm_config``): SMS through a Twilio Messaging Service at 10 segments/s, Twilio's
documented rate per sender towards non-US/Canada numbers, instead of the receiver's default of
1 segment/s (a US long code). Everything else is the shipped default. Nothing is counted that a
provider did not accept: the local SMTP server writes every mail it accepts to a file (timed by
its mtime) and the local Twilio-wire-format SMS endpoint appends every accepted message to a
JSON-lines file (timed when this process first sees it, every 0.1 s).

Targets: exactly one notification per (site group, technician, channel) that the routing
policy names, each handed to the local SMTP server or SMS endpoint within 60 s of
Alertmanager's first webhook. Also reported: the receiver's webhook answer time (p50/p99 from
its ``chargekeeper_receiver_webhook_duration_seconds`` histogram: wait for the group commit,
store and answer, server side), Alertmanager's own ``alertmanager_notification_latency_seconds``
for the webhook integration (client side, coarse buckets), and how fairly the sites were
served (each site's first and last hand-off).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from statistics import median

import httpx
from prometheus_client.parser import text_string_to_metric_families

from bench._servers import CHARGEKEEPER, running
from bench._storm_config import (
    CHARGER_SITE,
    SMS_SEGMENTS_PER_SECOND,
    Notification,
    StormConfig,
    write_storm_config,
)
from chargekeeper.config.routing import Timing
from chargekeeper.net import free_port
from chargekeeper.render.stack import AlertmanagerSide, load_sources, render
from chargekeeper.routing import WebhookTarget

TARGET_SECONDS = 60.0
TOKEN = "storm-bench-token"  # a throwaway token for this run's receiver
# After the expected count is reached, wait this long for duplicates before stopping.
QUIET_SECONDS = 5.0
POLL_SECONDS = 0.1


@dataclass
class Handoff:
    """One message as the local provider kept it: who, where, on which channel, and when."""

    notification: Notification | None
    at: float  # wall-clock seconds
    what: str


@dataclass
class ProviderWatch:
    """Polls the state directory for what the local SMTP server and SMS endpoint received.

    Mail files carry their write time (mtime). SMS lines only carry a whole-second
    ``date_created``, so an SMS is timed when this poll first sees it (at most
    ``POLL_SECONDS`` late).
    """

    state_dir: Path
    storm: StormConfig
    seen_mail: set[Path] = field(default_factory=set)
    sms_lines: int = 0
    handoffs: list[Handoff] = field(default_factory=list)
    sms_senders: Counter[str] = field(default_factory=Counter)
    sms_segments: list[int] = field(default_factory=list)

    def poll(self) -> None:
        for path in sorted((self.state_dir / "mail").glob("*.eml")):
            if path not in self.seen_mail:
                self.seen_mail.add(path)
                mail = message_from_bytes(path.read_bytes(), policy=policy.default)
                assert isinstance(mail, EmailMessage)
                address = mail["To"].addresses[0].addr_spec
                body = mail.get_body(("plain", "html"))
                text = body.get_content() if body is not None else ""
                self.handoffs.append(
                    Handoff(
                        self._notification(address, text, "email"), path.stat().st_mtime, path.name
                    )
                )
        sms_file = self.state_dir / "sms" / "messages.jsonl"
        if not sms_file.exists():
            return
        now = time.time()
        lines = sms_file.read_text(encoding="utf-8").splitlines()
        complete = lines if sms_file.read_bytes().endswith(b"\n") else lines[:-1]
        for line in complete[self.sms_lines :]:
            message = json.loads(line)
            self.sms_senders[message["messaging_service_sid"] or message["from"]] += 1
            self.sms_segments.append(int(message["num_segments"]))
            self.handoffs.append(
                Handoff(self._notification(message["to"], message["body"], "sms"), now, line[:80])
            )
        self.sms_lines = len(complete)

    def _notification(self, address: str, text: str, channel: str) -> Notification | None:
        technician = self.storm.technician_by_address.get(address)
        prefixes = {match.group(1) for match in CHARGER_SITE.finditer(text)}
        sites = {self.storm.site_of_prefix[p] for p in prefixes if p in self.storm.site_of_prefix}
        if technician is None or len(sites) != 1:
            return None  # reported as unexpected
        return (sites.pop(), technician, channel)


def histogram_quantile(q: float, buckets: Iterable[tuple[float, float]]) -> float:
    """Prometheus' ``histogram_quantile`` over cumulative (upper bound, count) buckets."""
    ordered = sorted(buckets)
    total = ordered[-1][1]
    if total == 0:
        return math.nan
    rank = q * total
    lower_bound: float = 0.0
    lower_count: float = 0.0
    for bound, count in ordered:
        if count >= rank:
            if math.isinf(bound):
                return lower_bound
            return lower_bound + (bound - lower_bound) * (rank - lower_count) / (
                count - lower_count
            )
        lower_bound, lower_count = bound, count
    return math.nan


def histogram_buckets(metrics_text: str, name: str, **labels: str) -> list[tuple[float, float]]:
    """The cumulative buckets of one histogram series, summed over unspecified labels."""
    sums: dict[float, float] = {}
    for family in text_string_to_metric_families(metrics_text):
        for sample in family.samples:
            if sample.name != f"{name}_bucket":
                continue
            if any(sample.labels.get(k) != v for k, v in labels.items()):
                continue
            bound = float(sample.labels["le"])
            sums[bound] = sums.get(bound, 0.0) + sample.value
    return list(sums.items())


def _quantile_text(q: float, buckets: list[tuple[float, float]]) -> str:
    """A quantile in ms, or "> X ms" when it lies beyond the histogram's last finite bucket."""
    value = histogram_quantile(q, buckets)
    finite = [bound for bound, _ in buckets if not math.isinf(bound)]
    if finite and value >= max(finite):
        return f"> {1000 * max(finite):.0f} ms"
    return f"{1000 * value:.1f} ms"


def _bucket_text(buckets: list[tuple[float, float]]) -> str:
    return ", ".join(f"le {bound:g}: {count:.0f}" for bound, count in sorted(buckets))


def metric_sum(metrics_text: str, name: str, **labels: str) -> float:
    return sum(
        sample.value
        for family in text_string_to_metric_families(metrics_text)
        for sample in family.samples
        if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items())
    )


def render_alertmanager(storm: StormConfig, out_dir: Path, receiver_url: str, token: Path) -> Path:
    sources = load_sources(storm.config_dir)
    side = AlertmanagerSide(WebhookTarget(receiver_url, token))
    (written,) = render(sources, out_dir, [side])
    return written


def first_webhook_at(receiver_url: str, sites: Iterable[str], token: str) -> tuple[float, int]:
    """(wall time of the first webhook that carried an alert, alerts the receiver stored)."""
    firsts: list[float] = []
    for site in sites:
        response = httpx.get(
            f"{receiver_url}/api/v1/alerts",
            params={"site": site, "limit": 1000},
            headers={"Authorization": f"Bearer {token}"},  # the webhook's token reads too
            timeout=10,
        )
        response.raise_for_status()
        firsts += [
            datetime.fromisoformat(a["first_received_at"]).timestamp() for a in response.json()
        ]
    return (min(firsts) if firsts else math.nan), len(firsts)


def receiver_cpu_seconds(receiver_url: str) -> float:
    metrics = httpx.get(f"{receiver_url}/metrics", timeout=10).text
    return metric_sum(metrics, "process_cpu_seconds_total")


def wait_for_handoffs(watch: ProviderWatch, expected: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    last_count, last_change = 0, time.monotonic()
    while time.monotonic() < deadline:
        watch.poll()
        if len(watch.handoffs) != last_count:
            last_count, last_change = len(watch.handoffs), time.monotonic()
        if last_count >= expected and time.monotonic() - last_change >= QUIET_SECONDS:
            return
        time.sleep(POLL_SECONDS)
    watch.poll()


def report_webhooks(receiver_metrics: str, am_metrics: str) -> None:
    """Webhooks sent and how long the receiver took to answer them."""
    name = "chargekeeper_receiver_webhook_duration_seconds"
    answer_buckets = histogram_buckets(receiver_metrics, name)
    answered = metric_sum(receiver_metrics, f"{name}_count")
    answer_mean = metric_sum(receiver_metrics, f"{name}_sum") / answered if answered else math.nan
    am_buckets = histogram_buckets(
        am_metrics, "alertmanager_notification_latency_seconds", integration="webhook"
    )
    am_sent = metric_sum(am_metrics, "alertmanager_notifications_total", integration="webhook")
    am_failed = metric_sum(
        am_metrics, "alertmanager_notifications_failed_total", integration="webhook"
    )
    print(f"webhooks sent by Alertmanager: {am_sent:.0f} ({am_failed:.0f} failed)")
    print(
        f"receiver webhook answer time ({name}: store + answer, timed inside the handler):"
        f" p50 {_quantile_text(0.5, answer_buckets)}, p99 {_quantile_text(0.99, answer_buckets)},"
        f" mean {1000 * answer_mean:.0f} ms over {answered:.0f} webhooks;"
        f" cumulative counts {_bucket_text(answer_buckets)}"
    )
    print(
        "Alertmanager's alertmanager_notification_latency_seconds{integration=webhook}"
        " (client side, buckets 1/5/10/15/20 s):"
        f" p50 {_quantile_text(0.5, am_buckets)}, p99 {_quantile_text(0.99, am_buckets)};"
        f" cumulative counts {_bucket_text(am_buckets)}"
    )


def report_notifications(storm: StormConfig, watch: ProviderWatch, first_webhook: float) -> bool:
    """Exactly-once and hand-off time; True when both targets are met."""
    sent = Counter(h.notification for h in watch.handoffs if h.notification is not None)
    unexpected = [h.what for h in watch.handoffs if h.notification not in storm.expected]
    duplicated = {n: c for n, c in sent.items() if c > 1}
    missing = sorted(storm.expected - set(sent))
    expected_by_channel = Counter(n[2] for n in storm.expected)
    sent_by_channel = Counter(n[2] for n in sent.elements())
    print(
        f"notifications expected: {len(storm.expected)}"
        f" (email {expected_by_channel['email']}, sms {expected_by_channel['sms']}),"
        f" handed to the providers: {len(watch.handoffs)}"
        f" (email {sent_by_channel['email']}, sms {sent_by_channel['sms']})"
    )
    print(f"duplicated: {len(duplicated)}, missing: {len(missing)}, unexpected: {len(unexpected)}")
    for notification, count in sorted(duplicated.items()):
        print(f"  duplicated x{count}: {notification}")
    for notification in missing:
        print(f"  missing: {notification}")
    for what in unexpected:
        print(f"  unexpected: {what}")
    for channel in ("email", "sms"):
        times = [h.at for h in watch.handoffs if h.notification and h.notification[2] == channel]
        if times:
            print(
                f"last {channel} hand-off: {max(times) - first_webhook:.1f} s after first webhook"
            )
    senders = ", ".join(f"{sender} x{n}" for sender, n in watch.sms_senders.items())
    floor = sum(watch.sms_segments[:-1]) / SMS_SEGMENTS_PER_SECOND
    print(
        f"SMS sender (receiver.yaml): {senders or 'none'}, at {SMS_SEGMENTS_PER_SECOND:g}"
        f" segments/s; {sum(watch.sms_segments)} segments in {len(watch.sms_segments)} SMS"
        f" take at least {floor:.1f} s"
    )
    report_fairness(watch, first_webhook)
    last = max((h.at for h in watch.handoffs), default=math.nan) - first_webhook
    print(
        f"last hand-off: {last:.1f} s after the first webhook"
        f" (target <= {TARGET_SECONDS:.0f} s): {last / TARGET_SECONDS:.2f}x the target"
    )
    return not (duplicated or missing or unexpected) and last <= TARGET_SECONDS


def report_fairness(watch: ProviderWatch, first_webhook: float) -> None:
    """Each site's first and last hand-off: interleaved sites all start early."""
    times: dict[str, list[float]] = {}
    for handoff in watch.handoffs:
        if handoff.notification is not None:
            times.setdefault(handoff.notification[0], []).append(handoff.at - first_webhook)
    if not times:
        return
    firsts = [min(t) for t in times.values()]
    lasts = [max(t) for t in times.values()]
    print(
        f"per site ({len(times)} sites), first hand-off: median {median(firsts):.1f} s,"
        f" latest {max(firsts):.1f} s; last hand-off: median {median(lasts):.1f} s,"
        f" latest {max(lasts):.1f} s"
    )


def alertmanager_argv(binary: str, config: Path, data: Path, port: int) -> list[str]:
    return [
        binary,
        f"--config.file={config}",
        f"--storage.path={data}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--cluster.listen-address=",  # one instance: no gossip port to collide on
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chargers", type=int, default=2000)
    parser.add_argument("--sites", type=int, default=50)
    parser.add_argument(
        "--timeout", type=float, default=150.0, help="Seconds to wait for every hand-off."
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="alert-storm-") as tmp:
        work = Path(tmp)
        storm = write_storm_config(work / "config", args.sites, args.chargers)
        token = work / "receiver-token"
        token.write_text(f"{TOKEN}\n")
        receiver_port, am_port = free_port(), free_port()
        receiver_url = f"http://127.0.0.1:{receiver_port}"
        am_config = render_alertmanager(storm, work / "rendered", receiver_url, token)
        print(f"rendered {am_config.relative_to(work)}; timing defaults: {Timing()!r}")
        state = work / "state"
        receiver_argv = [
            CHARGEKEEPER, "receiver", "--listen", f"127.0.0.1:{receiver_port}",
            "--config", str(storm.config_dir), "--state-dir", str(state),
            "--local-providers", "--token-file", str(token),
        ]  # fmt: skip
        am_argv = alertmanager_argv("prometheus-alertmanager", am_config, work / "am", am_port)
        with running(receiver_argv, receiver_port), running(am_argv, am_port):
            am_url = f"http://127.0.0.1:{am_port}"
            watch = ProviderWatch(state, storm)
            cpu_before = receiver_cpu_seconds(receiver_url)
            load_before = os.getloadavg()[0]
            posted_at = time.time()
            alerts = storm.firing_at(datetime.fromtimestamp(posted_at, UTC))
            httpx.post(f"{am_url}/api/v2/alerts", json=alerts, timeout=30).raise_for_status()
            print(f"posted {len(alerts)} alerts in {time.time() - posted_at:.2f} s")
            wait_for_handoffs(watch, len(storm.expected), args.timeout)
            first_webhook, stored = first_webhook_at(
                receiver_url, storm.site_of_prefix.values(), TOKEN
            )
            receiver_metrics = httpx.get(f"{receiver_url}/metrics", timeout=10).text
            am_metrics = httpx.get(f"{am_url}/metrics", timeout=10).text
            cpu = metric_sum(receiver_metrics, "process_cpu_seconds_total") - cpu_before
        print(
            f"load average (1 min, {os.cpu_count()} CPUs) {load_before:.1f} at the post,"
            f" {os.getloadavg()[0]:.1f} at the end; receiver CPU during the storm {cpu:.1f} s"
        )
        print(f"alerts posted: {len(storm.alerts)}, stored by the receiver: {stored}")
        print(f"first webhook: {first_webhook - posted_at:.1f} s after the post (group_wait)")
        report_webhooks(receiver_metrics, am_metrics)
        met = report_notifications(storm, watch, first_webhook) and stored == len(storm.alerts)
        print("targets met" if met else "TARGETS NOT MET")
        sys.exit(0 if met else 1)


if __name__ == "__main__":
    main()

"""Stack health (one module over 400 lines: one dashboard's panels, each with its query).

Whether Chargekeeper itself works, for the SREs who run it, in seven rows (scrape targets,
alerting, collector traffic, collector resources, the CSMS in proxy mode (``csms.py``),
InfluxDB writes, receiver); like every other
dashboard it is one module, whose length is its panel list.

Reads the components' own metrics, never a per-charger series: Prometheus's scrape health
(``up``, ``scrape_*``) and its rule evaluation and alert sending (``prometheus_*``, job
``prometheus``); the collector's self-metrics (``chargekeeper_exporter_*``,
exporter/selfmetrics.py) and process metrics; the receiver's (``chargekeeper_notifications_*``,
``chargekeeper_receiver_*``, alertmanager/metrics.py); the meta alerts of rules/meta.yml.
Collector traffic is summed over the collectors chosen in ``$collector``; resources are per
collector. Label values are bounded by the code that exports them (actions and vendors are
capped by exporter.selfmetrics.BoundedLabel); vendor error codes are left out here.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import yaml

from chargekeeper.dashboards import csms, variables
from chargekeeper.dashboards.grafana import (
    JSON,
    WITHOUT_TIME,
    dashboard,
    label_variable,
    panel,
    prometheus,
    row,
    value_mappings,
)
from chargekeeper.render.prometheus import (
    ALERTMANAGER_JOB,
    DEFAULT_RULES_DIR,
    EXPORTER_JOB,
    PROMETHEUS_JOB,
    RECEIVER_JOB,
)

UID = "chargekeeper-stack"

STACK_JOBS = f'job=~"{EXPORTER_JOB}|{RECEIVER_JOB}|{PROMETHEUS_JOB}|{ALERTMANAGER_JOB}"'
COLLECTORS = f'job="{EXPORTER_JOB}", instance=~"$collector"'
RECEIVER = f'job="{RECEIVER_JOB}"'
PROMETHEUS = f'job="{PROMETHEUS_JOB}"'
ALERTMANAGER_WEBHOOKS = f'job="{ALERTMANAGER_JOB}", integration="webhook"'
EXPORTER = "chargekeeper_exporter_"
SENT = "chargekeeper_notifications_sent_total"
FAILED = "chargekeeper_notifications_failed_total"

LEGEND_TABLE: JSON = {"legend": {"displayMode": "table", "placement": "right"}}


def collector_variable() -> JSON:
    """The collectors Prometheus scrapes (their ``instance``), All by default."""
    variable = label_variable("instance", "Collector", "up", f'job="{EXPORTER_JOB}"')
    return variable | {"name": "collector"}


@cache
def meta_alert_names() -> tuple[str, ...]:
    """The alerts of rules/meta.yml (the stack watching itself), read from the rule file so
    that a new meta alert shows here at the next regeneration."""
    document = yaml.safe_load((DEFAULT_RULES_DIR / "meta.yml").read_text(encoding="utf-8"))
    names = {
        rule["alert"] for group in document["groups"] for rule in group["rules"] if "alert" in rule
    }
    return tuple(sorted(names))


def per_second(metric: str, selector: str, by: str = "") -> str:
    """The per-second rate of ``metric`` summed (``by`` the given labels, if any)."""
    grouping = f" by ({by}) " if by else ""
    return f"sum{grouping}(rate({metric}{{{selector}}}[$__rate_interval]))"


def quantile(q: float, histogram: str, selector: str, by: str = "") -> str:
    """``histogram_quantile`` over the buckets summed across instances (``le`` kept)."""
    labels = f"le, {by}" if by else "le"
    return f"histogram_quantile({q}, {per_second(histogram + '_bucket', selector, labels)})"


def _rule_group(expr: str) -> str:
    """``expr`` with a short ``group`` label: rule_group is "<file path>;<group name>"."""
    return f'label_replace(\n  {expr},\n  "group", "$1", "rule_group", ".*;(.*)"\n)'


def _graph(
    title: str,
    targets: list[JSON],
    *,
    unit: str,
    width: int = 12,
    description: str = "",
    **more: Any,
) -> JSON:
    """A time series panel with its legend as a table on the right (values sortable)."""
    return panel(
        "timeseries",
        title,
        targets,
        unit=unit,
        width=width,
        description=description,
        options=LEGEND_TABLE,
        **more,
    )


def _collector_rate_by(title: str, counter: str, label: str, description: str) -> JSON:
    """One collector counter's rate by ``label``, all selected collectors together."""
    return _graph(
        title,
        [prometheus(per_second(EXPORTER + counter, COLLECTORS, label), "{{" + label + "}}")],
        unit="cps",
        width=8,
        description=description,
    )


def _process(selector: str, whose: str, width: int, cpu_description: str) -> list[JSON]:
    """CPU (share of one core) and resident memory of each process of ``selector``."""
    return [
        _graph(
            f"{whose} CPU",
            [
                prometheus(
                    f"rate(process_cpu_seconds_total{{{selector}}}[$__rate_interval])",
                    "{{instance}}",
                )
            ],
            unit="percentunit",
            width=width,
            description=cpu_description,
        ),
        _graph(
            f"{whose} resident memory",
            [prometheus(f"process_resident_memory_bytes{{{selector}}}", "{{instance}}")],
            unit="bytes",
            width=width,
        ),
    ]


def scrape_panels() -> list[JSON]:
    by_target = "{{job}} {{instance}}"
    return [
        row("Scrape targets"),
        panel(
            "stat",
            "Targets down by job",
            [prometheus(f"sum by (job) (1 - up{{{STACK_JOBS}}})", "{{job}}", instant=True)],
            unit="none",
            width=6,
            description="Scrape targets of the Chargekeeper jobs that did not answer the last "
            "scrape. The receiver's job exists only when config render was given --receiver.",
            thresholds=((None, "green"), (1, "red")),
        ),
        _graph(
            "Scrape targets up",
            [prometheus(f"up{{{STACK_JOBS}}}", by_target)],
            unit="none",
            width=9,
            mappings=value_mappings({"0": "down", "1": "up"}, {"0": "red", "1": "green"}),
        ),
        _graph(
            "Scrape duration",
            [prometheus(f"scrape_duration_seconds{{{STACK_JOBS}}}", by_target)],
            unit="s",
            width=9,
            description="A scrape longer than the scrape timeout (the scrape interval, 5 s as "
            "shipped) fails and marks the target down. The collector's grows with the fleet.",
        ),
        _graph(
            "Samples per scrape",
            [prometheus(f"scrape_samples_scraped{{{STACK_JOBS}}}", by_target)],
            unit="none",
            description="Series each target exposes: the collector's follows the chargers and "
            "connectors it serves.",
        ),
        _graph(
            "Prometheus head series",
            [prometheus(f"prometheus_tsdb_head_series{{{PROMETHEUS}}}", "{{instance}}")],
            unit="none",
            description="Series in Prometheus's in-memory head block: a jump after a rule or "
            "collector change means new label combinations.",
        ),
    ]


def alerting_panels() -> list[JSON]:
    meta = "|".join(name for name in meta_alert_names() if name != "Watchdog")
    return [
        row("Alerting"),
        panel(
            "stat",
            "Watchdog",
            [
                prometheus(
                    'count(ALERTS{alertname="Watchdog", alertstate="firing"})',
                    "Watchdog",
                    instant=True,
                )
            ],
            unit="none",
            width=6,
            description="Always firing (rules/meta.yml): if it is not, Prometheus is not "
            "evaluating the meta rules and no alert can fire.",
            mappings=value_mappings({"1": "firing"}, {"1": "green"}),
            no_value="NOT FIRING",
        ),
        panel(
            "stat",
            "Alertmanagers discovered",
            [
                prometheus(
                    f"prometheus_notifications_alertmanagers_discovered{{{PROMETHEUS}}}",
                    "{{instance}}",
                    instant=True,
                )
            ],
            unit="none",
            width=6,
            description="Alertmanagers each Prometheus sends alerts to; none means alerts "
            "reach nobody.",
            thresholds=((None, "red"), (1, "green")),
        ),
        panel(
            "table",
            "Stack alerts firing or pending",
            [prometheus(f'sum without (family) (ALERTS{{alertname=~"{meta}"}})', table=True)],
            unit="none",
            width=12,
            description="The meta alerts of rules/meta.yml other than Watchdog, one row per "
            "alert with its labels (the collector's instance, the channel, the site and group "
            "without policy).",
            extra=WITHOUT_TIME,
        ),
        _graph(
            "Alerts sent to Alertmanager",
            [
                prometheus(
                    per_second("prometheus_notifications_sent_total", PROMETHEUS, "alertmanager"),
                    "sent to {{alertmanager}}",
                ),
                prometheus(
                    per_second("prometheus_notifications_errors_total", PROMETHEUS, "alertmanager"),
                    "errors to {{alertmanager}}",
                ),
                prometheus(
                    per_second("prometheus_notifications_dropped_total", PROMETHEUS), "dropped"
                ),
            ],
            unit="cps",
            description="Prometheus's side of alert delivery (Alertmanager itself is not "
            "scraped). Watchdog keeps the sent rate above zero.",
        ),
        _graph(
            "Rule evaluation failures and missed iterations",
            [
                prometheus(
                    _rule_group(
                        per_second(
                            "prometheus_rule_evaluation_failures_total", PROMETHEUS, "rule_group"
                        )
                    ),
                    "failures {{group}}",
                ),
                prometheus(
                    _rule_group(
                        per_second(
                            "prometheus_rule_group_iterations_missed_total",
                            PROMETHEUS,
                            "rule_group",
                        )
                    ),
                    "missed {{group}}",
                ),
            ],
            unit="cps",
            description="A failing rule (a bad join after an edit: many-to-many matching) "
            "writes nothing and alerts on nothing; a missed iteration is a group slower than "
            "its interval.",
        ),
        _graph(
            "Rule group evaluation time",
            [
                prometheus(
                    _rule_group(f"prometheus_rule_group_last_duration_seconds{{{PROMETHEUS}}}"),
                    "{{group}}",
                )
            ],
            unit="s",
            width=24,
            description="Time each group's last evaluation took; it must stay well below the "
            "evaluation interval (5 s as shipped), since detection latency adds it.",
        ),
    ]


def collector_traffic_panels() -> list[JSON]:
    return [
        row("Collector traffic and errors"),
        _graph(
            "Connections accepted, refused and ended",
            [
                prometheus(per_second(f"{EXPORTER}connections_total", COLLECTORS), "accepted"),
                prometheus(
                    per_second(f"{EXPORTER}connections_refused_total", COLLECTORS, "reason"),
                    "refused: {{reason}}",
                ),
                prometheus(
                    per_second(f"{EXPORTER}disconnections_total", COLLECTORS, "reason"),
                    "ended: {{reason}}",
                ),
            ],
            unit="cps",
            description="WebSocket connections, all selected collectors together. Refusals "
            "happen before the upgrade (unknown charger, bad credentials, no OCPP subprotocol).",
        ),
        _graph(
            "Messages by action",
            [
                prometheus(
                    per_second(f"{EXPORTER}messages_total", COLLECTORS, "action"), "{{action}}"
                )
            ],
            unit="cps",
            description="CALLs received from chargers, all selected collectors together.",
        ),
        _collector_rate_by(
            "CALLERRORs sent by code",
            "protocol_errors_total",
            "error_code",
            "Frames the collector could not understand and answered with a CALLERROR: a "
            "charger firmware or a proxy misbehaving.",
        ),
        _collector_rate_by(
            "Non-compliant frames by action",
            "noncompliant_frames_total",
            "action",
            "Frames that broke the OCPP schema but were understood and recorded.",
        ),
        _collector_rate_by(
            "Vendor error reports by vendor",
            "vendor_error_reports_total",
            "vendor",
            "Status reports carrying a manufacturer error code, per vendor (the codes "
            "themselves are on the Fleet overview).",
        ),
    ]


def collector_resource_panels() -> list[JSON]:
    pause = f"{EXPORTER}gc_pause_seconds"
    return [
        row("Collector resources"),
        *_process(
            COLLECTORS,
            "Collector",
            8,
            "Share of one core: the collector runs one event loop, so 100 % is its ceiling.",
        ),
        _graph(
            "Open file descriptors",
            [
                prometheus(f"process_open_fds{{{COLLECTORS}}}", "{{instance}} open"),
                prometheus(
                    f"process_open_fds{{{COLLECTORS}}} / process_max_fds{{{COLLECTORS}}}",
                    "{{instance}} share of limit",
                ),
            ],
            unit="none",
            width=8,
            description="One per connected charger plus a few; at the limit new chargers "
            "are refused by the kernel.",
            overrides=[
                {
                    "matcher": {"id": "byRegexp", "options": ".*share of limit"},
                    "properties": [
                        {"id": "unit", "value": "percentunit"},
                        {"id": "custom.axisPlacement", "value": "right"},
                    ],
                }
            ],
        ),
        _graph(
            "GC pause by generation",
            [
                prometheus(
                    quantile(0.5, pause, COLLECTORS, "generation"), "p50 gen {{generation}}"
                ),
                prometheus(
                    quantile(0.99, pause, COLLECTORS, "generation"), "p99 gen {{generation}}"
                ),
            ],
            unit="s",
            description="Pauses of CPython's garbage collector, all selected collectors "
            "together; the event loop stands still meanwhile. The GC schedule collects "
            "generation 1 every second (which leaves generation 0 little to do) and 2, a full "
            "collection, about every 10 minutes: 0 and 2 have values only around their runs.",
        ),
        _graph(
            "Time in GC",
            [
                prometheus(
                    f"sum by (instance) (rate({pause}_sum{{{COLLECTORS}}}[$__rate_interval]))",
                    "{{instance}}",
                )
            ],
            unit="percentunit",
            width=8,
            description="Share of wall-clock time spent in garbage collection.",
        ),
        panel(
            "stat",
            "Full collections in range",
            [
                prometheus(
                    f"sum(increase({EXPORTER}gc_full_collections_total{{{COLLECTORS}}}[$__range]))",
                    "full collections",
                    instant=True,
                )
            ],
            unit="none",
            width=4,
            description="Full collections the collector's GC schedule ran: one per 10 minutes, "
            "more after many chargers disconnected.",
        ),
    ]


def influxdb_panels() -> list[JSON]:
    return [
        row("InfluxDB history writes"),
        _graph(
            "InfluxDB points written, failed writes, dropped points",
            [
                prometheus(
                    per_second(f"{EXPORTER}influxdb_points_written_total", COLLECTORS), "written"
                ),
                prometheus(
                    per_second(f"{EXPORTER}influxdb_write_failures_total", COLLECTORS),
                    "failed writes",
                ),
                prometheus(
                    per_second(f"{EXPORTER}influxdb_points_dropped_total", COLLECTORS), "dropped"
                ),
            ],
            unit="cps",
            description="All selected collectors together. A failed write is retried; a "
            "dropped point is history lost (buffer full, refused by InfluxDB, unwritten at "
            "shutdown).",
        ),
        _graph(
            "InfluxDB write buffer",
            [prometheus(f"{EXPORTER}influxdb_buffer_points{{{COLLECTORS}}}", "{{instance}}")],
            unit="none",
            description="Points waiting to be written, per collector: growing while InfluxDB "
            "is slow or down.",
        ),
    ]


def receiver_panels() -> list[JSON]:
    webhook_seconds = "chargekeeper_receiver_webhook_duration_seconds"
    return [
        row("Receiver"),
        _graph(
            "Webhooks by outcome",
            [
                prometheus(
                    per_second("chargekeeper_receiver_webhooks_total", RECEIVER, "outcome"),
                    "{{outcome}}",
                ),
                prometheus(
                    per_second("chargekeeper_receiver_truncated_alerts_total", RECEIVER),
                    "alerts truncated by Alertmanager",
                ),
            ],
            unit="reqps",
            width=6,
            description="Alertmanager's webhooks: anything but stored is lost or refused.",
        ),
        _graph(
            "Webhook handling time",
            [
                prometheus(quantile(0.5, webhook_seconds, RECEIVER), "p50"),
                prometheus(quantile(0.99, webhook_seconds, RECEIVER), "p99"),
            ],
            unit="s",
            width=6,
            description="Storing a webhook and answering it; no value while none arrives.",
        ),
        *_process(RECEIVER, "Receiver", 6, "Share of one core."),
        _graph(
            "Notifications by channel and outcome",
            [
                prometheus(per_second(SENT, RECEIVER, "channel"), "{{channel}} sent"),
                prometheus(
                    per_second(FAILED, RECEIVER, "channel, reason"),
                    "{{channel}} failed: {{reason}}",
                ),
                prometheus(
                    per_second("chargekeeper_notifications_dead_total", RECEIVER, "channel"),
                    "{{channel}} given up",
                ),
            ],
            unit="cps",
            description="Each failed attempt counts (a message retried twice then sent is two "
            "failures and one send); given up is a delivery that will not be retried.",
        ),
        _graph(
            "Failed delivery attempts by channel",
            [
                prometheus(
                    f"{per_second(FAILED, RECEIVER, 'channel')}\n"
                    f"/ (\n  {per_second(SENT, RECEIVER, 'channel')}\n"
                    f"  + {per_second(FAILED, RECEIVER, 'channel')}\n)",
                    "{{channel}}",
                )
            ],
            unit="percentunit",
            description="Share of attempts that failed: ChargekeeperNotificationsFailing warns "
            "above 20 % and pages above 90 % over 10 minutes. No value while nothing is sent.",
        ),
        _graph(
            "Outbox backlog",
            [
                prometheus(
                    f"max by (channel, state) (chargekeeper_outbox_deliveries{{{RECEIVER}}})",
                    "{{channel}} {{state}}",
                ),
            ],
            unit="short",
            description="Messages waiting to be sent, counted in the store (replicas sharing "
            "it report the same figure, hence max).",
        ),
        _graph(
            "Oldest waiting message",
            [
                prometheus(
                    f"max by (channel) (chargekeeper_outbox_oldest_age_seconds{{{RECEIVER}}})",
                    "{{channel}}",
                ),
            ],
            unit="s",
            description="How long the oldest message still in the outbox has waited: "
            "ChargekeeperNotificationsDelayed warns above 10 minutes.",
        ),
        _graph(
            "Alertmanager webhooks to the receiver",
            [
                prometheus(
                    per_second(
                        "alertmanager_notifications_total", ALERTMANAGER_WEBHOOKS, "instance"
                    ),
                    "{{instance}} sent",
                ),
                prometheus(
                    per_second(
                        "alertmanager_notifications_failed_total",
                        ALERTMANAGER_WEBHOOKS,
                        "instance",
                    ),
                    "{{instance}} failed",
                ),
            ],
            unit="reqps",
            width=24,
            description="Each Alertmanager's webhook attempts to the receiver (Watchdog "
            "heartbeats included): ChargekeeperReceiverUnreachable pages when half fail.",
        ),
    ]


def build() -> JSON:
    panels = [
        *scrape_panels(),
        *alerting_panels(),
        *collector_traffic_panels(),
        *collector_resource_panels(),
        *csms.csms_panels(COLLECTORS),
        *influxdb_panels(),
        *receiver_panels(),
    ]
    return dashboard(
        UID,
        "Stack health",
        "Chargekeeper itself: scrape targets, rule evaluation and alert delivery, the "
        "collectors' traffic, errors and resources, InfluxDB writes, the receiver's webhooks "
        "and notifications.",
        [variables.PROMETHEUS_SOURCE, collector_variable()],
        panels,
        time_from="now-3h",
    )

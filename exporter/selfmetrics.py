"""The collector's own behaviour as ordinary prometheus_client counters.

Charger state is rendered from the fleet state at scrape time (see ``exporter.metrics``); only
what the collector itself does is counted here. The registry is passed in so that every test
and benchmark has its own. Every label value is from a bounded vocabulary; values that come
from chargers (actions, vendor codes) are capped by :class:`BoundedLabel`.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

NAMESPACE = "chargekeeper_exporter"


class BoundedLabel:
    """Pass through at most ``limit`` distinct values of a charger-supplied label, then 'other'.

    A charger can send any string; a label fed from it must not grow without bound.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._seen: set[str] = set()

    def __call__(self, value: str) -> str:
        if value in self._seen:
            return value
        if len(self._seen) >= self.limit:
            return "other"
        self._seen.add(value)
        return value


class ExporterMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        def counter(name: str, doc: str, labels: tuple[str, ...] = ()) -> Counter:
            return Counter(name, doc, labels, namespace=NAMESPACE, registry=registry)

        self.connections = counter(
            "connections_total", "OCPP websocket connections accepted.", ("ocpp_version",)
        )
        self.connections_refused = counter(
            "connections_refused_total",
            "OCPP connection attempts refused before or at the websocket upgrade.",
            ("reason",),
        )
        self.disconnections = counter(
            "disconnections_total",
            "OCPP websocket connections that ended (closed, timeout, replaced, error).",
            ("reason",),
        )
        self.messages = counter(
            "messages_total",
            "OCPP CALL frames received from chargers, by OCPP action.",
            ("ocpp_version", "action"),
        )
        self.protocol_errors = counter(
            "protocol_errors_total",
            "CALLERROR frames sent to chargers, by OCPP error code.",
            ("ocpp_version", "error_code"),
        )
        self.noncompliant_frames = counter(
            "noncompliant_frames_total",
            "Frames that broke the OCPP schema but were understood and recorded.",
            ("ocpp_version", "action"),
        )
        self.vendor_error_reports = counter(
            "vendor_error_reports_total",
            "StatusNotification/NotifyEvent reports carrying a vendorErrorCode other than empty.",
            ("vendor", "vendor_error_code"),
        )
        self.cardinality_limited = counter(
            "cardinality_limited_total",
            "Reports dropped or relabelled because a charger exceeded one of its budgets"
            " (exporter.limits: connectors, errors, vendor_codes) and chargers outside the fleet"
            " file forgotten (chargers); charge_point_id only for chargers in the fleet file.",
            ("charge_point_id", "budget"),
        )
        self.readings_refused = counter(
            "readings_refused_total",
            "MeterValues sampled values refused: not finite, or a power, energy register or SoC"
            " outside any plausible range.",
            ("measurand",),
        )
        self.stale_connectors_expired = counter(
            "stale_connectors_expired_total",
            "Connectors (with their status and errors) dropped because the charger no longer"
            " reported them after a reconnect or boot.",
        )
        self.influxdb_points_written = counter(
            "influxdb_points_written_total", "Points written to InfluxDB."
        )
        self.influxdb_write_failures = counter(
            "influxdb_write_failures_total", "Failed InfluxDB write attempts (each is retried)."
        )
        self.influxdb_points_dropped = counter(
            "influxdb_points_dropped_total",
            "Points that will never be written: buffer full, refused by InfluxDB, or unwritten"
            " at shutdown.",
        )
        self.influxdb_buffer_points = Gauge(
            "influxdb_buffer_points",
            "Points waiting to be written to InfluxDB.",
            namespace=NAMESPACE,
            registry=registry,
        )
        self.gc_pause = Histogram(
            "gc_pause_seconds",
            "Time the process stood still in CPython's cyclic garbage collector, by generation"
            " collected (2 is a full collection).",
            ("generation",),
            namespace=NAMESPACE,
            registry=registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),
        )
        self.gc_full_collections = counter(
            "gc_full_collections_total",
            "Full garbage collections run by the collector's GC schedule (exporter.gcschedule).",
        )
        # Charger-supplied label values pass through these before reaching a counter.
        self.action_label = BoundedLabel(100)
        self.vendor_label = BoundedLabel(200)
        self.vendor_code_label = BoundedLabel(2000)

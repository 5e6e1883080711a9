"""The relay's own counters (``chargekeeper_exporter_proxy_*``), on a registry passed in."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter

# Why an observation was lost; the frame itself was forwarded in every case.
DROPPED = "queue_full"  # the observer fell behind: the fleet state misses this frame
UNPARSABLE = "unparsable"  # a CSMS frame that is not an OCPP-J RPC frame
OBSERVER_ERROR = "observer_error"  # a bug in observation


class ProxyMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.observations_lost = Counter(
            "chargekeeper_exporter_proxy_observations_lost_total",
            "Relayed frames the collector did not watch, by reason (the frame was forwarded).",
            ("reason",),
            registry=registry,
        )
        self.upstream_failures = Counter(
            "chargekeeper_exporter_proxy_upstream_failures_total",
            "Upstream (CSMS) connections that could not be opened, by reason.",
            ("reason",),
            registry=registry,
        )
        for reason in (DROPPED, UNPARSABLE, OBSERVER_ERROR):
            self.observations_lost.labels(reason)

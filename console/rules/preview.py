"""What would fire now under proposed thresholds, next to what Prometheus fires now.

The live condition ages come from Prometheus's HTTP API: the recording rules (rules/
detection.yml) that the charger and site alerts (ChargerDisconnected ... SiteOffline, in the
same detection group) compare with their threshold series. :func:`would_fire` repeats those
comparisons in Python with the proposed policy instead of the rendered threshold series;
"fires now" is ``ALERTS{alertstate="firing"}``.

What the preview does not model:

- it reads the recording rules as of Prometheus's last evaluation, so a condition within one
  evaluation interval of its threshold may already have crossed it (or not yet);
- Alertmanager is out of scope: silences, acks, inhibitions (SiteOffline hides the
  ChargerDisconnected of its site) and routing decide who is told, not what fires;
- only the seven policy-driven alerts are compared; the meta alerts (collector down,
  Watchdog, notifications failing, policy missing) do not depend on the policy;
- maintenance windows affect availability only, not alerting, so they play no part;
- a (site, group) that the rendered thresholds would not cover (not in the fleet file)
  has no threshold series, so nothing fires there, as in Prometheus.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from chargekeeper.config.fleet import Fleet
from chargekeeper.config.policy import Policy, Severity, Thresholds, Tiered
from chargekeeper.render.prometheus import scopes
from console.prometheus import PrometheusQueries, PrometheusUnavailable, Sample
from console.rules.catalog import ALERTNAMES

QUERIES = {
    "info": "chargekeeper_charge_point:info",
    "disconnected": "chargekeeper_charge_point:disconnected_seconds",
    "errors": "chargekeeper_connector:error_seconds",
    "soc_stalled": "chargekeeper_connector:soc_stalled_seconds",
    "soc_ratio": "chargekeeper_connector:soc_ratio",
    "not_delivering": "chargekeeper_connector:not_delivering_seconds",
    "reconnects": "chargekeeper_charge_point:reconnects_or_boots:increase15m",
    "site_counts": "chargekeeper_site:charge_points:count",
    "firing": 'ALERTS{alertstate="firing"}',
}


@dataclass(frozen=True)
class LiveState:
    """One instant query result per name of :data:`QUERIES`."""

    results: Mapping[str, list[Sample]]

    def __getitem__(self, name: str) -> list[Sample]:
        return self.results.get(name, [])


@dataclass(frozen=True, order=True)
class AlertKey:
    """The labels that tell two alerts apart (as Prometheus's ALERTS series does)."""

    alertname: str
    severity: str
    site: str
    charge_point_id: str = ""
    connector_id: str = ""
    error_code: str = ""
    vendor_error_code: str = ""

    @classmethod
    def of(cls, alertname: str, severity: str, labels: Mapping[str, str]) -> AlertKey:
        return cls(
            alertname,
            severity,
            labels.get("site", ""),
            labels.get("charge_point_id", ""),
            labels.get("connector_id", ""),
            labels.get("error_code", ""),
            labels.get("vendor_error_code", ""),
        )


@dataclass(frozen=True)
class PreviewResult:
    """Alerts that would start, stop and keep firing under the proposal."""

    starts: list[AlertKey] = field(default_factory=list)
    stops: list[AlertKey] = field(default_factory=list)
    stays: list[AlertKey] = field(default_factory=list)
    unavailable: str = ""


def fetch_live_state(prometheus_url: str, timeout: float = 5.0) -> LiveState:
    """Run every query of :data:`QUERIES` against Prometheus's ``/api/v1/query``."""
    prometheus = PrometheusQueries(prometheus_url, timeout)
    return LiveState({name: prometheus.instant(promql) for name, promql in QUERIES.items()})


def firing_now(state: LiveState) -> set[AlertKey]:
    """The policy-driven alerts Prometheus fires now."""
    return {
        AlertKey.of(s.labels["alertname"], s.labels.get("severity", ""), s.labels)
        for s in state["firing"]
        if s.labels.get("alertname") in ALERTNAMES
    }


def would_fire(policy: Policy, fleet: Fleet, state: LiveState) -> set[AlertKey]:
    """The charger and site alerts that would fire if ``policy`` were rendered and loaded."""
    covered = set(scopes(fleet))
    info = {
        s.labels["charge_point_id"]: s.labels
        for s in state["info"]
        if "charge_point_id" in s.labels
    }
    cache: dict[tuple[str, str], Thresholds] = {}

    def thresholds(charge_point_id: str) -> tuple[Mapping[str, str], Thresholds] | None:
        """The charger's identity labels and thresholds; None when the join finds nothing."""
        labels = info.get(charge_point_id)
        if labels is None:
            return None
        scope = (labels.get("site", ""), labels.get("group", ""))
        if scope not in covered:
            return None
        if scope not in cache:
            cache[scope] = policy.thresholds(*scope)
        return labels, cache[scope]

    def joined(sample: Sample) -> dict[str, str]:
        # group_left (site, client, group, vendor, model): the charger's identity joins in.
        return {**sample.labels, **info.get(sample.labels.get("charge_point_id", ""), {})}

    fired: set[AlertKey] = set()

    def tiered(alertname: str, name: str, section: str) -> None:
        for sample in state[name]:
            found = thresholds(sample.labels.get("charge_point_id", ""))
            if found is None:
                continue
            condition: Tiered = getattr(found[1], section)
            fired.update(_crossed(alertname, condition, sample.value, joined(sample)))

    tiered("ChargerDisconnected", "disconnected", "disconnected")
    tiered("ChargerFaulted", "errors", "faulted")
    tiered("ChargerNotDelivering", "not_delivering", "not_delivering")

    soc = {_connector(s.labels): s.value for s in state["soc_ratio"]}
    for sample in state["soc_stalled"]:
        found = thresholds(sample.labels.get("charge_point_id", ""))
        ratio = soc.get(_connector(sample.labels))
        if found is None or ratio is None or not ratio < found[1].soc_stalled.below:
            continue
        fired.update(
            _crossed("ChargerSocStalled", found[1].soc_stalled, sample.value, joined(sample))
        )

    surfaced = {(vendor, code): severity for vendor, code, severity in policy.surfaced_codes()}
    for sample in state["errors"]:
        found = thresholds(sample.labels.get("charge_point_id", ""))
        if found is None or not found[1].vendor_code.enabled:
            continue
        labels, limits = found
        severity = surfaced.get(
            (labels.get("vendor", ""), sample.labels.get("vendor_error_code", ""))
        )
        if severity is not None and sample.value >= limits.vendor_code.after:
            fired.add(AlertKey.of("ChargerVendorErrorCode", severity, joined(sample)))

    for sample in state["reconnects"]:
        found = thresholds(sample.labels.get("charge_point_id", ""))
        flapping = found[1].flapping if found is not None else None
        if flapping is not None and flapping.enabled and sample.value >= flapping.reconnects:
            fired.add(AlertKey.of("ChargerFlapping", "warning", joined(sample)))

    fired.update(_sites_offline(policy, covered, info, state))
    return fired


def compare(proposed: set[AlertKey], now: set[AlertKey]) -> PreviewResult:
    return PreviewResult(
        starts=sorted(proposed - now), stops=sorted(now - proposed), stays=sorted(proposed & now)
    )


def preview(policy: Policy, fleet: Fleet, prometheus_url: str | None) -> PreviewResult:
    """The comparison for the page; says so instead when Prometheus cannot be asked."""
    if prometheus_url is None:
        return PreviewResult(unavailable="console.yaml has no prometheus_url to query")
    try:
        state = fetch_live_state(prometheus_url)
    except PrometheusUnavailable as exc:
        return PreviewResult(unavailable=str(exc))
    return compare(would_fire(policy, fleet, state), firing_now(state))


def _crossed(
    alertname: str, condition: Tiered, seconds: float, labels: Mapping[str, str]
) -> Iterator[AlertKey]:
    severity: Severity
    for severity, threshold in condition.durations().items():
        if seconds >= threshold:
            yield AlertKey.of(alertname, severity, labels)


def _connector(labels: Mapping[str, str]) -> tuple[str, str]:
    return labels.get("charge_point_id", ""), labels.get("connector_id", "")


def _sites_offline(
    policy: Policy,
    covered: set[tuple[str, str]],
    info: Mapping[str, Mapping[str, str]],
    state: LiveState,
) -> Iterator[AlertKey]:
    """SiteOffline: the share of a site's chargers disconnected past the site's ``after``."""
    sites = {site for site, _ in covered}
    down: dict[tuple[str, str], int] = {}
    for sample in state["disconnected"]:
        labels = info.get(sample.labels.get("charge_point_id", ""))
        if labels is None or labels.get("site") not in sites:
            continue
        settings = policy.site_offline(labels["site"])
        if settings.enabled and sample.value >= settings.after:
            key = (labels["site"], labels.get("client", ""))
            down[key] = down.get(key, 0) + 1
    for count in state["site_counts"]:
        key = (count.labels.get("site", ""), count.labels.get("client", ""))
        if key not in down or count.value <= 0:
            continue
        settings = policy.site_offline(key[0])
        if down[key] / count.value >= settings.ratio and count.value >= settings.min_chargers:
            yield AlertKey.of("SiteOffline", "critical", {"site": key[0]})

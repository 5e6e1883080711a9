"""What only a proxy sees: the CSMS's answers, as metrics (``ocpp_upstream_*``).

Fed by :class:`~exporter.proxy.connection.Proxy` (upstream connects and legs, calls left
unanswered) and by the observer's ``on_answer`` hook (:meth:`UpstreamMetrics.answer`).

Every series names its upstream by where the fleet file sets it, never by its URL (which may
hold a path secret): ``client/<id>``, ``site/<id>``, ``charger/<id>``, or ``default`` for
``--upstream``. ``ocpp_upstream_info`` gives each name its site and client, so an alert on one
upstream reaches the technicians of what it serves. Label values are bounded: the fleet's
upstreams, the OCPP actions, error codes and statuses (anything else is ``other``).

Per-charger state (upstream leg open, registration status) mirrors the connections and is
served by a custom collector at scrape time, for the fleet's chargers only.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from ocpp.exceptions import OCPPError
from ocpp.v16.enums import AuthorizationStatus, RegistrationStatus
from ocpp.v201.enums import AuthorizationStatusEnumType
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from chargekeeper.config.fleet import Fleet
from exporter.proxy.observe import UpstreamAnswer
from exporter.schemas import known_actions

DEFAULT_UPSTREAM = "default"
OTHER = "other"
TIMEOUT = "Timeout"  # error_code of a call the CSMS left unanswered for CALL_TIMEOUT
# OCPP-J leaves the timeout to each side; chargers commonly give up on a CALL after 30 s
# and send it again, so an answer later than that is as good as none.
CALL_TIMEOUT = 30.0

ACTIONS = known_actions("1.6") | known_actions("2.0.1")
# The CALLERROR codes of OCPP-J 1.6 and 2.0.1, as the ocpp library knows them.
ERROR_CODES = frozenset(
    code
    for cls in OCPPError.__subclasses__()
    if isinstance(code := getattr(cls, "code", None), str)
)
AUTHORIZATION_STATUSES = frozenset(s.value for s in AuthorizationStatus) | frozenset(
    s.value for s in AuthorizationStatusEnumType
)
REGISTRATION_STATUSES = tuple(s.value for s in RegistrationStatus)  # Accepted, Pending, Rejected
# The answers that carry the CSMS's decision on a driver's token, and where it is.
AUTHORIZING = {
    "Authorize": ("idTagInfo", "idTokenInfo"),
    "StartTransaction": ("idTagInfo",),
    "TransactionEvent": ("idTokenInfo",),
}
# CSMS response times: a healthy CSMS answers in tens of milliseconds; drivers feel seconds.
BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class UpstreamNames:
    """Each charger's upstream name, and each name's site and client, from the fleet file."""

    def __init__(self, fleet: Fleet | None) -> None:
        self._of: dict[str, str] = {}
        self.scopes: dict[str, tuple[str, str]] = {DEFAULT_UPSTREAM: ("", "")}
        # Without a fleet file every charger is accepted and served, as in exporter.metrics.
        self.fleet_ids: frozenset[str] | None = None
        if fleet is None:
            return
        clients = {c.id: c for c in fleet.clients}
        sites = {s.id: s for s in fleet.sites}
        for charger in fleet.chargers:
            site = sites[charger.site]
            client = clients[site.client]
            if charger.upstream is not None:
                name, scope = f"charger/{charger.id}", (site.id, client.id)
            elif site.upstream is not None:
                name, scope = f"site/{site.id}", (site.id, client.id)
            elif client.upstream is not None:
                name, scope = f"client/{client.id}", ("", client.id)
            else:
                name, scope = DEFAULT_UPSTREAM, ("", "")
            self._of[charger.id] = name
            self.scopes[name] = scope
        self.fleet_ids = frozenset(self._of)

    def of(self, charge_point_id: str) -> str:
        return self._of.get(charge_point_id, DEFAULT_UPSTREAM)


class UpstreamMetrics(Collector):
    """The CSMS's answers and each charger's upstream leg, on a registry passed in."""

    def __init__(
        self, registry: CollectorRegistry, fleet: Fleet | None, call_timeout: float = CALL_TIMEOUT
    ) -> None:
        self.names = UpstreamNames(fleet)
        self.call_timeout = call_timeout
        self._open_legs: dict[str, int] = {}
        self._registration: dict[str, str] = {}
        self.connects = Counter(
            "ocpp_upstream_connects_total",
            "Upstream (CSMS) connections attempted for chargers, per upstream.",
            ("upstream",),
            registry=registry,
        )
        self.connect_failures = Counter(
            "ocpp_upstream_connect_failures_total",
            "Upstream connections that failed: unreachable (refused, DNS, TLS, timeout) or "
            "refused (the CSMS answered the handshake with an HTTP error).",
            ("upstream", "reason"),
            registry=registry,
        )
        self.call_duration = Histogram(
            "ocpp_upstream_call_duration_seconds",
            "The CSMS's response time to the chargers' CALLs, from forwarding the CALL to "
            "forwarding its CALLRESULT or CALLERROR.",
            ("upstream", "action"),
            buckets=BUCKETS,
            registry=registry,
        )
        self.call_errors = Counter(
            "ocpp_upstream_call_errors_total",
            f"The chargers' CALLs the CSMS answered with a CALLERROR (its errorCode) or not "
            f"within {call_timeout:g} s (error_code Timeout).",
            ("upstream", "action", "error_code"),
            registry=registry,
        )
        self.authorizations = Counter(
            "ocpp_upstream_authorizations_total",
            "The CSMS's decisions on drivers' tokens: idTagInfo.status (1.6 Authorize, "
            "StartTransaction) or idTokenInfo.status (2.0.1 Authorize, TransactionEvent).",
            ("upstream", "action", "status"),
            registry=registry,
        )
        registry.register(self)

    def _known(self, charge_point_id: str) -> bool:
        ids = self.names.fleet_ids
        return ids is None or charge_point_id in ids

    # The proxy's events.

    def connecting(self, charge_point_id: str) -> None:
        self.connects.labels(self.names.of(charge_point_id)).inc()

    def connect_failed(self, charge_point_id: str, reason: str) -> None:
        self.connect_failures.labels(self.names.of(charge_point_id), reason).inc()

    def leg_opened(self, charge_point_id: str) -> None:
        if self._known(charge_point_id):
            self._open_legs[charge_point_id] = self._open_legs.get(charge_point_id, 0) + 1

    def leg_closed(self, charge_point_id: str) -> None:
        # Counted, not flagged: a charger that reconnects opens its new leg before the old
        # one's relay has finished closing.
        left = self._open_legs.get(charge_point_id, 0) - 1
        if left > 0:
            self._open_legs[charge_point_id] = left
        else:
            self._open_legs.pop(charge_point_id, None)
            # What the CSMS said at boot is served only by the instance holding the charger.
            self._registration.pop(charge_point_id, None)

    def timed_out(self, charge_point_id: str, action: str) -> None:
        upstream = self.names.of(charge_point_id)
        self.call_errors.labels(upstream, _bounded(action, ACTIONS), TIMEOUT).inc()

    def answer(self, answer: UpstreamAnswer) -> None:
        """The observer's ``on_answer`` hook."""
        upstream = self.names.of(answer.charge_point_id)
        action = _bounded(answer.action, ACTIONS)
        self.call_duration.labels(upstream, action).observe(answer.seconds)
        if answer.error_code is not None:
            code = _bounded(answer.error_code, ERROR_CODES)
            self.call_errors.labels(upstream, action, code).inc()
            return
        payload = answer.payload or {}
        if action == "BootNotification":
            registration = payload.get("status")
            if (
                isinstance(registration, str)
                and registration in REGISTRATION_STATUSES
                and answer.charge_point_id in self._open_legs
            ):
                self._registration[answer.charge_point_id] = registration
        for key in AUTHORIZING.get(action, ()):
            info = payload.get(key)
            if type(info) is dict:
                status = _bounded(info.get("status"), AUTHORIZATION_STATUSES)
                self.authorizations.labels(upstream, action, status).inc()

    # The custom collector: per-charger state at scrape time.

    def collect(self) -> Iterator[Metric]:
        connected = GaugeMetricFamily(
            "ocpp_charge_point_upstream_connected",
            "1 while the charge point's upstream (CSMS) leg is open, 0 otherwise (proxy mode).",
            labels=("charge_point_id", "upstream"),
        )
        open_legs = dict(self._open_legs)  # the event loop may change it while we render
        ids: Iterable[str] = (
            self.names.fleet_ids if self.names.fleet_ids is not None else list(open_legs)
        )
        for charge_point_id in ids:
            connected.add_metric(
                (charge_point_id, self.names.of(charge_point_id)),
                1 if open_legs.get(charge_point_id) else 0,
            )
        yield connected
        registration = GaugeMetricFamily(
            "ocpp_charge_point_registration_status",
            "1 for the registration status the CSMS gave the charge point's last "
            "BootNotification (Accepted, Pending, Rejected), while its upstream leg is open.",
            labels=("charge_point_id", "status"),
        )
        for charge_point_id, status in list(self._registration.items()):
            registration.add_metric((charge_point_id, status), 1)
        yield registration
        info = GaugeMetricFamily(
            "ocpp_upstream_info",
            "The fleet's upstreams (named by where the fleet file sets them) and the site "
            "and client each serves (empty when it serves several).",
            labels=("upstream", "site", "client"),
        )
        for name, (site, client) in self.names.scopes.items():
            info.add_metric((name, site, client), 1)
        yield info


def _bounded(value: Any, allowed: frozenset[str]) -> str:
    return value if value in allowed else OTHER

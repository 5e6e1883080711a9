"""Proxy mode in ``chargekeeper up``: the collector in front of a CSMS.

``--upstream URL`` puts the collector in front of the operator's CSMS. ``--demo`` without it
starts a stand-in CSMS (``chargekeeper simulate csms``) as a child and points the collector at
it, so the demo runs the way most operators deploy: chargers → Chargekeeper → their CSMS.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from chargekeeper.processes import ChildProcess

# The stand-in waits up to this long before each answer: the CSMS's answer times
# (ocpp_upstream_call_duration_seconds) then show a spread, far below the simulator's 30 s
# call timeout and the 25 s a dead link takes to notice.
STAND_IN_MAX_DELAY_S = 0.25
# What the banner links to in proxy mode: the CSMS's answer time per charger action, p95 over
# 5 minutes (the stand-in's delay makes it about 240 ms).
ANSWER_TIMES_QUERY = (
    "histogram_quantile(0.95, sum by (le, action) "
    "(rate(ocpp_upstream_call_duration_seconds_bucket[5m])))"
)


@dataclass(frozen=True)
class Upstream:
    """Where the collector relays chargers to: ``url`` (an ``--upstream`` template) or, when
    None, nowhere (standalone, or the demo's stand-in); ``ca`` checks a ``wss://`` CSMS."""

    url: str | None = None
    ca: Path | None = None


STANDALONE = Upstream()


@dataclass(frozen=True)
class ProxyPlan:
    """What the stack runs in proxy mode: the collector's upstream, and the stand-in CSMS child
    when the demo brings its own."""

    upstream: Upstream
    stand_in: ChildProcess | None = None

    @property
    def banner_line(self) -> str | None:
        if self.upstream.url is None:
            return None
        if self.stand_in is not None:
            return (
                f"chargers → Chargekeeper → stand-in CSMS at {self.upstream.url}, "
                f"its log: {self.stand_in.log_path}"
            )
        return f"chargers → Chargekeeper → your CSMS at {self.upstream.url}"


def stand_in_process(state_dir: Path, port: int) -> ChildProcess:
    address = f"127.0.0.1:{port}"
    return ChildProcess(
        name="csms",
        argv=[
            str(Path(sys.executable).with_name("chargekeeper")),
            "simulate",
            "csms",
            f"--listen={address}",
            f"--max-delay={STAND_IN_MAX_DELAY_S}",
        ],
        health_url=f"http://{address}/healthz",
        log_path=state_dir / "logs" / "csms.log",
    )


def plan_proxy(upstream: Upstream, demo: bool, state_dir: Path, stand_in_port: int) -> ProxyPlan:
    """The operator's ``--upstream`` wins; a demo without one gets the stand-in CSMS."""
    if upstream.url is not None or not demo:
        return ProxyPlan(upstream)
    stand_in = stand_in_process(state_dir, stand_in_port)
    return ProxyPlan(Upstream(f"ws://127.0.0.1:{stand_in_port}"), stand_in)


def answer_times_urls(prometheus: str) -> tuple[str, ...]:
    """Prometheus graphs of :data:`ANSWER_TIMES_QUERY`: the classic page first, which is all
    Debian's build serves, then the new UI's."""
    query = urlencode({"g0.expr": ANSWER_TIMES_QUERY, "g0.tab": "0", "g0.range_input": "30m"})
    return (f"{prometheus}/classic/graph?{query}", f"{prometheus}/graph?{query}")

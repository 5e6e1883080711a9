"""Proxy mode of the collector (``chargekeeper exporter --upstream URL``): each charger's
frames relayed to and from the operator's CSMS unchanged, and watched on the side.

Modules: ``upstream`` (each charger's upstream URL, TLS to the CSMS), ``relay`` (the two legs
and the frame pumps), ``observe`` (the fleet state fed from relayed frames, off the forwarding
path), ``connection`` (:class:`Proxy`, what the server calls), ``metrics`` (the relay's own
counters), ``upstream_metrics`` (what only a proxy sees: the CSMS's answers). Public names are
imported on first use (PEP 562), as in :mod:`exporter`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from exporter.proxy.connection import Proxy
    from exporter.proxy.metrics import ProxyMetrics
    from exporter.proxy.observe import Observer, UpstreamAnswer
    from exporter.proxy.relay import LegOptions, Relay, UpstreamRefused, UpstreamUnreachable
    from exporter.proxy.upstream import (
        UpstreamConfigError,
        Upstreams,
        client_ssl_context,
    )
    from exporter.proxy.upstream_metrics import UpstreamMetrics

_MODULE_OF = {
    "LegOptions": "exporter.proxy.relay",
    "Observer": "exporter.proxy.observe",
    "Proxy": "exporter.proxy.connection",
    "ProxyMetrics": "exporter.proxy.metrics",
    "Relay": "exporter.proxy.relay",
    "UpstreamAnswer": "exporter.proxy.observe",
    "UpstreamConfigError": "exporter.proxy.upstream",
    "UpstreamMetrics": "exporter.proxy.upstream_metrics",
    "UpstreamRefused": "exporter.proxy.relay",
    "UpstreamUnreachable": "exporter.proxy.relay",
    "Upstreams": "exporter.proxy.upstream",
    "client_ssl_context": "exporter.proxy.upstream",
}

__all__ = [
    "LegOptions",
    "Observer",
    "Proxy",
    "ProxyMetrics",
    "Relay",
    "UpstreamAnswer",
    "UpstreamConfigError",
    "UpstreamMetrics",
    "UpstreamRefused",
    "UpstreamUnreachable",
    "Upstreams",
    "client_ssl_context",
]


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'exporter.proxy' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)

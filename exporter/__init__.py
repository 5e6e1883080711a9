"""The OCPP collector: a central system for OCPP 1.6J and 2.0.1 that serves fleet metrics.

The pieces, wired together by ``chargekeeper exporter`` (:func:`exporter.cli.run_exporter`):
:class:`OcppServer` accepts chargers' websockets (security profiles in :class:`Authenticator`),
:class:`FleetState` keeps what they report, :class:`MetricsServer` serves it to Prometheus.

The public names are imported on first use (PEP 562): importing one submodule, such as
``exporter.events`` from the fleet state, must not pull in every other one (that would make
import cycles and slow down unrelated ``chargekeeper`` subcommands).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from exporter.http import MetricsServer, fleet_exposition
    from exporter.passwords import hash_password
    from exporter.security import Authenticator, SecurityProfile
    from exporter.server import OcppServer, ServerOptions
    from exporter.session import Session
    from exporter.settings import ExporterSettings, SettingsError
    from exporter.state import FleetState

_MODULE_OF = {
    "Authenticator": "exporter.security",
    "ExporterSettings": "exporter.settings",
    "FleetState": "exporter.state",
    "MetricsServer": "exporter.http",
    "OcppServer": "exporter.server",
    "SecurityProfile": "exporter.security",
    "ServerOptions": "exporter.server",
    "Session": "exporter.session",
    "SettingsError": "exporter.settings",
    "fleet_exposition": "exporter.http",
    "hash_password": "exporter.passwords",
}

__all__ = [
    "Authenticator",
    "ExporterSettings",
    "FleetState",
    "MetricsServer",
    "OcppServer",
    "SecurityProfile",
    "ServerOptions",
    "Session",
    "SettingsError",
    "fleet_exposition",
    "hash_password",
]


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'exporter' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)

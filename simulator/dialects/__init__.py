"""OCPP 1.6J and 2.0.1 as the simulated charger speaks them: one ``Dialect`` per version.

``base`` holds the interface and the reply types, ``ocpp16`` and ``ocpp201`` one version each
(its frames and the CALLs only it answers), ``answers`` the CALLs both versions answer alike.
"""

from simulator.dialects.base import (
    CallErrorReply,
    ChargerControl,
    Dialect,
    Followup,
    Handler,
    Reply,
)
from simulator.dialects.ocpp16 import Ocpp16
from simulator.dialects.ocpp201 import Ocpp201

__all__ = [
    "CallErrorReply",
    "ChargerControl",
    "Dialect",
    "Followup",
    "Handler",
    "Ocpp16",
    "Ocpp201",
    "Reply",
    "dialect_for",
]


def dialect_for(protocol: str) -> Dialect:
    """The dialect for "1.6" or "2.0.1"."""
    if protocol == "1.6":
        return Ocpp16()
    if protocol == "2.0.1":
        return Ocpp201()
    raise ValueError(f"unknown OCPP version {protocol!r}: use 1.6 or 2.0.1")

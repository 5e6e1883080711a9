"""The answers to the central system's CALLs that OCPP 1.6 and 2.0.1 give alike.

Each checks the request and schedules what it asks for as a ``Followup``: OCPP wants the reply
sent first and the action (a triggered message, a reboot, a remote start or stop) done after.
The versions differ only in where the request keeps its fields, which their modules read.
"""

from __future__ import annotations

from simulator.dialects.base import ChargerControl, Followup, Reply
from simulator.model import JsonObject

# The measurands a meter sample carries, as MeterValuesSampledData (1.6) and
# TxUpdatedMeasurands (2.0.1) report them.
MEASURANDS = "Energy.Active.Import.Register,Power.Active.Import,Current.Import,Voltage,SoC"
# The messages a TriggerMessage may ask for again.
_TRIGGERABLE = ("BootNotification", "Heartbeat", "StatusNotification", "MeterValues")


def has_connector(charger: ChargerControl, connector_id: object, allow_zero: bool) -> bool:
    if not isinstance(connector_id, int) or isinstance(connector_id, bool):
        return False
    return (allow_zero and connector_id == 0) or 1 <= connector_id <= len(charger.connectors)


def trigger(charger: ChargerControl, message: object, connector_id: object) -> Reply:
    """TriggerMessage: send one of the four messages again, for one connector (0: the charger)."""
    if connector_id is not None and not has_connector(charger, connector_id, allow_zero=True):
        return {"status": "Rejected"}
    if message not in _TRIGGERABLE:
        return {"status": "NotImplemented"}
    assert connector_id is None or isinstance(connector_id, int)
    charger.schedule(Followup("trigger", str(message), connector_id))
    return {"status": "Accepted"}


def reset(charger: ChargerControl, payload: JsonObject) -> Reply:
    """Reset, soft or hard alike: reboot after the reply."""
    charger.schedule(Followup("reboot"))
    return {"status": "Accepted"}


def remote_start(charger: ChargerControl, connector_id: object, id_tag: object) -> Reply:
    """Accept when the named (or any) connector can take a session; 1.6 and 2.0.1 alike."""
    if not isinstance(id_tag, str) or not id_tag:
        return {"status": "Rejected"}
    if connector_id is None:
        candidates = [c for c in charger.connectors if c.free]
    elif has_connector(charger, connector_id, allow_zero=False):
        assert isinstance(connector_id, int)
        connector = charger.connectors[connector_id - 1]
        candidates = [connector] if connector.free else []
    else:
        candidates = []
    if not candidates:
        return {"status": "Rejected"}
    chosen = candidates[0]
    chosen.remote_start_tag = id_tag
    charger.schedule(Followup("step", connector_id=chosen.id))
    return {"status": "Accepted"}


def remote_stop(charger: ChargerControl, payload: JsonObject) -> Reply:
    """RemoteStopTransaction (1.6), RequestStopTransaction (2.0.1): both name ``transactionId``."""
    connector = charger.find_transaction(payload.get("transactionId"))
    if connector is None:
        return {"status": "Rejected"}
    connector.remote_stop = True
    charger.schedule(Followup("step", connector_id=connector.id))
    return {"status": "Accepted"}

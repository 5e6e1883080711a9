"""Raw-frame sessions for the tests: a spec-valid request for every charger-initiated action of
both OCPP versions, and a session on a fresh fleet state to send them to."""

from __future__ import annotations

import json
from typing import Any

from prometheus_client import CollectorRegistry

from exporter.selfmetrics import ExporterMetrics
from exporter.session import Session
from exporter.state import FleetState

NOW = 1_764_086_400.0
NOW_ISO = "2025-11-25T16:00:00.000Z"
TS = "2025-11-25T15:59:00Z"

# A minimal spec-valid request for every charger-initiated action (test_session.py checks them
# against the request schemas, so a typo here fails loudly instead of testing the lenient path).
REQUESTS_16: dict[str, dict[str, Any]] = {
    "Authorize": {"idTag": "TAG1"},
    "BootNotification": {"chargePointVendor": "V", "chargePointModel": "M"},
    "DataTransfer": {"vendorId": "com.example"},
    "DiagnosticsStatusNotification": {"status": "Uploaded"},
    "FirmwareStatusNotification": {"status": "Installed"},
    "Heartbeat": {},
    "LogStatusNotification": {"status": "Uploaded"},
    "MeterValues": {
        "connectorId": 1,
        "meterValue": [{"timestamp": TS, "sampledValue": [{"value": "12"}]}],
    },
    "SecurityEventNotification": {"type": "FirmwareUpdated", "timestamp": TS},
    "SignCertificate": {"csr": "-----BEGIN CERTIFICATE REQUEST-----"},
    "SignedFirmwareStatusNotification": {"status": "Installed"},
    "StartTransaction": {"connectorId": 1, "idTag": "TAG1", "meterStart": 0, "timestamp": TS},
    "StatusNotification": {"connectorId": 1, "errorCode": "NoError", "status": "Available"},
    "StopTransaction": {"meterStop": 10, "timestamp": TS, "transactionId": 1},
}
REQUESTS_201: dict[str, dict[str, Any]] = {
    "Authorize": {"idToken": {"idToken": "TAG1", "type": "ISO14443"}},
    "BootNotification": {
        "chargingStation": {"model": "M", "vendorName": "V"},
        "reason": "PowerUp",
    },
    "ClearedChargingLimit": {"chargingLimitSource": "EMS"},
    "DataTransfer": {"vendorId": "com.example"},
    "FirmwareStatusNotification": {"status": "Installed"},
    "Get15118EVCertificate": {
        "iso15118SchemaVersion": "urn:iso:15118:2:2013:MsgDef",
        "action": "Install",
        "exiRequest": "AAAA",
    },
    "GetCertificateStatus": {
        "ocspRequestData": {
            "hashAlgorithm": "SHA256",
            "issuerNameHash": "a",
            "issuerKeyHash": "b",
            "serialNumber": "c",
            "responderURL": "http://ocsp.example",
        }
    },
    "Heartbeat": {},
    "LogStatusNotification": {"status": "Uploaded"},
    "MeterValues": {
        "evseId": 1,
        "meterValue": [{"timestamp": TS, "sampledValue": [{"value": 12.5}]}],
    },
    "NotifyChargingLimit": {"chargingLimit": {"chargingLimitSource": "EMS"}},
    "NotifyCustomerInformation": {
        "data": "x",
        "seqNo": 0,
        "generatedAt": TS,
        "requestId": 1,
    },
    "NotifyDisplayMessages": {"requestId": 1},
    "NotifyEVChargingNeeds": {
        "chargingNeeds": {"requestedEnergyTransfer": "AC_single_phase"},
        "evseId": 1,
    },
    "NotifyEVChargingSchedule": {
        "timeBase": TS,
        "chargingSchedule": {
            "id": 1,
            "chargingRateUnit": "W",
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 7000.0}],
        },
        "evseId": 1,
    },
    "NotifyEvent": {
        "generatedAt": TS,
        "seqNo": 0,
        "eventData": [
            {
                "eventId": 1,
                "timestamp": TS,
                "trigger": "Delta",
                "actualValue": "true",
                "eventNotificationType": "HardWiredNotification",
                "component": {"name": "Connector", "evse": {"id": 1, "connectorId": 1}},
                "variable": {"name": "Problem"},
                "techCode": "CX011",
            }
        ],
    },
    "NotifyMonitoringReport": {"requestId": 1, "seqNo": 0, "generatedAt": TS},
    "NotifyReport": {"requestId": 1, "generatedAt": TS, "seqNo": 0},
    "PublishFirmwareStatusNotification": {"status": "Published"},
    "ReportChargingProfiles": {
        "requestId": 1,
        "chargingLimitSource": "CSO",
        "evseId": 1,
        "chargingProfile": [
            {
                "id": 1,
                "stackLevel": 0,
                "chargingProfilePurpose": "TxDefaultProfile",
                "chargingProfileKind": "Absolute",
                "chargingSchedule": [
                    {
                        "id": 1,
                        "chargingRateUnit": "W",
                        "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 7000.0}],
                    }
                ],
            }
        ],
    },
    "ReservationStatusUpdate": {"reservationId": 1, "reservationUpdateStatus": "Expired"},
    "SecurityEventNotification": {"type": "FirmwareUpdated", "timestamp": TS},
    "SignCertificate": {"csr": "-----BEGIN CERTIFICATE REQUEST-----"},
    "StatusNotification": {
        "timestamp": TS,
        "connectorStatus": "Occupied",
        "evseId": 1,
        "connectorId": 1,
    },
    "TransactionEvent": {
        "eventType": "Started",
        "timestamp": TS,
        "triggerReason": "CablePluggedIn",
        "seqNo": 0,
        "transactionInfo": {"transactionId": "tx-1", "chargingState": "EVConnected"},
        "evse": {"id": 1, "connectorId": 1},
        "idToken": {"idToken": "TAG1", "type": "ISO14443"},
    },
}
REQUESTS = {"1.6": REQUESTS_16, "2.0.1": REQUESTS_201}


class Setup:
    """Charger "CP1" connected over ``version``, on a fleet state whose clock stands at NOW."""

    def __init__(self, version: str) -> None:
        self.version = version
        self.registry = CollectorRegistry()
        self.metrics = ExporterMetrics(self.registry)
        self.state = FleetState(None, self.metrics, clock=lambda: NOW)
        self.state.connected("CP1", version)
        self.session = Session("CP1", version, self.state, self.metrics)

    def call(self, action: str, payload: Any, msg_id: str = "m1") -> list[Any]:
        (reply,) = self.session.handle(json.dumps([2, msg_id, action, payload]))
        decoded: list[Any] = json.loads(reply)
        return decoded

    def sample(self, name: str, **labels: str) -> float | None:
        return self.registry.get_sample_value(name, labels)

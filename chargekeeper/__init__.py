"""Chargekeeper: monitoring and alerting for EV charger fleets (shared configuration and CLI)."""

__version__ = "0.1.0"

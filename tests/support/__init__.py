"""Helpers for tests that run real servers (Prometheus, Alertmanager, …) as local processes."""

"""The report tests share the dashboard tests' influxd (one per session)."""

from tests.grafana.conftest import influxd_server

__all__ = ["influxd_server"]

"""Grafana dashboards as code: ``python -m chargekeeper.dashboards`` writes grafana/dashboards/.

The committed JSON must equal what the code generates (tests/grafana checks it), so a change
to a dashboard is a change to this package followed by a regeneration.
"""

from chargekeeper.dashboards.build import BUILDERS, DASHBOARDS_DIR, render_all, write_all

__all__ = ["BUILDERS", "DASHBOARDS_DIR", "render_all", "write_all"]

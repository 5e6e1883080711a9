"""Links a message carries: the console, the runbook, the dashboard."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlencode

# Where the console answers when nothing says otherwise: the receiver's default --listen.
DEFAULT_CONSOLE_URL = "http://127.0.0.1:9095"
# The charger dashboard (grafana/dashboards/charger-detail.json): its uid and the template
# variables that select one charger. Each variable's options depend on the one before it
# (site on client, charger on client and site), so a link sets all three. A test reads these
# names from the dashboard JSON, so a renamed variable fails the build instead of the link.
CHARGER_DASHBOARD_UID = "chargekeeper-charger"
CHARGER_DASHBOARD_VARIABLES = {"client": "client", "site": "site", "charge_point_id": "charger"}


@dataclass(frozen=True)
class Links:
    """Base URLs; the console and dashboard live wherever the operator serves them.

    Without a Grafana (``dashboard`` None, as in the local stack), a charger's link goes to its
    page in the console, which draws its history: a link that answers beats a richer one that
    does not.
    """

    console: str = DEFAULT_CONSOLE_URL
    dashboard: str | None = None

    def from_annotation(self, url: str) -> str:
        """A link an alert annotation gives (``runbook_url``), made absolute: a path is on the
        console (``runbook_base_url: /runbook``, the runbook the console serves). Anything but
        http(s) or a path is dropped: an annotation is no place for ``javascript:``."""
        if url.startswith("/") and not url.startswith("//"):
            return f"{self.console.rstrip('/')}{url}"
        return url if url.startswith(("https://", "http://")) else ""

    def alert(self, alert_id: int) -> str:
        return f"{self.console.rstrip('/')}/alerts/{alert_id}"

    def site(self, site: str) -> str:
        """The console's alert list, showing the site's firing alerts."""
        return f"{self.console.rstrip('/')}/alerts?{urlencode({'site': site})}"

    def charger(self, charge_point_id: str) -> str:
        return f"{self.console.rstrip('/')}/chargers/{quote(charge_point_id, safe='')}"

    def charger_dashboard(self, charge_point_id: str, site: str = "", client: str = "") -> str:
        """The charger dashboard showing one charger; a value not known is left out (Grafana
        then keeps the variable's default) rather than sent empty. Without a dashboard, the
        charger's console page."""
        if self.dashboard is None:
            return self.charger(charge_point_id)
        values = {"client": client, "site": site, "charge_point_id": charge_point_id}
        query = urlencode(
            {
                f"var-{CHARGER_DASHBOARD_VARIABLES[label]}": value
                for label, value in values.items()
                if value
            }
        )
        return f"{self.dashboard}?{query}" if query else self.dashboard

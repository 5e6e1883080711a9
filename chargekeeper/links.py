"""Links a message carries: the console, the runbook, the dashboard."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlencode

# Where the console answers when nothing says otherwise: the receiver's default --listen.
DEFAULT_CONSOLE_URL = "http://127.0.0.1:9095"


@dataclass(frozen=True)
class Links:
    """Base URLs; the console and dashboard live wherever the operator serves them."""

    console: str = DEFAULT_CONSOLE_URL
    dashboard: str = "http://127.0.0.1:3000/d/chargekeeper-charger"

    def alert(self, alert_id: int) -> str:
        return f"{self.console.rstrip('/')}/alerts/{alert_id}"

    def site(self, site: str) -> str:
        return f"{self.console.rstrip('/')}/sites/{quote(site, safe='')}"

    def charger_dashboard(self, charge_point_id: str) -> str:
        return f"{self.dashboard}?{urlencode({'var-charge_point_id': charge_point_id})}"

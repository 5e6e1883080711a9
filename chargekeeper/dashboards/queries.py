"""Query fragments shared by the dashboards.

Panels read the recording rules of ``rules/`` (identity, connection, connector state,
availability); the only joins written here are the short one that scopes a per-charger series
to the selected client and site through ``chargekeeper_charge_point:info``.
"""

from __future__ import annotations

from translator import load_catalog

INFO = "chargekeeper_charge_point:info"

# Template-variable selectors as Grafana interpolates them: multi-valued variables become a
# regex alternation (or ".*" for All), single ones their value.
CLIENT_SITE = 'client=~"$client", site=~"$site"'
ONE_SITE = 'client="$client", site="$site"'
ONE_CHARGER = 'charge_point_id="$charger"'


JOULES_PER_KWH = 3.6e6


def scoped(expr: str, selector: str = CLIENT_SITE, labels: str = "site, client") -> str:
    """``expr`` (one series per charger or connector) limited to the chargers of ``selector``,
    with ``labels`` copied from the charger's identity."""
    return f"{expr}\n  * on (charge_point_id) group_left ({labels}) {INFO}{{{selector}}}"


def influx_scope(selector: str) -> str:
    """The InfluxQL WHERE clause matching the chargers of the Prometheus ``selector``'s kind."""
    if selector == ONE_CHARGER:
        return "\"charge_point_id\" = '$charger'"
    if selector == ONE_SITE:
        return "\"client\" = '$client' AND \"site\" = '$site'"
    return '"client" =~ /^$client$/ AND "site" =~ /^$site$/'


def error_code_titles() -> dict[str, str]:
    """OCPP errorCode → "code: title" from the translator's catalog (English), so that the
    top-error table names each code the way the technicians' messages do."""
    catalog = load_catalog()
    titles: dict[str, str] = {}
    # errorCode is an OCPP 1.6 StatusNotification field; 2.0.1 reports faults as events.
    for entry in catalog.sets["ocpp16"].entries.values():
        text, _ = entry.text("en")
        titles[entry.code] = f"{entry.code}: {text.title}"
    return dict(sorted(titles.items()))

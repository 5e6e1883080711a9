"""A real Prometheus scraping a tiny collector stand-in that serves fixed samples of the
collector's metrics (ARCHITECTURE 4.2), with one alerting rule, for the Chargers pages' tests.

The samples: CP-ALFEN-01 connected and charging, CP-2 (in the fleet, no boot data) disconnected
since 2026-01-02 03:04 UTC, CP-3 connected with a Faulted connector, and a charger the fleet
file lacks whose vendor and model are markup (charger-supplied strings are untrusted).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.alertmanager.receiver_support import wait_until
from tests.console.editor_support import query
from tests.support.procs import ServerProcess, free_port, require_binary, wait_for_http

MARKUP = "<script>alert(1)</script>"
STRANGER = "CP-X<b>"
DISCONNECTED_AT = 1767323040  # 2026-01-02T03:04:00Z, 04:04 CET in Lyon
FAULTED_AT = 1767330000  # 2026-01-02T05:00:00Z, 05:00 GMT in Leeds
CHARGING_AT = 1767333600  # 2026-01-02T06:00:00Z


def _sample(name: str, value: int, **labels: str) -> str:
    pairs = ",".join(f'{k}="{v}"' for k, v in labels.items())
    return f"{name}{{{pairs}}} {value}\n"


def _info(cp: str, site: str, vendor: str, model: str, firmware: str, version: str) -> str:
    client = "retailco" if site else ""
    group = "default" if site else ""
    return _sample(
        "ocpp_charge_point_info",
        1,
        charge_point_id=cp,
        site=site,
        client=client,
        group=group,
        vendor=vendor,
        model=model,
        firmware_version=firmware,
        ocpp_version=version,
    )


_CONNECTED = "ocpp_charge_point_connected"
_CHANGED = "ocpp_charge_point_connection_changed_timestamp_seconds"
_STATUS = "ocpp_connector_status"
_SINCE = "ocpp_connector_status_since_timestamp_seconds"
SAMPLES = "".join(
    [
        _info("CP-ALFEN-01", "lyon", "Alfen BV", "NG920", "6.4.0-4210", "1.6"),
        _info("CP-2", "lyon", "", "", "", ""),
        _info("CP-3", "leeds", "Ekoenergetyka", "AC22", "2.0.9", "2.0.1"),
        _info(STRANGER, "", MARKUP, "<i>m</i>", "", "1.6"),
        _sample(_CONNECTED, 1, charge_point_id="CP-ALFEN-01"),
        _sample(_CONNECTED, 0, charge_point_id="CP-2"),
        _sample(_CONNECTED, 1, charge_point_id="CP-3"),
        _sample(_CONNECTED, 1, charge_point_id=STRANGER),
        _sample(_CHANGED, 1767300000, charge_point_id="CP-ALFEN-01"),
        _sample(_CHANGED, DISCONNECTED_AT, charge_point_id="CP-2"),
        _sample(_CHANGED, 1767300000, charge_point_id="CP-3"),
        _sample(_STATUS, 1, charge_point_id="CP-ALFEN-01", connector_id="1", status="Charging"),
        _sample(_STATUS, 1, charge_point_id="CP-ALFEN-01", connector_id="2", status="Available"),
        _sample(_STATUS, 1, charge_point_id="CP-3", connector_id="1", status="Faulted"),
        _sample(_SINCE, CHARGING_AT, charge_point_id="CP-ALFEN-01", connector_id="1"),
        _sample(_SINCE, 1767300000, charge_point_id="CP-ALFEN-01", connector_id="2"),
        _sample(_SINCE, FAULTED_AT, charge_point_id="CP-3", connector_id="1"),
    ]
)

PROMETHEUS_YML = """\
global: {{scrape_interval: 1s, evaluation_interval: 1s}}
rule_files: [rules.yml]
scrape_configs:
  - job_name: collector
    static_configs: [{{targets: ["127.0.0.1:{port}"]}}]
"""

# The shipped rule's shape, cut down: a disconnected charger alerts (no receiver is told,
# so the alert exists in Prometheus only until a test posts it to the console).
RULES_YML = """\
groups:
  - name: chargers
    rules:
      - alert: ChargerDisconnected
        expr: ocpp_charge_point_connected == 0
        for: 1s
        labels: {severity: warning, family: disconnection}
"""


class _Samples(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = SAMPLES.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def live_prometheus(folder: Path) -> Iterator[str]:
    """Prometheus scraping SAMPLES every second, once it has them and the rule fires; its URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Samples)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "prometheus.yml").write_text(PROMETHEUS_YML.format(port=server.server_port))
    (folder / "rules.yml").write_text(RULES_YML)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    prometheus = ServerProcess(
        "prometheus",
        [
            require_binary("prometheus"),
            f"--config.file={folder / 'prometheus.yml'}",
            f"--storage.tsdb.path={folder / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        folder,
    )
    try:
        wait_for_http(f"{url}/-/ready", proc=prometheus)
        wait_until(lambda: query(url, 'ALERTS{alertstate="firing"}'), 20, "the rule did not fire")
        yield url
    finally:
        prometheus.stop()
        server.shutdown()
        server.server_close()

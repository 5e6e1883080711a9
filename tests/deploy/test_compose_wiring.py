"""docker-compose.yml's wiring, checked without a Docker engine: the configuration the
``config-render`` service writes (rendered here by the real ``chargekeeper config render`` with
the service's exact arguments) passes promtool and amtool, and the services reach each other:
scrapes, Alertmanager's cluster and webhook, the collector's ports, Grafana's provisioning, the
receiver's and the console's settings.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.engine import make_url

from alertmanager.settings import load_receiver_config
from chargekeeper.config.fleet import load_fleet
from simulator.fleet import charge_point_id
from tests.deploy.compose import (
    CONFIG_MOUNT,
    GENERATED,
    SECRETS_DIR,
    Compose,
    Service,
    port_of,
)
from tests.support.paths import REPO
from tests.support.procs import require_binary


@pytest.fixture(scope="module")
def rendered(compose: Compose, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The generated volume's content: `config-render`'s command, run on this machine.

    Container paths are mapped to their host side: the config directory to the bind mount's
    source, the generated volume to a temporary directory, the token secret to a file.
    """
    service = compose.service("config-render")
    out = tmp_path_factory.mktemp("generated")
    token = out.parent / "webhook_token"
    token.write_text("token-for-the-test\n", encoding="utf-8")
    host_paths = {
        CONFIG_MOUNT: str(REPO / service.mount_of(config_source(service)).source),
        service.mount_of(GENERATED).target: str(out),
        f"{SECRETS_DIR}/webhook_token": str(token),
    }
    argv = []
    for item in service.command:
        name, sep, value = item.partition("=")
        argv.append(f"{name}={host_paths.get(value, value)}" if sep else item)
    assert argv[:2] == ["config", "render"]
    chargekeeper = Path(sys.executable).with_name("chargekeeper")
    result = subprocess.run(
        [str(chargekeeper), *argv], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    return out


def config_source(service: Service) -> str:
    found = [m.source for m in service.mounts if m.target == CONFIG_MOUNT]
    assert len(found) == 1, f"{service.name}: mount the config directory at {CONFIG_MOUNT}"
    return found[0]


def generated_file(service: Service, flag: str) -> str:
    """The path under the generated volume that ``--flag=`` names in ``service``."""
    target = service.mount_of(GENERATED).target
    path = service.option(flag)
    assert path.startswith(f"{target}/"), f"{service.name}: {path} is not in {target}"
    assert service.mount_of(GENERATED).read_only, service.name
    return path.removeprefix(f"{target}/")


def read_yaml(path: Path) -> dict[str, Any]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def test_the_mounted_prometheus_config_passes_promtool(compose: Compose, rendered: Path) -> None:
    config = rendered / generated_file(compose.service("prometheus"), "config.file")
    result = subprocess.run(
        [require_binary("promtool"), "check", "config", str(config)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "rule files found" in result.stdout  # the rules were checked too, not just the file


def test_the_mounted_alertmanager_config_passes_amtool(compose: Compose, rendered: Path) -> None:
    files = {
        generated_file(service, "config.file")
        for service in compose.with_image("prom/alertmanager")
    }
    assert len(files) == 1, "both Alertmanagers of a cluster need the same configuration"
    result = subprocess.run(
        [require_binary("amtool"), "check-config", str(rendered / files.pop())],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def scrape_targets(prometheus_yml: dict[str, Any]) -> dict[str, list[str]]:
    return {
        job["job_name"]: [t for c in job["static_configs"] for t in c["targets"]]
        for job in prometheus_yml["scrape_configs"]
    }


def test_prometheus_scrapes_every_component_and_itself(compose: Compose, rendered: Path) -> None:
    prometheus = compose.service("prometheus")
    config = read_yaml(rendered / generated_file(prometheus, "config.file"))
    collector = compose.service("collector")
    receiver = compose.service("receiver")
    assert scrape_targets(config) == {
        "chargekeeper-exporter": [f"collector:{port_of(collector.option('metrics-listen'))}"],
        "prometheus": [f"prometheus:{port_of(prometheus.option('web.listen-address'))}"],
        "alertmanager": [
            f"{service.name}:{port_of(service.option('web.listen-address'))}"
            for service in compose.with_image("prom/alertmanager")
        ],
        "chargekeeper-receiver": [f"receiver:{port_of(receiver.option('listen'))}"],
    }


def test_prometheus_sends_to_every_alertmanager_directly(compose: Compose, rendered: Path) -> None:
    config = read_yaml(rendered / generated_file(compose.service("prometheus"), "config.file"))
    alertmanagers = config["alerting"]["alertmanagers"]
    targets = [t for group in alertmanagers for c in group["static_configs"] for t in c["targets"]]
    expected = [
        f"{service.name}:{port_of(service.option('web.listen-address'))}"
        for service in compose.with_image("prom/alertmanager")
    ]
    assert sorted(targets) == sorted(expected)
    assert len(expected) == 2


def test_the_alertmanagers_form_one_gossip_cluster(compose: Compose) -> None:
    alertmanagers = compose.with_image("prom/alertmanager")
    gossip = {
        s.name: f"{s.name}:{port_of(s.option('cluster.listen-address'))}" for s in alertmanagers
    }
    for service in alertmanagers:
        others = sorted(address for name, address in gossip.items() if name != service.name)
        assert sorted(service.options("cluster.peer")) == others, service.name


def test_alertmanager_posts_to_the_receiver_with_its_token(
    compose: Compose, rendered: Path
) -> None:
    am_service = compose.service("alertmanager-1")
    config = read_yaml(rendered / generated_file(am_service, "config.file"))
    receiver = compose.service("receiver")
    base = f"http://receiver:{port_of(receiver.option('listen'))}/"
    token = rendered.parent / "webhook_token"
    webhooks = [w for r in config["receivers"] for w in r.get("webhook_configs", [])]
    assert webhooks
    for webhook in webhooks:
        assert webhook["url"].startswith(base), webhook["url"]
        assert webhook["http_config"]["authorization"]["credentials_file"] == str(token)
    # In the containers, the file Alertmanager reads is the one the receiver checks against.
    token_path = compose.service("config-render").option("webhook-token-file")
    assert receiver.option("token-file") == token_path == f"{SECRETS_DIR}/webhook_token"
    for service in compose.with_image("prom/alertmanager"):
        assert "webhook_token" in service.secrets


def test_chargers_and_the_simulator_reach_the_collector(compose: Compose) -> None:
    collector = compose.service("collector")
    ocpp_port = port_of(collector.option("ocpp-listen"))
    assert collector.published_ports == {ocpp_port: str(ocpp_port)}  # every interface
    simulator = compose.service("simulator")
    # Profile 2: the simulator logs in like a real charger, over TLS, checking the certificate.
    assert simulator.option("url") == f"wss://collector:{ocpp_port}"
    assert simulator.option("ca-file") == collector.option("tls-cert")
    assert simulator.option("password-file") == f"{SECRETS_DIR}/charger_passwords"
    fleet = load_fleet(REPO / config_source(collector) / "fleet.yaml")
    count = int(simulator.option("chargers"))
    simulated = {charge_point_id(simulator.option("id-prefix"), i, count) for i in range(count)}
    assert simulated == {charger.id for charger in fleet.chargers}
    assert collector.option("fleet") == f"{CONFIG_MOUNT}/fleet.yaml"


def test_only_the_ocpp_port_faces_the_network(compose: Compose) -> None:
    for service in compose.services.values():
        if service.name == "collector":
            continue
        for container_port, host in service.published_ports.items():
            assert host.startswith("127.0.0.1:"), f"{service.name}:{container_port} is public"


def test_the_collector_writes_history_where_grafana_reads_it(compose: Compose) -> None:
    collector = compose.service("collector")
    influxdb = compose.service("influxdb").environment
    grafana = compose.service("grafana").environment
    assert collector.option("influxdb-url") == "http://influxdb:8086"
    assert grafana["CHARGEKEEPER_INFLUXDB_URL"] == collector.option("influxdb-url")
    assert collector.option("influxdb-org") == influxdb["DOCKER_INFLUXDB_INIT_ORG"]
    bucket = collector.option("influxdb-bucket")
    assert bucket == influxdb["DOCKER_INFLUXDB_INIT_BUCKET"]
    assert grafana["CHARGEKEEPER_INFLUXDB_DATABASE"] == bucket
    token = influxdb["DOCKER_INFLUXDB_INIT_ADMIN_TOKEN_FILE"]
    assert collector.option("influxdb-token-file") == token
    reader = (REPO / "deploy" / "influxdb" / "create-grafana-reader.sh").read_text("utf-8")
    assert f"--username {grafana['CHARGEKEEPER_INFLUXDB_USER']} " in reader


def test_grafana_gets_the_repository_provisioning_and_dashboards(compose: Compose) -> None:
    grafana = compose.service("grafana")
    provisioning = grafana.mount_of("./grafana/provisioning")
    assert provisioning.target == "/etc/grafana/provisioning"
    provider = read_yaml(REPO / "grafana" / "provisioning" / "dashboards" / "chargekeeper.yml")
    assert (
        grafana.mount_of("./grafana/dashboards").target
        == (provider["providers"][0]["options"]["path"])
    )
    assert list((REPO / "grafana" / "dashboards").glob("*.json"))
    prometheus = compose.service("prometheus")
    assert grafana.environment["CHARGEKEEPER_PROMETHEUS_URL"] == (
        f"http://prometheus:{port_of(prometheus.option('web.listen-address'))}"
    )
    datasources = REPO / "grafana" / "provisioning" / "datasources" / "chargekeeper.yml"
    lines = datasources.read_text(encoding="utf-8").splitlines()
    settings = "\n".join(line for line in lines if not line.lstrip().startswith("#"))
    wanted = set(re.findall(r"\$\{(\w+)\}", settings))
    # The password is exported by the entrypoint from its secret, the rest set in environment.
    entrypoint = " ".join(grafana.spec["entrypoint"])
    exported = set(re.findall(r"export (\w+)", entrypoint))
    assert exported == {"CHARGEKEEPER_INFLUXDB_PASSWORD"}
    assert not exported & set(grafana.environment)
    assert wanted <= set(grafana.environment) | exported, wanted - set(grafana.environment)


def test_the_receiver_config_matches_the_services(compose: Compose) -> None:
    receiver = compose.service("receiver")
    config = load_receiver_config(REPO / config_source(receiver))
    postgres = compose.service("postgres").environment
    assert config.database_url is not None
    url = make_url(config.database_url)
    assert url.get_backend_name() == "postgresql" and url.get_driver_name() == "psycopg"
    assert (url.host, url.port) == ("postgres", 5432)
    assert url.password is None, "the password comes from the postgres_password secret"
    assert (url.username, url.database) == (postgres["POSTGRES_USER"], postgres["POSTGRES_DB"])
    assert postgres["POSTGRES_PASSWORD_FILE"] == f"{SECRETS_DIR}/postgres_password"
    assert "PGPASSWORD" in " ".join(receiver.spec["entrypoint"])
    for secret_file in (config.smtp.password_file, config.twilio.auth_token_file):
        assert secret_file is not None
        assert secret_file.parent == Path(SECRETS_DIR)
        assert secret_file.name in receiver.secrets
    assert config.local_providers is False
    assert receiver.option("config") == CONFIG_MOUNT


def test_config_render_writes_into_the_volume_the_others_mount(compose: Compose) -> None:
    render = compose.service("config-render")
    generated = render.mount_of(GENERATED)
    assert not generated.read_only
    assert render.option("out") == generated.target
    assert render.option("config") == CONFIG_MOUNT
    readers = [
        s.name for s in compose.services.values() if GENERATED in {m.source for m in s.mounts}
    ]
    assert sorted(readers) == [
        "alertmanager-1",
        "alertmanager-2",
        "config-render",
        "prometheus",
        "receiver",
    ]


def test_the_console_editors_reach_what_they_render_and_reload(compose: Compose) -> None:
    """The receiver re-renders into the volume Prometheus and Alertmanager read, at the
    addresses those services listen on."""
    receiver = compose.service("receiver")
    generated = receiver.mount_of(GENERATED)
    assert not generated.read_only
    assert receiver.option("render-dir") == generated.target
    prometheus = compose.service("prometheus").option("web.listen-address").rpartition(":")[2]
    assert receiver.option("prometheus-url") == f"http://prometheus:{prometheus}"
    members = [
        f"http://{name}:{compose.service(name).option('web.listen-address').rpartition(':')[2]}"
        for name in ("alertmanager-1", "alertmanager-2")
    ]
    # A routing edit reloads every member of the cluster, not only the one acks talk to.
    assert [receiver.option("alertmanager-url"), *receiver.options("alertmanager-peer")] == members

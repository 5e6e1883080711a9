"""docker-compose.yml, checked without a Docker engine (none runs here, ARCHITECTURE 3).

The file must be valid Compose, reference only files the repository has (secrets excepted:
they are made on the host and never committed), wire ports and URLs consistently between the
services, and mount configuration that Prometheus and Alertmanager accept. The generated
configuration is rendered here by the real ``chargekeeper config render`` with the exact
arguments of the compose ``config-render`` service, then checked with promtool and amtool.
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from sqlalchemy.engine import make_url

from alertmanager.settings import load_receiver_config
from chargekeeper.config.fleet import load_fleet
from simulator.fleet import charge_point_id
from tests.deploy.compose import (
    COMPOSE_FILE,
    SECRETS_DIR,
    Compose,
    Service,
    interpolate,
    load,
    load_raw,
    port_of,
)
from tests.support.paths import REPO
from tests.support.procs import require_binary

APP_SERVICES = {"config-render", "collector", "receiver", "simulator"}
IMAGES = {
    "prom/prometheus": ["prometheus"],
    "prom/alertmanager": ["alertmanager-1", "alertmanager-2"],
    "grafana/grafana": ["grafana"],
    "influxdb": ["influxdb"],
    "postgres": ["postgres"],
}
GENERATED = "generated"  # the named volume `config-render` writes and the others mount
CONFIG_MOUNT = "/etc/chargekeeper"


@pytest.fixture(scope="module")
def compose() -> Compose:
    return load()


def compose_spec_schema() -> dict[str, Any]:
    """The Compose specification's JSON schema, as check-jsonschema vendors it (Apache-2.0,
    from the compose-spec repository; its licence ships beside it in the package)."""
    vendor = resources.files("check_jsonschema") / "builtin_schemas" / "vendor"
    assert (vendor / "licenses" / "LICENSE.compose-spec").is_file()
    schema: dict[str, Any] = json.loads((vendor / "compose-spec.json").read_text("utf-8"))
    return schema


def spec_errors(document: dict[str, Any]) -> list[str]:
    validator = jsonschema.Draft202012Validator(compose_spec_schema())
    return [
        f"{'/'.join(str(p) for p in error.absolute_path)}: {error.message}"
        for error in validator.iter_errors(document)
    ]


def test_the_file_follows_the_compose_specification(compose: Compose) -> None:
    assert spec_errors(compose.document) == []


def test_the_specification_check_catches_a_broken_file(compose: Compose) -> None:
    broken = copy.deepcopy(compose.document)
    broken["services"]["collector"]["restart"] = {"always": True}
    broken["services"]["prometheus"]["helthcheck"] = broken["services"]["prometheus"]["healthcheck"]
    errors = spec_errors(broken)
    assert any(error.startswith("services/collector/restart") for error in errors), errors
    assert any("'helthcheck' was unexpected" in error for error in errors), errors


def test_variables_resolve_to_their_defaults_or_from_the_environment() -> None:
    text = "${CHARGEKEEPER_CONFIG_DIR:-./deploy/config}:/etc/chargekeeper:ro $$x"
    assert interpolate(text, {}) == "./deploy/config:/etc/chargekeeper:ro $x"
    assert interpolate(text, {"CHARGEKEEPER_CONFIG_DIR": "/srv/ck"}).startswith("/srv/ck:")
    with pytest.raises(ValueError, match="NEEDED"):
        interpolate("${NEEDED:?set it}", {})


def test_the_stack_has_every_component_of_the_issue(compose: Compose) -> None:
    third_party = {name for names in IMAGES.values() for name in names}
    assert set(compose.services) == APP_SERVICES | third_party
    for repository, names in IMAGES.items():
        services = compose.with_image(repository)
        assert [service.name for service in services] == names
        for service in services:
            tag = service.image.partition(":")[2]
            assert tag and tag != "latest", f"{service.name}: pin the image version"
    assert compose.service("postgres").image == "postgres:16"
    assert compose.service("influxdb").image.startswith("influxdb:2")
    version = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"]["version"]
    for name in APP_SERVICES:
        build = compose.service(name).spec["build"]
        assert build == {"context": ".", "dockerfile": "Dockerfile"}, name
        assert compose.service(name).image == f"chargekeeper:{version}", name
    assert compose.service("simulator").spec["profiles"] == ["demo"]
    others = [s.name for s in compose.services.values() if s.name != "simulator"]
    assert all("profiles" not in compose.service(name).spec for name in others)


def test_every_referenced_file_exists_in_the_repository(compose: Compose) -> None:
    for service in compose.services.values():
        for mount in service.mounts:
            if mount.is_bind:
                assert (REPO / mount.source).exists(), f"{service.name}: {mount.source}"
                # Only the console (in the receiver) writes the config directory: its editors.
                writes = service.name == "receiver" and mount.target == CONFIG_MOUNT
                assert mount.read_only != writes, f"{service.name}: mount {mount.source}"
        build = service.spec.get("build")
        if build is not None:
            assert (REPO / build["context"] / build["dockerfile"]).is_file()


def test_secrets_are_files_that_are_never_committed(compose: Compose) -> None:
    declared = compose.document["secrets"]
    for name, secret in declared.items():
        assert secret == {"file": f"./deploy/secrets/{name}"}, name
        ignored = subprocess.run(
            ["git", "-C", str(REPO), "check-ignore", "--quiet", f"deploy/secrets/{name}"],
            check=False,
        )
        assert ignored.returncode == 0, f"deploy/secrets/{name} must be git-ignored"
    make_secrets = (REPO / "deploy" / "make-secrets").read_text(encoding="utf-8")
    readme = (REPO / "deploy" / "secrets" / "README.md").read_text(encoding="utf-8")
    for name in declared:
        assert f"`{name}`" in readme, f"deploy/secrets/README.md does not list {name}"
        assert name in make_secrets, f"deploy/make-secrets does not mention {name}"


def test_no_secret_is_written_into_the_file(compose: Compose) -> None:
    for service in compose.services.values():
        for key, value in service.environment.items():
            if re.search(r"PASSWORD|TOKEN|SECRET", key):
                assert key.endswith("_FILE"), f"{service.name}: {key} holds a secret inline"
                assert value.startswith(f"{SECRETS_DIR}/"), f"{service.name}: {key}={value}"


def test_each_service_mounts_the_secrets_it_reads(compose: Compose) -> None:
    declared = set(compose.document["secrets"])
    used: set[str] = set()
    for service in compose.services.values():
        read = {
            match
            for text in service.strings()
            for match in re.findall(rf"{SECRETS_DIR}/(\w+)", text)
        }
        assert read <= set(service.secrets), f"{service.name} reads {read - set(service.secrets)}"
        assert set(service.secrets) <= declared, service.name
        used |= set(service.secrets)
    assert used == declared, f"declared but unused: {declared - used}"


def test_named_volumes_are_declared_and_used(compose: Compose) -> None:
    declared = set(compose.document["volumes"])
    used = {
        mount.source
        for service in compose.services.values()
        for mount in service.mounts
        if not mount.is_bind
    }
    assert used == declared


def test_long_running_services_restart_and_report_their_health(compose: Compose) -> None:
    for service in compose.services.values():
        if service.name == "config-render":
            assert service.spec["restart"] == "no"
            assert "healthcheck" not in service.spec
            continue
        assert service.spec["restart"] == "unless-stopped", service.name
        if service.name != "simulator":  # a client: nothing listens to check
            test = service.spec["healthcheck"]["test"]
            assert test[0] == "CMD" and len(test) > 1, service.name


def test_services_wait_for_what_they_need(compose: Compose) -> None:
    def waits_for(service: str) -> dict[str, str]:
        depends = compose.service(service).spec.get("depends_on", {})
        return {name: spec["condition"] for name, spec in depends.items()}

    rendered = {"config-render": "service_completed_successfully"}
    assert waits_for("prometheus") == rendered
    assert waits_for("alertmanager-1") == rendered
    assert waits_for("alertmanager-2") == rendered
    # The console re-renders into the generated volume: after the first render, not during it.
    assert waits_for("receiver") == {"postgres": "service_healthy", **rendered}
    assert waits_for("collector") == {"influxdb": "service_healthy"}
    assert waits_for("simulator") == {"collector": "service_healthy"}


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
    assert simulator.option("url") == f"ws://collector:{ocpp_port}"
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


def test_the_raw_file_uses_only_defaulted_variables() -> None:
    """Every ${VAR} has a default, so `docker compose up` works with nothing exported."""
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    variables = re.findall(r"(?<!\$)\$\{([^}]*)\}", text)
    assert variables, "the config directory is meant to be selectable"
    for variable in variables:
        assert ":-" in variable, f"${{{variable}}} has no default"
    assert load_raw()["name"] == "chargekeeper"

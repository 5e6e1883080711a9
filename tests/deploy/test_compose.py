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
import tomllib
from importlib import resources
from typing import Any

import jsonschema
import pytest

from tests.deploy.compose import (
    COMPOSE_FILE,
    CONFIG_MOUNT,
    SECRETS_DIR,
    Compose,
    interpolate,
    load_raw,
)
from tests.support.paths import REPO

APP_SERVICES = {"config-render", "collector", "receiver", "simulator"}
IMAGES = {
    "prom/prometheus": ["prometheus"],
    "prom/alertmanager": ["alertmanager-1", "alertmanager-2"],
    "grafana/grafana": ["grafana"],
    "influxdb": ["influxdb"],
    "postgres": ["postgres"],
}


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


def test_the_raw_file_uses_only_defaulted_variables() -> None:
    """Every ${VAR} has a default, so `docker compose up` works with nothing exported."""
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    variables = re.findall(r"(?<!\$)\$\{([^}]*)\}", text)
    assert variables, "the config directory is meant to be selectable"
    for variable in variables:
        assert ":-" in variable, f"${{{variable}}} has no default"
    assert load_raw()["name"] == "chargekeeper"

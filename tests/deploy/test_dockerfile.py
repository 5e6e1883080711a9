"""The application image's Dockerfile and .dockerignore, checked without a Docker engine."""

from __future__ import annotations

import fnmatch
import json
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from tests.deploy.compose import load
from tests.support.paths import REPO

DOCKERFILE = REPO / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, with continuation lines joined and comments dropped."""
    logical: list[str] = []
    pending = ""
    for line in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        logical.append(pending + stripped)
        pending = ""
    assert not pending, "the Dockerfile ends inside a continued line"
    return [(text.split(None, 1)[0].upper(), text.split(None, 1)[1]) for text in logical]


def arguments(instruction: str) -> list[str]:
    return [args for name, args in instructions() if name == instruction]


def test_the_image_is_built_on_python_3_11_slim() -> None:
    # The last stage is the image; the earlier ones only lend it promtool and amtool.
    assert arguments("FROM")[-1] == "python:3.11-slim"


def test_promtool_and_amtool_come_from_the_releases_compose_runs() -> None:
    """The image checks what it renders with the tools of the servers that will read it."""
    stages = {
        args.split()[2]: args.split()[0] for args in arguments("FROM") if " AS " in args.upper()
    }
    compose = load()
    copies = {args.split()[-1]: args.split()[0] for args in arguments("COPY") if "--from=" in args}
    for tool, repository in (("promtool", "prom/prometheus"), ("amtool", "prom/alertmanager")):
        stage = copies[f"/usr/local/bin/{tool}"].removeprefix("--from=")
        image = stages[stage]
        assert image.partition(":")[0] == repository, tool
        assert {service.image for service in compose.with_image(repository)} == {image}, tool


def test_it_installs_the_project_with_its_postgres_extra() -> None:
    assert any(run.startswith('pip install ".[postgres]"') for run in arguments("RUN"))


def test_it_runs_as_an_unprivileged_user_it_creates() -> None:
    steps = instructions()
    users = [index for index, (name, _) in enumerate(steps) if name == "USER"]
    assert users, "no USER: the container would run as root"
    user = steps[users[-1]][1].split(":")[0]
    assert user not in {"root", "0"}
    commands = [
        command.split()
        for name, args in steps[: users[-1]]
        if name == "RUN"
        for command in args.split("&&")
    ]
    created = [words[-1] for words in commands if words and words[0] == "useradd"]
    assert user in created, "the USER must be created before it"
    assert all(name != "RUN" for name, _ in steps[users[-1] :]), "nothing runs as root after USER"


def test_the_entrypoint_is_the_projects_console_script() -> None:
    (entrypoint,) = arguments("ENTRYPOINT")
    command = json.loads(entrypoint)  # exec form: signals reach the process directly
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert command == ["chargekeeper"]
    assert command[0] in pyproject["project"]["scripts"]


def test_the_ports_the_compose_file_uses_are_exposed() -> None:
    exposed = {int(port) for line in arguments("EXPOSE") for port in line.split()}
    compose = load()
    collector = compose.service("collector")
    wanted = {
        int(collector.option("ocpp-listen").rpartition(":")[2]),
        int(collector.option("metrics-listen").rpartition(":")[2]),
        int(compose.service("receiver").option("listen").rpartition(":")[2]),
    }
    assert exposed == wanted


def test_the_volumes_the_app_writes_exist_owned_by_the_user() -> None:
    """A new named volume copies the image directory's owner: it must be the app user's."""
    compose = load()
    setup = " ".join(args for args in arguments("RUN") if "install -d" in args)
    for service in compose.services.values():
        if "build" not in service.spec:
            continue
        for mount in service.mounts:
            if not mount.is_bind and not mount.read_only:
                assert mount.target in setup.split(), f"{service.name}: {mount.target}"
    assert "-o chargekeeper -g chargekeeper" in setup


def ignore_patterns() -> list[str]:
    lines = (REPO / ".dockerignore").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def ignored(path: str) -> bool:
    return any(
        fnmatch.fnmatch(path, pattern) or path.startswith(pattern.rstrip("/") + "/")
        for pattern in ignore_patterns()
    )


@pytest.mark.parametrize("path", [".venv", ".state", "deploy/secrets", "deploy/secrets/x", ".git"])
def test_local_state_and_secrets_stay_out_of_the_build_context(path: str) -> None:
    assert ignored(path)


def test_what_pip_install_needs_is_in_the_build_context() -> None:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    wheel = pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]
    needed = ["pyproject.toml", pyproject["project"]["readme"], *wheel["packages"]]
    needed += list(wheel["force-include"])
    for path in needed:
        assert (REPO / path).exists(), path
        assert not ignored(path), f".dockerignore drops {path}, which pip install . needs"


def build_context(destination: Path) -> Path:
    """A copy of what `docker build .` sends: the repository less what .dockerignore drops."""
    for directory, subdirectories, files in os.walk(REPO):
        relative = Path(directory).relative_to(REPO)
        subdirectories[:] = [d for d in subdirectories if not ignored(str(relative / d))]
        for name in files:
            if not ignored(str(relative / name)):
                target = destination / relative / name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(Path(directory) / name, target)
    return destination


def test_the_build_context_makes_a_wheel_with_the_command_and_its_data(tmp_path: Path) -> None:
    """`pip install .` in the image builds this wheel: the command, packages, rules, demo."""
    context = build_context(tmp_path / "context")
    assert not (context / "deploy" / "secrets").exists()
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(tmp_path), "."],
        cwd=context,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    (wheel,) = tmp_path.glob("chargekeeper-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
        scripts = archive.read(entry_points).decode()
    assert "chargekeeper = chargekeeper.cli:main" in scripts
    assert {"rules/meta.yml", "rules/detection.yml", "examples/demo/fleet.yaml"} <= names
    assert "exporter/cli.py" in names and "chargekeeper/receiver.py" in names
    assert "chargekeeper/store/migrations/versions/v0001_baseline.py" in names

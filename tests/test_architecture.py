"""The layout's one rule (ARCHITECTURE section 2), checked on every module's imports.

- The kernel (``chargekeeper/`` but its roots) imports only the kernel, and its packages do
  not import each other in a circle.
- A component (``alertmanager``, ``console``, ``exporter``, ``simulator``, ``translator``)
  imports the kernel and, where the data flow says so, ``translator``; never another
  component, never a root.
- Only the roots (``chargekeeper.cli``, ``up``, ``receiver`` and the tools ``cli`` runs:
  ``processes``, ``report``, ``dashboards``) import components.

Imports are read from the source with ``ast``, including those inside functions, so a lazy
import cannot slip past.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.paths import REPO

COMPONENTS = ("alertmanager", "console", "exporter", "simulator", "translator")
SHARED_COMPONENT = "translator"
ROOTS = (
    "chargekeeper.cli",
    "chargekeeper.up",
    "chargekeeper.receiver",
    "chargekeeper.processes",
    "chargekeeper.report",
    "chargekeeper.dashboards",
)
PACKAGES = ("chargekeeper", *COMPONENTS)


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_imports(path: Path) -> Iterator[str]:
    """The modules of this project that ``path`` imports, anywhere in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        yield from (name for name in names if name.split(".")[0] in PACKAGES)


def unit(module: str) -> str:
    """What the rule speaks of: a root, a kernel package (``chargekeeper.store``), a component."""
    for root in ROOTS:
        if module == root or module.startswith(root + "."):
            return root
    parts = module.split(".")
    if parts[0] == "chargekeeper":
        return ".".join(parts[:2])
    return parts[0]


def kind(unit_name: str) -> str:
    if unit_name in ROOTS:
        return "root"
    return "kernel" if unit_name.startswith("chargekeeper") else "component"


def arrows() -> dict[tuple[str, str], list[str]]:
    """(importing unit, imported unit) → the importing modules, over every source file."""
    found: dict[tuple[str, str], list[str]] = defaultdict(list)
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            source = module_name(path)
            for target in project_imports(path):
                if unit(target) != unit(source):
                    found[(unit(source), unit(target))].append(source)
    return found


def allowed(source: str, target: str) -> bool:
    source_kind, target_kind = kind(source), kind(target)
    if source_kind == "root":
        return True
    if target_kind == "root":
        return False
    if source_kind == "kernel":
        return target_kind == "kernel"
    return target_kind == "kernel" or target == SHARED_COMPONENT


def test_every_package_is_seen() -> None:
    seen = {unit for arrow in arrows() for unit in arrow}
    assert {*COMPONENTS, "chargekeeper.store", "chargekeeper.receiver"} <= seen


def test_components_import_the_kernel_and_translator_only_roots_import_components() -> None:
    broken = [
        f"{source} imports {target} (in {', '.join(sorted(set(modules)))})"
        for (source, target), modules in sorted(arrows().items())
        if not allowed(source, target)
    ]
    assert broken == []


def test_the_kernel_packages_do_not_import_each_other_in_a_circle() -> None:
    graph: dict[str, set[str]] = defaultdict(set)
    for source, target in arrows():
        if kind(source) == kind(target) == "kernel":
            graph[source].add(target)

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for step in graph.get(start, set()) - seen:
            if step == goal or reaches(step, goal, seen | {step}):
                return True
        return False

    circles = sorted(package for package in graph if reaches(package, package, set()))
    assert circles == []


@pytest.mark.parametrize(
    ("source", "target", "expected"),
    [
        ("console", "alertmanager", False),
        ("alertmanager", "console", False),
        ("exporter", "translator", True),
        ("translator", "chargekeeper.config", True),
        ("chargekeeper.store", "console", False),
        ("chargekeeper.routing", "translator", False),
        ("console", "chargekeeper.receiver", False),
        ("chargekeeper.receiver", "console", True),
    ],
)
def test_the_rule_itself(source: str, target: str, expected: bool) -> None:
    # The checks above pass on an empty list too: these make sure the rule can refuse.
    assert allowed(source, target) is expected

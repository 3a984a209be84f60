"""The layout: imports run down the layers, no module imports itself back, modules stay
short, and every subpackage says what it holds.

Every ``import`` statement of ``hpsearch/`` and ``trainer/`` counts, wherever it is: at
the top of a module, inside a function (an import put off until it is used still ties
the two modules together) and under ``TYPE_CHECKING`` (a type names a layer as much as
a call does).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("hpsearch", "trainer")
MAX_LINES = 300

#: The layers, top to bottom: a module may import the modules of its own package and of
#: the layers below its own, never of one above.
TIERS = (
    ("cli", "dashboard"),
    ("report", "plots"),
    ("search",),
    ("run",),
    ("data", "store"),
    ("space",),
    ("settings", "errors", "version"),
    ("trainer",),
)
#: The imports allowed between two packages of one layer; the others of a layer know
#: nothing of each other.
SIDEWAYS = {("cli", "dashboard"), ("plots", "report"), ("settings", "errors")}
#: The program's entry (``launch``, ``__main__``) and the package's ``__init__`` may import
#: anything; nothing imports them (``from hpsearch import start`` in a layer is upward).
ENTRY = {"hpsearch", "hpsearch.__main__", "hpsearch.launch"}

TIER = {package: rank for rank, names in enumerate(TIERS) for package in names}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


FILES = {
    module_name(path): path
    for package in PACKAGES
    for path in sorted((ROOT / package).rglob("*.py"))
}


@dataclass(frozen=True)
class Import:
    module: str  # the importing module
    line: int
    target: str  # the module imported, one of FILES


def imports(module: str) -> Iterator[Import]:
    """What ``module`` imports of hpsearch and trainer, each as the module it loads
    (``from hpsearch.store import queue``: hpsearch.store.queue)."""
    path = FILES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the package, up one for each dot past the first
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, *([node.module] if node.module else [])])
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in FILES else base
                for alias in node.names
            ]
        else:
            continue
        for target in dict.fromkeys(targets):
            if target.partition(".")[0] in PACKAGES:
                yield Import(module, node.lineno, target)


ALL_IMPORTS = [found for module in FILES for found in imports(module)]


def layer(module: str) -> str | None:
    """The package whose layer ``module`` is in; None for the program's entry."""
    if module in ENTRY:
        return None
    top, _, rest = module.partition(".")
    return "trainer" if top == "trainer" else rest.partition(".")[0]


def test_every_subpackage_and_root_module_has_a_layer():
    assert {layer(module) for module in FILES} - {None} == set(TIER)


def test_imports_run_down_the_layers():
    upward = []
    for found in ALL_IMPORTS:
        source, target = layer(found.module), layer(found.target)
        if source is None or source == target:
            continue
        allowed = target is not None and (
            TIER[target] > TIER[source] or (source, target) in SIDEWAYS
        )
        if not allowed:
            where = f"{FILES[found.module].relative_to(ROOT)}:{found.line}"
            into = target or "the entry"
            upward.append(f"{where}: {found.module} ({source}) imports {found.target} ({into})")
    assert upward == [], "imports up the layers:\n" + "\n".join(upward)


Edges = dict[str, dict[str, int]]  # module -> the modules it imports -> the line


def import_groups(edges: Edges) -> list[list[str]]:
    """The groups of two or more modules that each reach the others through their
    imports (strongly connected components, found the way Tarjan does)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in edges.get(node, {}):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = [stack.pop()]
            while group[-1] != node:
                group.append(stack.pop())
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return groups


def shortest_cycle(start: str, edges: Edges) -> list[str]:
    """The shortest path of imports from ``start`` back to it (breadth first)."""
    paths, seen = [[start]], {start}
    while paths:
        path = paths.pop(0)
        for nxt in sorted(edges.get(path[-1], {})):
            if nxt == start:
                return [*path, start]
            if nxt not in seen:
                seen.add(nxt)
                paths.append([*path, nxt])
    return []


def described(cycle: list[str], edges: Edges) -> str:
    """``a:12 -> b:7 -> a``: line 12 of a imports b, line 7 of b imports a."""
    steps = [f"{module}:{edges[module][nxt]}" for module, nxt in pairwise(cycle)]
    return " -> ".join([*steps, cycle[-1]])


def test_no_module_imports_itself_back():
    edges: Edges = {}
    for found in ALL_IMPORTS:
        if found.target != found.module:
            edges.setdefault(found.module, {}).setdefault(found.target, found.line)
    found = []
    for group in import_groups(edges):
        found.append(f"{', '.join(group)} import each other:")
        shown: set[frozenset[str]] = set()
        for module in group:  # a shortest cycle through each, each cycle once
            cycle = shortest_cycle(module, edges)
            if frozenset(cycle) not in shown:
                shown.add(frozenset(cycle))
                found.append(f"    {described(cycle, edges)}")
    assert found == [], "import cycles:\n" + "\n".join(found)


def test_no_module_is_over_300_lines():
    long = {
        str(path.relative_to(ROOT)): lines
        for path in FILES.values()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


PACKAGE_FILES = sorted(
    path.relative_to(ROOT) for path in FILES.values() if path.name == "__init__.py"
)


@pytest.mark.parametrize("init", PACKAGE_FILES, ids=str)
def test_each_package_says_what_it_holds(init: Path):
    docstring = ast.get_docstring(ast.parse((ROOT / init).read_text(encoding="utf-8")))
    assert docstring, f"{init} has no docstring saying what the package holds"


def test_the_tests_mirror_the_packages():
    """A tests folder for each layer's package and for the trainer, and no other but the
    whole-program tests and the stored releases; every test module lives in one of them."""
    packages = {path.parent.name for path in (ROOT / "hpsearch").glob("*/__init__.py")}
    tests = ROOT / "tests"
    folders = {path.name for path in tests.iterdir() if path.is_dir() and path.name[0] not in "._"}
    assert folders == packages | {"trainer", "end_to_end", "releases"}
    loose = {path.name for path in tests.glob("test_*.py")}
    assert loose == {"test_layout.py", "test_errors.py", "test_settings.py"}, (
        "a test module belongs in the folder of the package it tests; only the root"
        " modules' tests (settings, errors) and this one stay at the top"
    )

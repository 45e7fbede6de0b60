"""The package's shape: stages as subpackages, imports pointing one way, no cycles.

DESIGN.md's data flow, read from the source with :mod:`ast` (nothing is imported): a module may
import from its own stage or an earlier one, never a later one; the module-level import graph
has no cycle; an import inside a function is allowed only for an optional dependency (jax,
torch, …), never for a module of indexcalc.
"""

from __future__ import annotations

import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "indexcalc"

#: The stages in the order of the data flow; each may import only from itself and those before.
STAGES = ("errors", "core", "frontend", "formula", "calculus", "evaluation", "rendering",
          "layouts", "derivations", "codegen", "cli", "__main__", "__init__")

#: What the package root may hold: the facade, the errors and the entry points.
ROOT_MODULES = {"__init__", "__main__", "errors", "cli"}


def module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def resolve(importer: str, node: ast.ImportFrom) -> list[str]:
    """The indexcalc modules an ``from … import …`` statement loads (empty for other packages)."""
    if node.level == 0:
        if not (node.module or "").startswith("indexcalc"):
            return []
        base = node.module.split(".")[1:]
    else:
        path = MODULES[importer]
        package = module_name(path).split(".") if path.name == "__init__.py" and importer \
            else importer.split(".")[:-1]
        if importer == "__init__":
            package = []
        base = package[:len(package) - (node.level - 1)] + (node.module.split(".") if node.module
                                                             else [])
    found = []
    for alias in node.names:
        candidate = ".".join(base + [alias.name])
        found.append(candidate if candidate in MODULES else ".".join(base) or "__init__")
    return found


def imports(name: str) -> tuple[set[str], list[tuple[int, str]]]:
    """(modules imported at module level, [(line, module)] imported inside functions)."""
    tree = ast.parse(MODULES[name].read_text(), filename=str(MODULES[name]))
    inner: list[tuple[int, str]] = []
    for fn in ast.walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for node in ast.walk(fn):
                if isinstance(node, ast.ImportFrom):
                    inner += [(node.lineno, m) for m in resolve(name, node)]
                elif isinstance(node, ast.Import):
                    inner += [(node.lineno, a.name[len("indexcalc."):]) for a in node.names
                              if a.name.startswith("indexcalc.")]
    inner_lines = {line for line, _ in inner}
    for block in ast.walk(tree):  # ``if TYPE_CHECKING:`` imports are for annotations only
        if isinstance(block, ast.If) and getattr(block.test, "id", None) == "TYPE_CHECKING":
            inner_lines.update(n.lineno for n in ast.walk(block) if isinstance(n, ast.ImportFrom))
    top = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.lineno not in inner_lines:
            top.update(resolve(name, node))
    top.discard(name)
    return top, inner


def stage(name: str) -> str:
    return name.split(".")[0]


GRAPH = {name: imports(name)[0] for name in MODULES}


def test_root_holds_only_the_facade_errors_and_entry_points():
    loose = {n for n, p in MODULES.items() if p.parent == PACKAGE} - ROOT_MODULES
    assert not loose, f"modules at the package root that belong in a stage: {sorted(loose)}"
    unknown = {stage(n) for n in MODULES} - set(STAGES)
    assert not unknown, f"packages missing from STAGES (add them in data-flow order): {unknown}"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_point_against_the_flow_never(name):
    rank = STAGES.index(stage(name))
    later = sorted(m for m in GRAPH[name] if STAGES.index(stage(m)) > rank)
    assert not later, f"{name} (stage {stage(name)!r}) imports later stages: {later}"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_indexcalc_import_inside_a_function(name):
    inner = imports(name)[1]
    assert not inner, (f"{name} imports indexcalc modules inside functions (lines "
                       f"{[line for line, _ in inner]}): import them at the top; only optional "
                       "dependencies load lazily")


def test_no_import_cycle():
    """Depth-first search over the module-level graph; a back edge is a cycle."""
    colour: dict[str, int] = {}
    path: list[str] = []

    def visit(name: str) -> list[str] | None:
        colour[name] = 1
        path.append(name)
        for child in sorted(GRAPH[name]):
            if colour.get(child) == 1:
                return path[path.index(child):] + [child]
            if child not in colour:
                found = visit(child)
                if found:
                    return found
        path.pop()
        colour[name] = 2
        return None

    for name in sorted(GRAPH):
        if name not in colour:
            cycle = visit(name)
            assert cycle is None, "import cycle: " + " → ".join(cycle)


def test_the_checker_sees_a_cycle_and_a_backward_import(tmp_path):
    """The walk above reads relative imports correctly (a checker that sees nothing passes)."""
    assert "core.nodes" in GRAPH["core.algebra"]
    assert "errors" in GRAPH["core.dims"]
    assert "core.nodes" in GRAPH["__init__"] or any(stage(m) == "core" for m in GRAPH["__init__"])

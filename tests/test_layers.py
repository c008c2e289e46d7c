"""Imports flow one way: CLI -> commands -> capabilities -> input layer -> store -> contract.

Read from the source (no import side effects): a module may import only modules of its own layer or below,
and nothing inside the package imports the package root.
"""

from __future__ import annotations

import ast
from pathlib import Path

import workbench

SRC = Path(workbench.__file__).parent

# the layer of each top-level module or package (higher imports lower)
BOTTOM = {"_version", "errors", "results", "choices", "safety", "config", "timestamps", "outputs"}
# Plugin discovery: the report and the CLI find their sections and commands by importing those packages.
DISCOVERY = {("report", "sections"), ("cli", "commands")}
LAYERS = {
    **{name: 0 for name in BOTTOM},
    "guidelines": 1,  # the guidelines format: parsed by the contract, used by the gap analysis
    "contract": 1,
    "store": 2,
    "inputs": 3,
    "kpis": 3,
    "features": 4,
    **{
        name: 5
        for name in ("labels", "annotators", "drift", "dataset_issues", "overview", "charts", "demo", "gaps", "queue")
    },
    "integrations": 5,
    "report": 6,
    "gate": 6,
    "verdict": 6,
    "quarter": 6,
    "sections": 7,
    "loaders": 7,  # notebooks: one module per capability, and the page helpers
    "commands": 8,
    "cli": 9,
}


def _top(module: str) -> str:
    return module.split(".")[0]


def _imports(path: Path) -> list[tuple[str, int]]:
    """(imported workbench module relative to the package, line) for each import in ``path``."""
    rel = path.relative_to(SRC).with_suffix("")
    package = list(rel.parts[:-1]) if rel.name != "__init__" else list(rel.parts[:-1])
    if rel.name == "__init__":
        package = list(rel.parts[:-1])
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level == 0:
                if node.module and node.module.split(".")[0] == "workbench":
                    parts = node.module.split(".")[1:]
                    found.append((".".join(parts), node.lineno))
                continue
            base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
            target = [*base, *(node.module.split(".") if node.module else [])]
            if not node.module:  # from . import x: each name may be a module
                for alias in node.names:
                    found.append((".".join([*target, alias.name]), node.lineno))
            else:
                found.append((".".join(target), node.lineno))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "workbench":
                    found.append((".".join(alias.name.split(".")[1:]), node.lineno))
    return found


def test_imports_flow_one_way():
    problems = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC)
        if rel.as_posix() == "__init__.py":
            continue  # the package root re-exports the public API
        own = _top(rel.with_suffix("").as_posix().replace("/", "."))
        for target, line in _imports(path):
            if target in ("", "__version__") or target.startswith("__"):
                problems.append(f"{rel}:{line} imports the package root")
                continue
            top = _top(target)
            if top == own or (own, top) in DISCOVERY:
                continue
            assert top in LAYERS, f"{rel}:{line}: module {target!r} has no layer in this test; add it"
            if LAYERS[top] > LAYERS[own] or (LAYERS[top] == LAYERS[own] and top != own and LAYERS[own] >= 7):
                problems.append(f"{rel}:{line} ({own}, layer {LAYERS[own]}) imports {target} (layer {LAYERS[top]})")
    assert not problems, "\n".join(problems)


def test_every_module_has_a_layer():
    tops = {_top(p.relative_to(SRC).with_suffix("").as_posix().replace("/", ".")) for p in SRC.rglob("*.py")}
    tops.discard("__init__")
    assert tops <= set(LAYERS), sorted(tops - set(LAYERS))


def test_names_the_notebooks_import_from_workbench_are_public():
    notebooks = SRC.parents[1] / "notebooks"
    missing = []
    for nb in sorted(notebooks.glob("*.py")):
        for node in ast.walk(ast.parse(nb.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "workbench":
                missing += [f"{nb.name}: {a.name}" for a in node.names if a.name not in workbench.__all__]
    assert not missing, missing

"""The shape of the code: the project's modules import each other without a cycle, and at the top of the module,
never inside a function to dodge one."""

import ast
from pathlib import Path

from tests.helpers import ROOT

PACKAGES = ("crawler", "pipelines")


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            found[".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")] = path
    return found


def project_imports(node: ast.AST, known: dict[str, Path]) -> set[str]:
    """The project modules an import statement names (`from crawler.state import X` is crawler.state, or
    crawler.state.X when X is a module)."""
    names = set()
    if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in PACKAGES:
        for alias in node.names:
            names.add(f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in known else node.module)
    elif isinstance(node, ast.Import):
        names |= {alias.name for alias in node.names if alias.name.split(".")[0] in PACKAGES}
    return names


def test_the_project_s_modules_import_each_other_without_a_cycle():
    known = modules()
    graph = {name: {imported for node in ast.parse(path.read_text(encoding="utf-8")).body
                    for imported in project_imports(node, known) if imported in known and imported != name}
             for name, path in known.items()}
    assert len(graph) > 40 and graph["crawler.run"] >= {"crawler.incremental", "crawler.distributed"}
    state: dict[str, str] = {}

    def cycle_from(name: str, path: list[str]) -> list[str] | None:
        state[name] = "open"
        for imported in sorted(graph[name]):
            if state.get(imported) == "open":
                return path[path.index(imported):] + [imported]
            if imported not in state and (found := cycle_from(imported, [*path, imported])):
                return found
        state[name] = "done"
        return None

    for name in sorted(graph):
        if name not in state:
            assert (found := cycle_from(name, [name])) is None, " -> ".join(found)


def test_no_project_module_is_imported_inside_a_function():
    known = modules()
    inside = []
    for name, path in known.items():
        for function in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                inside += [f"{name}.{function.name}: {imported}" for node in ast.walk(function)
                           for imported in project_imports(node, known)]
    assert inside == []

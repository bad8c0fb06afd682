"""The layout rules of docs/architecture.md, checked on the source: layers, no cycles, private names, sizes."""

import ast
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PKG = ROOT / "rnnss"
MAX_LINES = 1000


def _layers() -> dict[str, int]:
    """Module name (relative to rnnss) -> layer, read from the table in docs/architecture.md."""
    table = {}
    for line in (ROOT / "docs" / "architecture.md").read_text().splitlines():
        m = re.match(r"\|\s*(\d) [a-z]+\s*\|([^|]*)\|", line)
        if m:
            for name in re.findall(r"`([\w.]+)`", m.group(2)):
                table[name] = int(m.group(1))
    assert table, "docs/architecture.md has no layer table"
    return table


LAYERS = _layers()


def _module_name(path: pathlib.Path) -> str:
    rel = path.relative_to(PKG).with_suffix("")
    parts = [p for p in rel.parts if p != "__init__"]
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PKG.rglob("*.py"))}


def _layer(name: str) -> int | None:
    """Layer of a module: its own entry, else its enclosing package's; a package facade takes its top member's."""
    if name == "":
        return 4  # rnnss/__init__.py: the public namespace above everything
    parts = name.split(".")
    for k in range(len(parts), 0, -1):
        if ".".join(parts[:k]) in LAYERS:
            return LAYERS[".".join(parts[:k])]
    members = [layer for mod, layer in LAYERS.items() if mod.startswith(name + ".")]
    return max(members) if members else None


def _resolve(source: str, is_package: bool, node: ast.ImportFrom | ast.Import) -> list[tuple[str, list[str]]]:
    """Target modules (relative to rnnss) of one import statement, with the names it takes."""
    if isinstance(node, ast.Import):
        return [(a.name[len("rnnss.") :], []) for a in node.names if a.name.startswith("rnnss.")]
    if node.level == 0:
        if node.module is None or not (node.module == "rnnss" or node.module.startswith("rnnss.")):
            return []
        base = node.module[len("rnnss") :].lstrip(".")
    else:
        pkg = source.split(".") if source else []
        if not is_package:
            pkg = pkg[:-1]
        pkg = pkg[: len(pkg) - (node.level - 1)]
        base = ".".join(pkg + ([node.module] if node.module else []))
    out = []
    for alias in node.names:
        sub = f"{base}.{alias.name}" if base else alias.name
        out.append((sub, []) if sub in MODULES else (base, [alias.name]))
    return out


def _visit(name: str, is_package: bool, node: ast.AST, kind: str):
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
            continue
        if isinstance(child, (ast.Import, ast.ImportFrom)):
            for target, names in _resolve(name, is_package, child):
                yield name, target, names, kind
        elif isinstance(child, ast.ClassDef):
            yield from _visit(name, is_package, child, "class")
        elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield from _visit(name, is_package, child, "method" if kind == "class" else "function")
        else:
            yield from _visit(name, is_package, child, kind)


def _imports():
    """Every import of an rnnss module: (source, target, names, kind) with kind module/function/method/class."""
    for name, path in MODULES.items():
        yield from _visit(name, path.name == "__init__.py", ast.parse(path.read_text()), "module")


IMPORTS = list(_imports())


def test_every_module_has_a_layer():
    missing = [name for name in MODULES if name and _layer(name) is None]
    assert not missing, f"modules missing from the layer table of docs/architecture.md: {missing}"


def test_imports_point_only_down():
    """A module imports its own layer or lower ones; a model's convenience method may reach up (lazily)."""
    upward = []
    for source, target, _, kind in IMPORTS:
        if kind == "method" and _layer(source) <= 1:
            continue
        if _layer(target) > _layer(source):
            upward.append(f"{source} (layer {_layer(source)}) -> {target} (layer {_layer(target)}) [{kind}]")
    assert not upward, "upward imports:\n" + "\n".join(upward)


def test_no_import_cycles():
    graph: dict[str, set[str]] = {name: set() for name in MODULES}
    for source, target, _, kind in IMPORTS:
        if kind != "method" and target != source and source:
            graph[source].add(target)
    state: dict[str, int] = {}
    cycles = []

    def dfs(node, stack):
        state[node] = 1
        for nxt in graph.get(node, ()):
            # a package's facade imports its own members; that is containment, not a cycle
            if nxt == "" or node.startswith(nxt + ".") or nxt.startswith(node + "."):
                continue
            if state.get(nxt) == 1:
                cycles.append(" -> ".join(stack[stack.index(nxt) :] + [nxt]))
            elif nxt not in state:
                dfs(nxt, stack + [nxt])
        state[node] = 2

    for node in graph:
        if node not in state:
            dfs(node, [node])
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_private_names_stay_in_their_module_or_subpackage():
    crossing = []
    for source, target, names, _ in IMPORTS:
        for n in names:
            if not n.startswith("_") or n.startswith("__"):
                continue
            same_package = source.split(".")[:-1] == target.split(".")[:-1] and "." in target
            if not same_package:
                crossing.append(f"{source} imports {target}.{n}")
    assert not crossing, "private names used across modules:\n" + "\n".join(crossing)


@pytest.mark.parametrize("name", sorted(MODULES), ids=lambda n: n or "rnnss")
def test_no_module_over_the_size_limit(name):
    lines = len(MODULES[name].read_text().splitlines())
    assert lines <= MAX_LINES, f"rnnss.{name} has {lines} lines (limit {MAX_LINES}): split it along its ideas"


def test_import_rnnss_loads_no_peer_library():
    peers = ["statsmodels", "filterpy", "pykalman", "hmmlearn", "control", "slycot", "simdkalman", "dask", "torch"]
    code = "import sys, rnnss; print(' '.join(m for m in " + repr(peers) + " if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "", f"import rnnss loaded peer libraries: {out.stdout.strip()}"

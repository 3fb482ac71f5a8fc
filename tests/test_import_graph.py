"""The house's floors: no import circle among seqlab's modules, counting imports inside functions.

A name imported from a package counts as an import of the module that defines it, so a circle
through a package's re-exports is found too. An import inside a function may only load an
optional dependency or a heavy subpackage lazily, and says so: the comment block right above it
(or the import line itself) has the word "lazy" and the reason.
"""
from __future__ import annotations

import ast
import pathlib

SRC = pathlib.Path(__file__).resolve().parents[1] / "src" / "seqlab"


def _modules() -> dict[str, pathlib.Path]:
    found = {}
    for path in SRC.rglob("*.py"):
        name = ".".join(path.relative_to(SRC.parent).with_suffix("").parts)
        found[name.removesuffix(".__init__")] = path
    return found


MODULES = _modules()
PACKAGES = {name for name, path in MODULES.items() if path.name == "__init__.py"}


def _base(node: ast.ImportFrom, name: str, path: pathlib.Path) -> str:
    base = node.module or ""
    if node.level:
        package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        package = package[: len(package) - node.level + 1]
        base = ".".join(package + ([base] if base else []))
    return base


def _defining_module(package: str, attribute: str, seen=frozenset()) -> str | None:
    """The module that defines ``attribute`` re-exported by ``package``'s ``__init__``."""
    if f"{package}.{attribute}" in MODULES:
        return f"{package}.{attribute}"
    if package not in PACKAGES or package in seen:
        return None
    path = MODULES[package]
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if not isinstance(node, ast.ImportFrom):
            continue
        base = _base(node, package, path)
        for alias in node.names:
            if alias.name == "*":
                found = _defining_module(base, attribute, seen | {package}) if base in PACKAGES else None
                if found is None and base in MODULES and base not in PACKAGES and attribute in _top_names(base):
                    found = base
            elif (alias.asname or alias.name) == attribute:
                found = _defining_module(base, alias.name, seen | {package}) if base in PACKAGES else base
            else:
                continue
            if found is not None:
                return found
    return None


def _top_names(module: str) -> set[str]:
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    return {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))} | {
        t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}


def _targets(node, name: str, path: pathlib.Path) -> set[str]:
    """The modules an import statement reaches; a name taken from a package counts as an import
    of the module that defines it (``from seqlab.layers import Dense`` → ``seqlab.layers.core``)."""
    if isinstance(node, ast.Import):
        targets = [alias.name for alias in node.names]
    else:
        base = _base(node, name, path)
        targets = [base]
        for alias in node.names:
            targets.append(f"{base}.{alias.name}")
            if base in PACKAGES:
                targets.append(_defining_module(base, alias.name))
    return {t for t in targets if t in MODULES and t != name}


def _comment_above(lines: list[str], lineno: int) -> list[str]:
    """The import line and the block of comment lines right above it."""
    block, index = [lines[lineno - 1]], lineno - 2
    while index >= 0 and lines[index].lstrip().startswith("#"):
        block.append(lines[index])
        index -= 1
    return block


def _imports():
    """``(graph, inner)``: module → modules it imports (package re-exports left out), and the
    function-level imports of seqlab modules as ``(module, line, source lines)``."""
    graph, inner = {}, []
    for name, path in MODULES.items():
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        tree = ast.parse(text)
        in_function = {id(n) for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
                       for n in ast.walk(f)}
        edges = set()
        for node in ast.walk(tree):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            hits = _targets(node, name, path)
            if hits and id(node) in in_function:
                inner.append((name, node.lineno, _comment_above(lines, node.lineno)))
            edges |= hits
        graph[name] = edges - PACKAGES
    return {m: e for m, e in graph.items() if m not in PACKAGES}, inner


def _cycles(graph: dict) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index, low, on_stack, stack, found, counter = {}, {}, set(), [], [], [0]
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, ()))))]
        index[root] = low[root] = counter[0]; counter[0] += 1
        stack.append(root); on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter[0]; counter[0] += 1
                    stack.append(child); on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop(); on_stack.discard(member); component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_checker_finds_a_planted_circle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_a_name_from_a_package_leads_to_the_module_that_defines_it():
    assert _defining_module("seqlab.layers", "Dense") == "seqlab.layers.core"
    assert _defining_module("seqlab.layers", "LSTM") == "seqlab.layers.recurrent.lstm"  # through a star import
    assert _defining_module("seqlab.training.inputs", "Role") == "seqlab.training.inputs.roles"


def test_no_import_circle_in_seqlab():
    graph, _ = _imports()
    assert len(graph) > 50  # the walk really read the package and its edges
    assert "seqlab.layers.base" in graph["seqlab.layers.core"]
    assert _cycles(graph) == []


def test_every_function_level_import_says_why_it_is_lazy():
    _, inner = _imports()
    unexplained = [f"{module}:{line}" for module, line, source in inner
                   if not any("lazy" in text.lower() and "#" in text for text in source)]
    assert unexplained == [], (
        "imports of seqlab modules inside functions hide the floors; move them to the top, or say "
        "in a '# Lazy: why' comment right above it why this one must wait"
    )

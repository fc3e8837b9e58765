"""The library's layering: analyses talk through public names, modules stay small."""

import ast
from pathlib import Path

LIB = Path(__file__).resolve().parents[1] / "lib" / "universality"
FILES = sorted(LIB.rglob("*.py"))


def _module_aliases(tree) -> set[str]:
    """Names bound to modules of the package (``from . import cells``, ``import universality.x as y``)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.level > 0 or (node.module or "").startswith("universality")):
            names.update(a.asname or a.name for a in node.names)
        elif isinstance(node, ast.Import):
            names.update(a.asname or a.name for a in node.names if a.name.startswith("universality"))
    return names


def test_no_module_uses_another_modules_private_names():
    offences = []
    for path in FILES:
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.level > 0 or (node.module or "").startswith("universality")):
                offences += [f"{path.name}: from {node.module} import {a.name}" for a in node.names
                             if a.name.startswith("_") and not a.name.startswith("__")]
        aliases = _module_aliases(tree)
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases
                    and node.attr.startswith("_") and not node.attr.startswith("__")):
                offences.append(f"{path.name}:{node.lineno}: {node.value.id}.{node.attr}")
    assert not offences, offences


def test_modules_are_small_and_long_functions_are_documented():
    big = [f"{p.relative_to(LIB)}: {n} lines" for p in FILES if (n := len(p.read_text().splitlines())) > 500]
    assert not big, big
    undocumented = []
    for path in FILES:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > 80 and not ast.get_docstring(node):
                    undocumented.append(f"{path.name}:{node.lineno} {node.name} ({length} lines)")
    assert not undocumented, undocumented


def test_the_layering_test_can_fail(tmp_path):
    """Negative control: the checks above flag a private import when there is one."""
    bad = "from .cells import _private\nfrom . import store\nstore._tmp(1)\n"
    tree = ast.parse(bad)
    flagged = [a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names
               if a.name.startswith("_")]
    assert flagged == ["_private"]
    assert "store" in _module_aliases(tree)


def _imports(path: Path) -> set[str]:
    """The library modules ``path`` imports anywhere (lazy imports inside functions too), as
    dotted names below universality; ``from PKG import NAME`` counts NAME when it is a module."""
    rel = path.relative_to(LIB).with_suffix("")
    parts = list(rel.parts)
    package = parts[:-1] if parts[-1] != "__init__" else parts[:-1]
    if parts[-1] == "__init__":
        package = parts[:-1]
    out = set()

    def is_module(dotted):
        p = LIB.joinpath(*dotted.split(".")) if dotted else LIB
        return p.with_suffix(".py").exists() or (p / "__init__.py").exists()

    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
                mod = ".".join(base + ([node.module] if node.module else []))
            elif (node.module or "").startswith("universality"):
                mod = node.module[len("universality"):].lstrip(".")
            else:
                continue
            mod = ".".join(p for p in mod.split(".") if p)
            for a in node.names:
                sub = f"{mod}.{a.name}" if mod else a.name
                out.add(sub if is_module(sub) else mod)
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("universality."):
                    out.add(a.name[len("universality."):])
    return {m for m in out if m}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(LIB).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _cycles(graph: dict) -> list:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    return out


def test_no_import_cycles():
    """No cycle among the library's modules, lazy imports inside functions included (a
    package's __init__ importing its own modules is not an edge back from them)."""
    graph = {}
    for path in FILES:
        name = _module_name(path)
        deps = _imports(path) - {name}
        if path.name == "__init__.py":  # a package's re-exports of its own modules
            deps = {d for d in deps if not d.startswith(name + ".")} if name else set()
        graph[name] = deps
    assert not _cycles(graph), _cycles(graph)


def test_the_cycle_check_can_fail():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_task_name_branches_outside_the_studies():
    """What a task measures lives in its study: no `task.name == ...` (or `task == 'sine'`)
    string branch anywhere else in the library or in the book's pages."""
    import re

    pattern = re.compile(r"""(\.name|\btask|\bt)\s*[!=]=\s*["'](flipflop|sine|cdi)["']""")
    pages = sorted((LIB.parents[1] / "book").glob("*.py"))
    offences = [f"{p.name}:{i + 1}" for p in FILES + pages if "studies" not in p.parts
                for i, line in enumerate(p.read_text().splitlines()) if pattern.search(line)]
    assert not offences, offences

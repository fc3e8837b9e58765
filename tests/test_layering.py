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

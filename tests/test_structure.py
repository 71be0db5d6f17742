"""The shape of the code, checked like its behaviour (issue 13): no import cycle between
xlsdun's modules, no module past the size a reader can hold, no function past cyclomatic
complexity 20 as radon counts it (the measure the issue was written with)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from radon.complexity import add_inner_blocks, cc_visit

SRC = Path(__file__).resolve().parent.parent / "src"
PACKAGE = SRC / "xlsdun"
MAX_LINES = 800
MAX_COMPLEXITY = 20


def _module_name(path: Path, src: Path = SRC) -> str:
    parts = list(path.relative_to(src).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(path: Path, known: set[str], src: Path = SRC) -> set[str]:
    """Every xlsdun module this one imports, at the top or inside a function (an import
    hidden in a function is still a dependency), but not under `if TYPE_CHECKING:`."""
    name = _module_name(path, src)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _is_type_checking(node):
            skipped.update(id(n) for child in node.body for n in ast.walk(child))
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.update(_with_packages(alias.name))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.update(_with_packages(base))
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {m for m in found if m in known and m != name}


def _with_packages(module: str) -> set[str]:
    """`a.b.c` and the packages importing it runs first (`a.b`, `a`): an `__init__.py` on the
    way is part of the import, and of any cycle through it."""
    parts = module.split(".")
    return {".".join(parts[:n]) for n in range(1, len(parts) + 1)}


def _graph() -> dict[str, set[str]]:
    paths = sorted(PACKAGE.rglob("*.py"))
    known = {_module_name(p) for p in paths}
    return {_module_name(p): _imports(p, known) for p in paths}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, as the list of modules around it, or None. A package's __init__
    importing its own submodules is not a cycle (Python loads the package first)."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph[node]):
            if node.startswith(target + "."):  # a submodule importing its own package
                continue
            if state.get(target) == 1:
                return [*stack[stack.index(target) :], target]
            if target not in state and (found := visit(target)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}
    assert _cycle(graph) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_the_import_reader_sees_function_level_and_relative_imports(tmp_path: Path) -> None:
    pkg = tmp_path / "xlsdun"
    pkg.mkdir()
    (pkg / "one.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "from . import two\n"
        "if TYPE_CHECKING:\n    from .three import X\n"
        "def f():\n    from .four import g\n"
    )
    known = {"xlsdun.one", "xlsdun.two", "xlsdun.three", "xlsdun.four"}
    assert _imports(pkg / "one.py", known, tmp_path) == {"xlsdun.two", "xlsdun.four"}


def test_a_cycle_through_a_package_s_init_is_found(tmp_path: Path) -> None:
    """`from .pkg.leaf import f` runs pkg/__init__.py first: if that imports the importer,
    the two are a cycle (the import fails), though no line names the other's module."""
    (tmp_path / "xlsdun" / "pkg").mkdir(parents=True)
    one, init, leaf = (
        tmp_path / "xlsdun" / p for p in ("one.py", "pkg/__init__.py", "pkg/leaf.py")
    )
    one.write_text("from .pkg.leaf import f\n")
    init.write_text("from ..one import g\n")
    leaf.write_text("def f(): ...\n")
    known = {"xlsdun.one", "xlsdun.pkg", "xlsdun.pkg.leaf"}
    graph = {_module_name(p, tmp_path): _imports(p, known, tmp_path) for p in (one, init, leaf)}
    assert _cycle(graph) == ["xlsdun.one", "xlsdun.pkg", "xlsdun.one"]


def test_no_import_cycle() -> None:
    cycle = _cycle(_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


@pytest.mark.parametrize(
    "path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE))
)
def test_no_module_past_800_lines(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(SRC)} has {lines} lines; split it by concern"


@pytest.mark.parametrize(
    "path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE))
)
def test_no_function_past_complexity_20(path: Path) -> None:
    too_complex = _too_complex(path.read_text(encoding="utf-8"))
    assert not too_complex, f"{path.relative_to(SRC)}: split {', '.join(too_complex)}"


def _too_complex(source: str) -> list[str]:
    """Every function over MAX_COMPLEXITY, nested ones included: radon leaves a function
    defined in another out of its blocks, and out of the outer one's count."""
    blocks = add_inner_blocks(cc_visit(source))
    return [f"{b.fullname} ({b.complexity})" for b in blocks if b.complexity > MAX_COMPLEXITY]


def test_the_complexity_check_sees_a_nested_function() -> None:
    branches = "".join(f"        if x == {i}:\n            return {i}\n" for i in range(25))
    source = f"def outer():\n    def inner(x):\n{branches}        return -1\n    return inner\n"
    assert _too_complex(source) == ["outer.inner (26)"]

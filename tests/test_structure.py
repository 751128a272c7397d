"""The library's shape, checked: what a maintainer can rely on without reading it all.

No import cycle among the library's modules (counting every import, also inside functions
and under ``TYPE_CHECKING``); no module over 500 lines; publishing (pages, PNG copies,
precomputed states) known only to ``explainer.publish``; traces addressed by name.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "explainer"
MAX_LINES = 500


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imported_modules(path: Path) -> set[str]:
    """The library modules ``path`` imports, anywhere in the file."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # ``from explainer.plots import mixture`` imports the submodule mixture
            names = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
        else:
            continue
        for name in names:
            while name and name not in MODULES:
                name = name.rpartition(".")[0]
            if name and name != "explainer":
                found.add(name)
    return found


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as a list of modules, or None."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_no_import_cycle_in_the_library():
    # a package's __init__ importing its own modules is not a knot; anything else is
    graph = {name: {m for m in imported_modules(path) if m != name}
             for name, path in MODULES.items()}
    assert find_cycle(graph) is None, f"import cycle: {' -> '.join(find_cycle(graph))}"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_module_is_over_500_lines(name):
    n_lines = len(MODULES[name].read_text().splitlines())
    assert n_lines <= MAX_LINES, f"{name} has {n_lines} lines: split it by concept"


# what only the publish layer knows: page exports, PNG copies of figures, precomputed
# states (a PNG data URI inside a figure's image trace is a picture, not publishing)
PUBLISHING = re.compile(r"(?<!data:)image/png|vnd\.vae-explainer|EXPORT_|STATIC_PNG|kaleido"
                        r"|explainer\.publish|explainer import publish")


def test_only_the_publish_layer_knows_about_pages_and_pictures():
    offenders = [f"{name}: {line.strip()}"
                 for name, path in MODULES.items() if not name.startswith("explainer.publish")
                 for line in path.read_text().splitlines() if PUBLISHING.search(line)]
    assert not offenders, "\n".join(offenders)


POSITIONAL_TRACE = re.compile(r"\.data\[\s*-?\d*\s*:?\s*-?\d*\s*\]")


def test_widgets_and_tests_address_traces_by_name():
    files = [*sorted((PACKAGE / "widgets").glob("*.py")), *sorted((ROOT / "tests").rglob("*.py"))]
    offenders = [f"{path.relative_to(ROOT)}:{i}: {line.strip()}"
                 for path in files if path.name != "test_structure.py"
                 for i, line in enumerate(path.read_text().splitlines(), 1)
                 if POSITIONAL_TRACE.search(line)]
    assert not offenders, "\n".join(offenders)


def test_the_package_docstring_names_every_module():
    import explainer

    top_level = {name.split(".")[1] for name in MODULES if name.count(".") >= 1}
    missing = sorted(m for m in top_level if f"``{m}``" not in explainer.__doc__)
    assert not missing, f"explainer/__init__.py does not list {missing}"

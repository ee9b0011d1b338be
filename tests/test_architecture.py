"""The package's shape, read from the source: no import cycles, the library
never imports the command-line application, and the package root holds only
the public face and a few cross-cutting modules."""
from __future__ import annotations

import ast
from pathlib import Path

import softmaxlab

SRC = Path(softmaxlab.__file__).resolve().parent.parent


def _modules() -> dict:
    """Dotted module name -> (path, is_package) for every module of softmaxlab."""
    found = {}
    for path in (SRC / "softmaxlab").rglob("*.py"):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        found[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return found


def import_graph() -> dict:
    """Module -> set of softmaxlab modules it imports, from every import
    statement (module level or inside a function): a lazy import is still a
    dependency. ``from pkg import sub`` counts as importing ``pkg.sub``."""
    modules = _modules()
    graph = {name: set() for name in modules}

    def resolve(name):
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name

    for name, (path, is_package) in modules.items():
        package = name if is_package else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(up + ([node.module] if node.module else []))
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base
                           for a in node.names]
            else:
                continue
            graph[name].update(t for t in map(resolve, targets) if t and t != name)
    return graph


def find_cycle(graph: dict) -> list | None:
    """One cycle of ``graph`` as a list of nodes, or None (iterative DFS)."""
    state = {}
    for start in graph:
        if start in state:
            continue
        stack = [(start, iter(sorted(graph[start])))]
        path = [start]
        state[start] = "open"
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = "done"
                stack.pop()
                path.pop()
            elif state.get(child) == "open":
                return path[path.index(child):] + [child]
            elif child not in state:
                state[child] = "open"
                stack.append((child, iter(sorted(graph.get(child, ())))))
                path.append(child)
    return None


def test_no_import_cycles():
    cycle = find_cycle(import_graph())
    assert cycle is None, " -> ".join(cycle)


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_nothing_outside_the_cli_imports_it():
    offenders = sorted(f"{m} imports {t}" for m, targets in import_graph().items()
                       if not m.startswith("softmaxlab.cli") for t in targets
                       if t == "softmaxlab.cli" or t.startswith("softmaxlab.cli."))
    assert offenders == []


def test_the_package_root_is_small():
    # The root keeps the public face and a few cross-cutting modules; the
    # maths, the engine, the estimators, the application, the run folder,
    # export and the lab each live in a package of their own.
    loose = sorted(p.name for p in (SRC / "softmaxlab").glob("*.py"))
    assert len(loose) <= 10, loose
    for package in ("nn", "optim", "train", "_kernels", "estimators", "cli", "runs", "export",
                    "lab", "data"):
        assert (SRC / "softmaxlab" / package / "__init__.py").is_file(), package

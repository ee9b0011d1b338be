"""The estimator package's structure: its modules import one another in one
direction only, and none reaches into another object's private attributes
(the mixins of ``BaseSoftmaxEstimator`` use ``self``'s, which are their own)."""
import ast
import pathlib

import softmaxlab.estimators

PACKAGE = pathlib.Path(softmaxlab.estimators.__file__).parent


def _modules():
    return {p.stem: ast.parse(p.read_text(), filename=str(p)) for p in PACKAGE.glob("*.py")}


def _imports(tree) -> set[str]:
    """Sibling modules imported anywhere in the module (lazy imports too)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module.startswith("softmaxlab.estimators."):
                found.add(node.module.rsplit(".", 1)[1])
            elif node.module == "softmaxlab.estimators":
                found.update(a.name for a in node.names if a.name.startswith("_"))
    return found


def test_no_import_cycles():
    graph = {name: _imports(tree) - {name} for name, tree in _modules().items()}
    graph.pop("__init__")
    state = {}

    def visit(node, path):
        if state.get(node) == "done":
            return
        assert state.get(node) != "active", f"import cycle: {' -> '.join(path + [node])}"
        state[node] = "active"
        for dep in graph.get(node, ()):
            visit(dep, path + [node])
        state[node] = "done"

    for name in graph:
        visit(name, [])
    # The file format and the target rules know nothing of the classes.
    assert not graph["_persist"] & {"_base", "_classes", "_cli_model", "_load", "_network"}
    assert graph["_targets"] == set()


def test_no_module_touches_private_attributes_of_other_objects():
    offenders = []
    for name, tree in _modules().items():
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and node.attr.startswith("_")
                    and not node.attr.startswith("__") and isinstance(node.value, ast.Name)
                    and node.value.id not in ("self", "cls")):
                offenders.append(f"{name}.py:{node.lineno} {node.value.id}.{node.attr}")
    assert offenders == []

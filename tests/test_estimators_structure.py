"""The estimator package's structure: its modules import one another in one
direction only, none reaches into another object's private attributes
(the mixins of ``BaseSoftmaxEstimator`` use ``self``'s, which are their own),
and the estimators train through the Trainer's one loop."""
import ast
import pathlib
import warnings

import numpy as np
import pytest

import softmaxlab.estimators
from softmaxlab import MLPClassifier, SoftmaxRegression
from softmaxlab.train import Trainer

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


def _counting(monkeypatch, owner, name, calls):
    real = getattr(owner, name)

    def counted(*a, **k):
        calls.append(name)
        return real(*a, **k)

    monkeypatch.setattr(owner, name, counted)


def _tiny():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 4)).astype(np.float32)
    return X, (X[:, 0] > 0).astype(int) + (X[:, 1] > 0)


@pytest.mark.parametrize("make", [lambda: MLPClassifier(hidden_layer_sizes=(5,), max_iter=3),
                                  lambda: SoftmaxRegression(solver="sgd", max_iter=3)],
                         ids=["MLPClassifier", "SoftmaxRegression"])
def test_fit_and_partial_fit_train_through_trainer_fit_and_validate_once(make, monkeypatch):
    """One training loop: ``fit`` and ``partial_fit`` call ``Trainer.fit``
    (and no epoch of their own); the input is checked once per call, by the
    estimator, and the Trainer takes it as validated."""
    import softmaxlab.estimators._base as base
    import softmaxlab.train.trainer as trainer_module

    calls = []
    _counting(monkeypatch, Trainer, "fit", calls)
    _counting(monkeypatch, Trainer, "train_epoch", calls)
    _counting(monkeypatch, base, "check_features", calls)
    _counting(monkeypatch, trainer_module, "prepare_data", calls)
    X, y = _tiny()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning after 3 epochs
        est = make().fit(X, y)
    assert calls == ["check_features", "fit", "train_epoch", "train_epoch", "train_epoch"]
    assert est.n_iter_ == len(est.loss_curve_) == 3
    calls.clear()
    est.partial_fit(X, y)
    assert calls == ["check_features", "fit", "train_epoch"]

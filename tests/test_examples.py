"""Every example in examples/ runs in fast mode and prints/returns what it promises.

Examples are imported from their files and their ``main(fast=True, out_dir=...)``
is called in-process (one interpreter start for all of them keeps the suite
fast); one test also runs a script as a subprocess, the way a learner does.
"""
from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def load_example(name: str):
    """Import ``examples/<name>.py`` as a module (examples/ is not a package)."""
    if str(EXAMPLES) not in sys.path:
        sys.path.insert(0, str(EXAMPLES))
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def assert_pngs(paths, out_dir: Path):
    assert paths, "the example saved no figures"
    for p in paths:
        p = Path(p)
        assert p.parent == out_dir
        assert p.suffix == ".png"
        with open(p, "rb") as fh:
            assert fh.read(8) == b"\x89PNG\r\n\x1a\n"


# ---------------------------------------------------------------------------
# softmax regression by hand
def test_softmax_by_hand(tmp_path, capsys):
    ex = load_example("softmax_by_hand")
    r = ex.main(fast=True, out_dir=tmp_path)
    out = capsys.readouterr().out

    # Forward pass with W = [[1,2],[3,4],[5,6]], b = [1,0,-1], x = [2,-1]:
    # c = (2-2+1, 6-4+0, 10-6-1) = (1, 2, 3), q = e^c / (e + e^2 + e^3).
    np.testing.assert_allclose(r["c"], [1.0, 2.0, 3.0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(r["d"], np.exp([1.0, 2.0, 3.0]), rtol=1e-12)
    np.testing.assert_allclose(r["q"], np.exp([1, 2, 3]) / np.exp([1, 2, 3]).sum(), rtol=1e-12)
    assert "c = Wx + b      = [1.000 2.000 3.000]" in out

    assert r["mod4_correct"] == 16 and "i mod 4: 16/16 correct" in out
    assert r["mod3_guess_correct"] > r["mod3_majority"] > 16 / 3
    assert r["mod3_guess_wrong"] == [5, 10]

    step = r["one_step"]
    np.testing.assert_allclose(step["grad_b"], step["grad_b_formula"], atol=1e-12)
    np.testing.assert_allclose(step["grad_W"], step["grad_W_formula"], atol=1e-12)
    # grad_W = grad_b x^T with x = bits(14) = (0, 1, 1, 1)
    np.testing.assert_allclose(step["grad_W"], np.outer(step["grad_b"], [0, 1, 1, 1]), atol=1e-12)
    assert step["loss_after"] < step["loss_before"]
    assert max(step["gradcheck"].values()) < 1e-6
    assert "loss: " in out and "engine layer.grads['b']" in out

    train = r["train"]
    assert len(train["correct"]) == train["steps"]
    assert out.count("accuracy") >= 50           # one line per step of the first 50
    assert train["losses"][-1] < train["losses"][0]
    assert train["final_correct"] == 14
    assert r["max_linear_correct"] == 14
    assert not r["lp_all16_feasible"] and not r["lp_any15_feasible"] and r["lp_14_feasible"]
    assert_pngs(r["files"], tmp_path)


def test_example_runs_as_a_script(tmp_path):
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / "softmax_by_hand.py"), "--fast", "--out",
         str(tmp_path)],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "no linear model labels more than 14/16" in proc.stdout
    assert (tmp_path / "loss_curve.png").is_file()


# ---------------------------------------------------------------------------
# spiral, linear model vs MLP
def test_spiral_mlp(tmp_path, capsys):
    ex = load_example("spiral_mlp")
    r = ex.main(fast=True, out_dir=tmp_path)
    out = capsys.readouterr().out

    assert r["classes"] == ["c1", "c2", "c3"]
    n = r["n_train"] + r["n_val"] + r["n_test"]
    assert abs(r["n_train"] / n - 0.70) < 0.01 and abs(r["n_test"] / n - 0.15) < 0.01
    # stratified: every class has the same share of the training split (+-1 sample)
    assert r["counts"].max() - r["counts"].min() <= 1
    np.testing.assert_allclose(r["class_weight"], 1.0 / r["counts"])

    # A stack of linear layers is one linear map, which cannot follow three spiral arms.
    assert r["linear_collapse_gap"] < 1e-4
    assert r["linear_test_acc"] < 0.7 and r["linear_longer_test_acc"] < 0.7
    assert r["mlp_test_acc"] > 0.95
    assert max(r["gradcheck"].values()) < 1e-5

    for fname in ("metrics_linear.json", "metrics_mlp.json"):
        m = json.loads((tmp_path / fname).read_text())
        assert set(m["class"]) == {"c1", "c2", "c3"}
        for k in ("precision", "recall", "f1"):
            assert 0.0 <= m["overall"][k] <= 1.0
        assert sum(c["num_samples"] for c in m["class"].values()) == r["n_test"]
    assert '"c1": {' in out and "MLP test accuracy" in out
    assert [Path(p).name for p in r["files"]] == [
        "boundary_linear.png", "boundary_mlp.png", "activations.png"]
    assert_pngs(r["files"], tmp_path)


# ---------------------------------------------------------------------------
# Fashion-MNIST from scratch and with the estimator (real data when installed, else the missing-data exit)
def fashion_available() -> bool:
    from softmaxlab.data import DatasetNotFoundError, find_fashion_mnist

    try:
        find_fashion_mnist()
    except DatasetNotFoundError:
        return False
    return True


FASHION_EXAMPLES = ["fashion_from_scratch", "fashion_estimator"]


@pytest.mark.parametrize("name", FASHION_EXAMPLES)
def test_fashion_example_without_data_exits_with_install_hint(name, tmp_path, monkeypatch,
                                                               capsys):
    import softmaxlab.data.fashion_mnist as fm

    # Hide every place the loader searches, so this runs whether or not the
    # data are installed on this machine.
    monkeypatch.setattr(fm, "SYSTEM_DIR", tmp_path / "nowhere")
    monkeypatch.delenv(fm.ENV_VAR, raising=False)
    ex = load_example(name)
    with pytest.raises(SystemExit) as info:
        ex.run_cli(ex.NAME, ex.main, "", ["--fast", "--out", str(tmp_path / "out")])
    assert info.value.code == ex.EXIT_NO_DATA == 3
    err = capsys.readouterr().err
    assert "Fashion-MNIST not found" in err
    assert "sudo apt-get install dataset-fashion-mnist" in err
    assert "SOFTMAXLAB_DATA" in err


def check_fashion_run(r, out: str, tmp_path):
    from softmaxlab.data import FASHION_MNIST_CLASSES

    h = r["history"]
    assert len(h["loss"]) == len(h["train_acc"]) == len(h["test_acc"]) == r["epochs"]
    assert out.count("epoch ") >= r["epochs"]
    assert "train acc" in out and "test acc" in out
    assert h["loss"][-1] < h["loss"][0]
    # Fast mode trains on a fifth of the data for 2 epochs: well above chance (0.1),
    # below the full run's ~0.82.
    assert h["test_acc"][-1] > 0.65
    assert set(r["true_names"]) | set(r["pred_names"]) <= set(FASHION_MNIST_CLASSES)
    assert_pngs(r["files"], tmp_path)


@pytest.mark.skipif(not fashion_available(), reason="Fashion-MNIST is not installed")
def test_fashion_from_scratch(tmp_path, capsys):
    ex = load_example("fashion_from_scratch")
    r = ex.main(fast=True, out_dir=tmp_path)
    out = capsys.readouterr().out
    assert r["naive_overflow_nan"] and r["toy_accuracy"] == 0.5
    assert abs(r["untrained_test_acc"] - 0.1) < 0.06
    check_fashion_run(r, out, tmp_path)


@pytest.mark.skipif(not fashion_available(), reason="Fashion-MNIST is not installed")
def test_fashion_estimator(tmp_path, capsys):
    ex = load_example("fashion_estimator")
    r = ex.main(fast=True, out_dir=tmp_path)
    out = capsys.readouterr().out
    assert "SoftmaxRegression(" in out
    assert r["proba_gap"] < 1e-5
    check_fashion_run(r, out, tmp_path)


# ---------------------------------------------------------------------------
# digits, per-sample SGD, sigmoid MLP
def test_digits_sgd(tmp_path, capsys):
    ex = load_example("digits_sgd")
    r = ex.main(fast=True, out_dir=tmp_path)
    out = capsys.readouterr().out

    assert r["nll_good"] == pytest.approx(-np.log(0.99))
    assert r["nll_bad"] == pytest.approx(-np.log(0.01))
    assert r["n_test"] == 270                     # 15 % of 1797, rounded up by the splitter

    # progress printed every 100 per-sample updates over one epoch
    updates = [p[0] for p in r["logreg_progress"]]
    assert updates == list(range(0, r["n_train"], 100))
    assert out.count("update #") == len(updates)
    assert r["logreg_loss1"] < r["logreg_loss0"] and r["logreg_test_acc"] > 0.85
    np.testing.assert_allclose(r["p_before"].sum(), 1.0, rtol=1e-5)
    assert r["p_after"].max() > r["p_before"].max()

    h = r["mlp_history"]
    assert all(len(v) == r["mlp_epochs"] + 1 for v in h.values())   # + the random init
    assert h["train_loss"][-1] < 0.5 * h["train_loss"][0]
    assert h["test_acc"][-1] > 0.85
    assert len(r["worst"]) == 5
    assert all(true != pred for _, true, pred, _ in r["worst"])
    # our NLL, sklearn's log_loss and the trainer's evaluation agree
    assert r["nll_test"] == pytest.approx(r["sklearn_nll_test"], rel=1e-4)
    assert r["nll_train"] == pytest.approx(r["sklearn_nll_train"], rel=1e-4)
    assert r["nll_train"] == pytest.approx(h["train_loss"][-1], rel=1e-4)
    assert r["verdict"] in {"overfitting", "underfitting", "overfitting, not yet converged",
                            "good fit"}
    assert f"diagnosis: {r['verdict']}" in out
    assert {Path(p).name for p in r["files"]} == {
        "logreg_before.png", "logreg_after.png", "mlp_curves.png", "mlp_prediction.png",
        "worst_predictions.png"}
    assert_pngs(r["files"], tmp_path)


ALL_EXAMPLES = ["softmax_by_hand", "spiral_mlp", "fashion_from_scratch",
                "fashion_estimator", "digits_sgd"]


@pytest.mark.parametrize("name", ALL_EXAMPLES)
def test_every_example_has_the_shared_command_line(name):
    # Imports the script the way `python examples/NAME.py` does and parses --help.
    proc = subprocess.run([sys.executable, str(EXAMPLES / f"{name}.py"), "--help"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "--fast" in proc.stdout and "--out DIR" in proc.stdout
    assert f"examples/out/{name}/" in proc.stdout

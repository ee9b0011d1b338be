"""Shared fixtures: small, seeded data built in memory (never the network)."""
from __future__ import annotations

import os

# scikit-learn's array-API dispatch (the estimators on torch tensors and
# array-api-strict arrays) needs SciPy's array-API mode, which is read once,
# when SciPy is first imported: before anything below imports it.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import settings  # noqa: E402

# In CI the property tests replay the same cases every run (no flaky
# red builds); locally they explore new random cases each time.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


@pytest.fixture(scope="session")
def digits_split():
    """scikit-learn digits, 15 % stratified test split, standardised on the
    training part (the per-sample SGD exercise's setting). float64 arrays."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    X, y = load_digits(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.15, stratify=y, random_state=0)
    sc = StandardScaler().fit(Xtr)
    return sc.transform(Xtr), sc.transform(Xte), ytr, yte


@pytest.fixture
def no_report(monkeypatch):
    """CLI runs without drawing the HTML report (seconds per run), for the
    modules that test what the CLI reads, writes and says, not the report."""
    import softmaxlab.runs.report

    monkeypatch.setattr(softmaxlab.runs.report, "build_report", lambda run_dir: run_dir)


@pytest.fixture
def cli(capsys):
    """Run the command line in-process: ``cli(argv) -> (exit code, stdout,
    stderr)``; argv items may be paths or numbers."""
    from softmaxlab.cli import main

    def run(argv):
        code = main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return code, out, err

    return run
